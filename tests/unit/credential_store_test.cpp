// Unit tests of registry logins in a Docker config.json: what Docker writes is read, other keys survive, bad files are named.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "registry/credential_store.h"
#include "registry/image_pull.h"
#include "runtime/on_disk.h"

namespace stack::registry {
namespace {

namespace fs = std::filesystem;

class CredentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stack-credentials-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "docker" / "config.json").string(); }
  void write(const std::string& text) {
    fs::create_directories(dir_ / "docker");
    std::ofstream(path()) << text;
  }
  fs::path dir_;
};

TEST(Base64, RoundTripsWithAndWithoutPadding) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "user:p@ss:word", std::string("\0\xff", 2)})
    EXPECT_EQ(base64_decode(base64_encode(s)).value_or("?"), s);
  EXPECT_EQ(base64_encode("tester:s3cret"), "dGVzdGVyOnMzY3JldA==");
  EXPECT_FALSE(base64_decode("abc"));
}

TEST_F(CredentialStoreTest, AMissingFileHasNoLogins) {
  std::optional<Credentials> found;
  ASSERT_TRUE(CredentialStore(path()).find("ghcr.io", &found)) << path();
  EXPECT_FALSE(found);
}

TEST_F(CredentialStoreTest, StoresAsDockerDoesAndKeepsOtherKeys) {
  write(R"({"auths": {"other.io": {"auth": "eDp5"}}, "credsStore": "desktop", "psFormat": "x"})");
  CredentialStore store(path());
  ASSERT_TRUE(store.store("127.0.0.1:5000", {"tester", "s3cret"}));
  ASSERT_TRUE(store.store("registry-1.docker.io", {"hub", "token"}));
  nlohmann::json j = nlohmann::json::parse(*runtime::read_whole_file(path()));
  EXPECT_EQ(j["auths"]["127.0.0.1:5000"]["auth"], "dGVzdGVyOnMzY3JldA==");
  EXPECT_TRUE(j["auths"].contains("https://index.docker.io/v1/"));
  EXPECT_EQ(j["auths"]["other.io"]["auth"], "eDp5");
  EXPECT_EQ(j["credsStore"], "desktop");
  EXPECT_EQ(j["psFormat"], "x");
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::optional<Credentials> found;
  ASSERT_TRUE(store.find("docker.io", &found));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->username, "hub");
  EXPECT_EQ(found->password, "token");
  bool removed = false;
  ASSERT_TRUE(store.remove("127.0.0.1:5000", &removed));
  EXPECT_TRUE(removed);
  ASSERT_TRUE(store.find("127.0.0.1:5000", &found));
  EXPECT_FALSE(found);
  ASSERT_TRUE(store.remove("127.0.0.1:5000", &removed));
  EXPECT_FALSE(removed);
}

TEST_F(CredentialStoreTest, FindsHostsFiledAsUrlsAndPlainUserAndPassword) {
  write(R"({"auths": {"https://registry.lan:5000/v1/": {"auth": "dGVzdGVyOnMzY3JldA=="},
                      "ghcr.io": {"username": "me", "password": "pw"},
                      "helper.io": {}}})");
  CredentialStore store(path());
  std::optional<Credentials> found;
  ASSERT_TRUE(store.find("registry.lan:5000", &found));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->username, "tester");
  EXPECT_EQ(found->password, "s3cret");
  ASSERT_TRUE(store.find("ghcr.io", &found));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->password, "pw");
  ASSERT_TRUE(store.find("helper.io", &found));  // a credential helper's: not stack's to read
  EXPECT_FALSE(found);
}

TEST_F(CredentialStoreTest, ABadFileIsAnErrorNamingIt) {
  write("{not json");
  std::optional<Credentials> found;
  runtime::Status s = CredentialStore(path()).find("ghcr.io", &found);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find(path()), std::string::npos) << s.message();
  write(R"({"auths": {"ghcr.io": {"auth": "bm9jb2xvbg=="}}})");  // "nocolon"
  s = CredentialStore(path()).find("ghcr.io", &found);
  EXPECT_NE(s.message().find("not base64 of \"user:password\""), std::string::npos) << s.message();
}

TEST(Platform, ParsesOsArchAndVariant) {
  PullOptions options;
  ASSERT_TRUE(parse_platform("linux/arm64/v8", &options));
  EXPECT_EQ(options.os, "linux");
  EXPECT_EQ(options.architecture, "arm64");
  EXPECT_EQ(options.variant, "v8");
  ASSERT_TRUE(parse_platform("linux/amd64", &options));
  EXPECT_EQ(options.variant, "");
  EXPECT_FALSE(parse_platform("amd64", &options));
  EXPECT_FALSE(parse_platform("linux//", &options));
  EXPECT_FALSE(parse_platform("a/b/c/d", &options));
}

}  // namespace
}  // namespace stack::registry
