// copy_image_directory: what seeds a new volume from an image's layers.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/layer_copy.h"
#include "runtime/on_disk.h"

namespace stack::runtime {
namespace {

namespace fs = std::filesystem;

class LayerCopyTest : public testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(root_);
    for (const char* d : {"lower/srv/data/sub", "upper/srv/data", "dest"}) fs::create_directories(root_ / d);
    std::ofstream(root_ / "lower/srv/data/a.txt") << "lower a";
    std::ofstream(root_ / "lower/srv/data/b.txt") << "lower b";
    std::ofstream(root_ / "lower/srv/data/sub/c.txt") << "lower c";
    std::ofstream(root_ / "upper/srv/data/a.txt") << "upper a";
    fs::create_symlink("a.txt", root_ / "upper/srv/data/link");
    ::chmod((root_ / "upper/srv/data/a.txt").c_str(), 0640);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string read(const char* rel) { return read_whole_file((root_ / "dest" / rel).string()).value_or("<none>"); }
  std::vector<std::string> layers() { return {(root_ / "upper").string(), (root_ / "lower").string()}; }

  fs::path root_ = fs::temp_directory_path() / ("stack-layer-copy-" + std::to_string(::getpid()));
};

TEST_F(LayerCopyTest, UpperLayersWinAndModesAndLinksAreKept) {
  ASSERT_TRUE(copy_image_directory(layers(), "/srv/data", (root_ / "dest").string()));
  EXPECT_EQ(read("a.txt"), "upper a");
  EXPECT_EQ(read("b.txt"), "lower b");
  EXPECT_EQ(read("sub/c.txt"), "lower c");
  EXPECT_EQ(fs::read_symlink(root_ / "dest/link"), "a.txt");
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "dest/a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(LayerCopyTest, TheDestinationTakesTheOwnerAndModeOfTheTopmostDirectory) {
  bool root = ::geteuid() == 0;
  ::chmod((root_ / "lower/srv/data").c_str(), 0700);
  ::chmod((root_ / "upper/srv/data").c_str(), 0770);
  if (root) {
    ASSERT_EQ(::chown((root_ / "upper/srv/data").c_str(), 1000, 1001), 0);
  }
  ::chmod((root_ / "dest").c_str(), 0755);
  ASSERT_TRUE(copy_image_directory(layers(), "/srv/data", (root_ / "dest").string()));
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "dest").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0770u);
  if (root) {
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 1001u);
  }
}

TEST_F(LayerCopyTest, NothingAtThePathCopiesNothing) {
  ASSERT_TRUE(copy_image_directory(layers(), "/var/lib/none", (root_ / "dest").string()));
  EXPECT_TRUE(fs::is_empty(root_ / "dest"));
}

TEST_F(LayerCopyTest, WhiteoutsAndOpaqueDirectoriesHideLowerContent) {
  if (::geteuid() != 0) GTEST_SKIP() << "whiteouts (mknod) and trusted.* xattrs need root";
  ASSERT_EQ(::mknod((root_ / "upper/srv/data/b.txt").c_str(), S_IFCHR, makedev(0, 0)), 0);
  fs::create_directories(root_ / "upper/srv/data/sub");
  std::ofstream(root_ / "upper/srv/data/sub/d.txt") << "upper d";
  ASSERT_EQ(::setxattr((root_ / "upper/srv/data/sub").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_TRUE(copy_image_directory(layers(), "/srv/data", (root_ / "dest").string()));
  EXPECT_FALSE(fs::exists(root_ / "dest/b.txt"));
  EXPECT_FALSE(fs::exists(root_ / "dest/sub/c.txt")) << "hidden by the opaque directory above it";
  EXPECT_EQ(read("sub/d.txt"), "upper d");
}

TEST_F(LayerCopyTest, ALinkOnTheWayIsNeverFollowedOutOfTheLayer) {
  // An image's /srv -> (a host directory): seeding /srv/data copies
  // nothing from the host, and the lower layer's data is hidden by it.
  fs::create_directories(root_ / "host/data");
  std::ofstream(root_ / "host/data/secret") << "host's";
  fs::create_directories(root_ / "top");
  fs::create_symlink(root_ / "host", root_ / "top/srv");
  std::vector<std::string> layers = {(root_ / "top").string(), (root_ / "lower").string()};
  ASSERT_TRUE(copy_image_directory(layers, "/srv/data", (root_ / "dest").string()));
  EXPECT_EQ(read("secret"), "<none>");
  EXPECT_EQ(read("b.txt"), "<none>");
  EXPECT_TRUE(fs::is_empty(root_ / "dest"));
}

}  // namespace
}  // namespace stack::runtime
