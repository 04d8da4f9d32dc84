// Unit tests of COPY sources: paths resolved inside their tree, globs, .dockerignore, and the content digest.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "builder/source_files.h"

namespace fs = std::filesystem;

namespace stack::builder {
namespace {

class SourceFiles : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("stack-sources-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (const char* f : {"app/main.py", "app/util.py", "app/__pycache__/main.pyc", "docs/readme.md", "a.txt", "b.txt"}) {
      fs::create_directories((root_ / f).parent_path());
      std::ofstream(root_ / f) << f << "\n";
    }
    fs::create_symlink("/etc", root_ / "escape");
    fs::create_symlink("../../..", root_ / "app/up");
    fs::create_symlink("app", root_ / "link-to-app");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::vector<std::string> paths(const std::string& source, const DockerIgnore* ignore = nullptr) {
    std::vector<SourceMatch> matches;
    runtime::Status s = match_sources(root_.string(), source, ignore, &matches);
    EXPECT_TRUE(s) << s.message();
    std::vector<std::string> out;
    for (const SourceMatch& m : matches)
      for (const SourceEntry& e : m.entries) out.push_back(m.path + (e.path.empty() ? "" : ":" + e.path));
    return out;
  }

  fs::path root_;
};

TEST_F(SourceFiles, SymlinksResolveInsideTheTree) {
  std::string r = root_.string();
  EXPECT_EQ(resolve_in_root(r, "/escape/passwd", true), r + "/etc/passwd");
  EXPECT_EQ(resolve_in_root(r, "app/up/a.txt", true), r + "/a.txt");
  EXPECT_EQ(resolve_in_root(r, "../../../etc", true), r + "/etc");
  EXPECT_EQ(resolve_in_root(r, "link-to-app/main.py", true), r + "/app/main.py");
  EXPECT_EQ(resolve_in_root(r, "link-to-app", false), r + "/link-to-app");
  EXPECT_EQ(resolve_in_root(r, "/", true), r);
}

TEST_F(SourceFiles, GlobsMatchInNameOrderAndDirectoriesBringTheirContents) {
  EXPECT_EQ(paths("*.txt"), (std::vector<std::string>{"a.txt", "b.txt"}));
  EXPECT_EQ(paths("app/*.py"), (std::vector<std::string>{"app/main.py", "app/util.py"}));
  EXPECT_EQ(paths("**/*.pyc"), (std::vector<std::string>{"app/__pycache__/main.pyc"}));
  EXPECT_EQ(paths("docs"), (std::vector<std::string>{"docs", "docs:readme.md"}));
  EXPECT_EQ(paths("link-to-app/util.py"), (std::vector<std::string>{"link-to-app/util.py"}));
}

TEST_F(SourceFiles, DockerignoreLeavesOutWhatItExcludes) {
  DockerIgnore ignore;
  ASSERT_TRUE(DockerIgnore::parse("**/__pycache__\n*.txt\n!b.txt\n", ".dockerignore", &ignore));
  std::vector<std::string> all = paths(".", &ignore);
  EXPECT_EQ(std::count(all.begin(), all.end(), ":app/__pycache__"), 0);
  EXPECT_EQ(std::count(all.begin(), all.end(), ":a.txt"), 0);
  EXPECT_EQ(std::count(all.begin(), all.end(), ":b.txt"), 1);
  EXPECT_EQ(std::count(all.begin(), all.end(), ":app/main.py"), 1);
  EXPECT_EQ(paths("*.txt", &ignore), (std::vector<std::string>{"b.txt"}));
  std::vector<SourceMatch> matches;
  EXPECT_EQ(match_sources(root_.string(), "a.txt", &ignore, &matches).message(), "a.txt is excluded by .dockerignore");
  EXPECT_EQ(match_sources(root_.string(), "nothing/here", &ignore, &matches).message(), "nothing/here: no such file or directory");
  EXPECT_EQ(match_sources(root_.string(), "*.none", &ignore, &matches).message(), "*.none: no file matches");
}

TEST_F(SourceFiles, TheDigestChangesWithAFilesContentOnly) {
  auto digest = [&](const std::string& source) {
    std::vector<SourceMatch> matches;
    EXPECT_TRUE(match_sources(root_.string(), source, nullptr, &matches));
    std::string hex;
    EXPECT_TRUE(digest_sources(matches, &hex));
    return hex;
  };
  std::string before = digest("app");
  EXPECT_EQ(digest("app"), before);
  std::ofstream(root_ / "a.txt") << "changed elsewhere\n";
  EXPECT_EQ(digest("app"), before);
  std::ofstream(root_ / "app/util.py") << "changed\n";
  EXPECT_NE(digest("app"), before);
}

}  // namespace
}  // namespace stack::builder
