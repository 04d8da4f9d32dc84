// open_in_root: a container's mount targets found in its root as the container sees them, an image's links never leading out.
#include "runtime/linux/path_in_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace stack::runtime::linux_ {
namespace {

class PathInRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("stack-in-root-" + std::to_string(::getpid()));
    root_ = base_ / "root";
    fs::create_directories(root_ / "etc");
    fs::create_directories(base_ / "host");
    root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
  }
  void TearDown() override {
    ::close(root_fd_);
    fs::remove_all(base_);
  }
  // Where descriptor `fd` is, as the host names it.
  static std::string where(int fd) { return fs::read_symlink(fd_path(fd)).string(); }

  fs::path base_, root_;
  int root_fd_ = -1;
};

TEST_F(PathInRootTest, MissingDirectoriesAndFilesAreMadeUnderTheRoot) {
  ScopedFd dir, file;
  ASSERT_TRUE(open_in_root(root_fd_, "/var/lib/data", PathKind::Directory, dir.out()));
  EXPECT_EQ(where(dir.get()), (root_ / "var/lib/data").string());
  ASSERT_TRUE(open_in_root(root_fd_, "/run/secrets/token", PathKind::File, file.out()));
  EXPECT_TRUE(fs::is_regular_file(root_ / "run/secrets/token"));
  EXPECT_TRUE(fs::is_directory(root_ / "var/lib/data"));
}

TEST_F(PathInRootTest, AnAbsoluteLinkOfTheImageIsTheContainersPathNotTheHosts) {
  // The image's /data -> the host's directory: the container's copy of that
  // path is made, and the host's stays untouched.
  fs::create_symlink(base_ / "host", root_ / "data");
  ScopedFd fd;
  ASSERT_TRUE(open_in_root(root_fd_, "/data/sub", PathKind::Directory, fd.out()));
  EXPECT_FALSE(fs::exists(base_ / "host/sub"));
  EXPECT_TRUE(fs::is_directory(root_ / base_.relative_path() / "host/sub"));
  EXPECT_EQ(where(fd.get()), (root_ / base_.relative_path() / "host/sub").string());
}

TEST_F(PathInRootTest, DotDotInALinkStopsAtTheRoot) {
  fs::create_symlink("../../../../../../../..", root_ / "up");
  ScopedFd fd;
  ASSERT_TRUE(open_in_root(root_fd_, "/up/escaped", PathKind::File, fd.out()));
  EXPECT_TRUE(fs::is_regular_file(root_ / "escaped"));
  EXPECT_FALSE(fs::exists(base_ / "escaped"));
  EXPECT_FALSE(fs::exists("/escaped"));
}

TEST_F(PathInRootTest, ALinkToNothingHasItsTargetMadeInTheRootAndALoopIsAnError) {
  fs::create_symlink("/nowhere/at/all", root_ / "dangling");
  fs::create_symlink("sibling/dir", root_ / "etc/relative");
  ScopedFd a, b, c;
  ASSERT_TRUE(open_in_root(root_fd_, "/dangling/x", PathKind::Directory, a.out()));
  EXPECT_EQ(where(a.get()), (root_ / "nowhere/at/all/x").string());
  EXPECT_FALSE(fs::exists("/nowhere"));
  ASSERT_TRUE(open_in_root(root_fd_, "/etc/relative", PathKind::File, b.out()));
  EXPECT_TRUE(fs::is_regular_file(root_ / "etc/sibling/dir"));
  fs::create_symlink("loop-b", root_ / "loop-a");
  fs::create_symlink("loop-a", root_ / "loop-b");
  Status s = open_in_root(root_fd_, "/loop-a/x", PathKind::Directory, c.out());
  EXPECT_FALSE(s);
}

TEST_F(PathInRootTest, ExistingPathsAreFoundAsTheyAre) {
  fs::create_symlink("etc", root_ / "config");
  ScopedFd fd;
  ASSERT_TRUE(open_in_root(root_fd_, "/config/", PathKind::Directory, fd.out()));
  EXPECT_EQ(where(fd.get()), (root_ / "etc").string());
}

}  // namespace
}  // namespace stack::runtime::linux_
