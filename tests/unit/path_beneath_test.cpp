#include "runtime/path_beneath.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

class PathBeneathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("stack-beneath-" + std::to_string(::getpid()));
    root_ = base_ / "root";
    fs::create_directories(root_ / "volumes");
    fs::create_directories(base_ / "outside");
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_, root_;
};

TEST_F(PathBeneathTest, PlainNamesAreJoined) {
  std::string out;
  ASSERT_TRUE(path_beneath(root_.string(), {"volumes", "p_data.1-x"}, &out));
  EXPECT_EQ(out, root_.string() + "/volumes/p_data.1-x");
}

TEST_F(PathBeneathTest, NamesThatWouldLeaveTheRootAreRefused) {
  using namespace std::string_view_literals;
  for (std::string_view bad : {".."sv, "."sv, ""sv, "../../../../srv/data"sv, "a/b"sv, "/etc"sv, "a\0b"sv}) {
    std::string out = "untouched";
    Status s = path_beneath(root_.string(), {"volumes", bad}, &out);
    EXPECT_FALSE(s) << "accepted \"" << bad << "\"";
    EXPECT_EQ(out, "untouched");
    EXPECT_NE(s.message().find("outside"), std::string::npos) << s.message();
  }
}

TEST_F(PathBeneathTest, ALongNameIsQuotedOnlyInPart) {
  std::string out;
  Status s = path_beneath(root_.string(), {std::string(4 << 20, 'x') + "/.."}, &out);
  ASSERT_FALSE(s);
  EXPECT_LT(s.message().size(), 400u);
}

TEST_F(PathBeneathTest, ASymbolicLinkOutOfTheRootIsRefused) {
  fs::create_directories(root_ / "volumes" / "v");
  fs::create_directory_symlink(base_ / "outside", root_ / "volumes" / "v" / "_data");
  Status s = resolves_beneath(root_.string(), (root_ / "volumes" / "v" / "_data").string());
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.message();
  // Also when the link is a parent of a part that does not exist yet.
  EXPECT_FALSE(resolves_beneath(root_.string(), (root_ / "volumes" / "v" / "_data" / "new" / "deeper").string()));
  fs::create_symlink("../../..", root_ / "volumes" / "up");
  EXPECT_FALSE(resolves_beneath(root_.string(), (root_ / "volumes" / "up").string()));
}

TEST_F(PathBeneathTest, LinksThatStayInsideAndMissingPartsAreFine) {
  fs::create_directories(root_ / "volumes" / "real" / "_data");
  fs::create_directory_symlink("real", root_ / "volumes" / "alias");
  EXPECT_TRUE(resolves_beneath(root_.string(), (root_ / "volumes" / "alias" / "_data").string()));
  EXPECT_TRUE(resolves_beneath(root_.string(), (root_ / "volumes" / "new" / "_data").string()));
  EXPECT_TRUE(resolves_beneath((base_ / "no-root-yet").string(), (base_ / "no-root-yet" / "volumes").string()));
  EXPECT_FALSE(resolves_beneath(root_.string(), (base_ / "outside").string()));
}

}  // namespace
}  // namespace stack::runtime
