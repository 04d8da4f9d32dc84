// Unit tests of LayerPacker: a directory packed and unpacked again is the same tree; deletions become whiteouts; the same tree gives the same digest.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/layer_packer.h"
#include "runtime/layer_unpacker.h"

namespace stack::runtime {
namespace {

namespace fs = std::filesystem;

class LayerPacker : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("stack-packer-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "upper/app/bin");
    std::ofstream(root_ / "upper/app/bin/run") << "#!/bin/sh\necho run\n";
    fs::permissions(root_ / "upper/app/bin/run", fs::perms(0755));
    std::ofstream(root_ / "upper/app/config") << "key=value\n";
    fs::create_hard_link(root_ / "upper/app/config", root_ / "upper/app/config.link");
    fs::create_symlink("bin/run", root_ / "upper/app/start");
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(LayerPacker, APackedTreeUnpacksToTheSameTreeAndTheSameTreeGivesTheSameDigest) {
  std::string first, second;
  ASSERT_TRUE(pack_layer((root_ / "upper").string(), (root_ / "a.tar").string(), &first));
  ASSERT_TRUE(pack_layer((root_ / "upper").string(), (root_ / "b.tar").string(), &second));
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.rfind("sha256:", 0), 0u);
  fs::create_directories(root_ / "out");
  Status s = unpack_layer((root_ / "a.tar").string(), (root_ / "out").string());
  ASSERT_TRUE(s) << s.message();
  std::ifstream run(root_ / "out/app/bin/run");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(run), {}), "#!/bin/sh\necho run\n");
  EXPECT_EQ(fs::status(root_ / "out/app/bin/run").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_EQ(fs::read_symlink(root_ / "out/app/start"), "bin/run");
  EXPECT_EQ(fs::hard_link_count(root_ / "out/app/config"), 2u);
  std::ofstream(root_ / "upper/app/config", std::ios::app) << "more\n";
  ASSERT_TRUE(pack_layer((root_ / "upper").string(), (root_ / "c.tar").string(), &second));
  EXPECT_NE(first, second);
}

TEST_F(LayerPacker, DeletionsBecomeWhiteoutsThatUnpackAsOverlayDeletionsAgain) {
  if (::geteuid() != 0) GTEST_SKIP() << "overlay whiteouts (0:0 devices, trusted xattrs) need root";
  ASSERT_EQ(::mknod((root_ / "upper/app/removed").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  fs::create_directories(root_ / "upper/cache");
  ASSERT_EQ(::setxattr((root_ / "upper/cache").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  std::string diff_id;
  ASSERT_TRUE(pack_layer((root_ / "upper").string(), (root_ / "w.tar").string(), &diff_id));
  std::string listing;
  FILE* p = ::popen(("tar -tf " + (root_ / "w.tar").string()).c_str(), "r");
  for (char buf[256]; std::fgets(buf, sizeof buf, p);) listing += buf;
  ::pclose(p);
  EXPECT_NE(listing.find("app/.wh.removed\n"), std::string::npos) << listing;
  EXPECT_NE(listing.find("cache/.wh..wh..opq\n"), std::string::npos) << listing;
  fs::create_directories(root_ / "out");
  ASSERT_TRUE(unpack_layer((root_ / "w.tar").string(), (root_ / "out").string()));
  struct stat st {};
  ASSERT_EQ(::lstat((root_ / "out/app/removed").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  char opaque[2] = {};
  EXPECT_EQ(::getxattr((root_ / "out/cache").c_str(), "trusted.overlay.opaque", opaque, sizeof opaque), 1);
}

TEST_F(LayerPacker, AGzippedLayerIsSmallerTheSameEveryTimeAndDecompressesToTheSameDiffId) {
  // Compressible content, as layers mostly are.
  std::ofstream(root_ / "upper/app/data") << std::string(200000, 'x');
  std::string diff_id, first, second, again;
  std::int64_t size = 0, second_size = 0;
  ASSERT_TRUE(pack_layer((root_ / "upper").string(), (root_ / "layer.tar").string(), &diff_id));
  ASSERT_TRUE(gzip_layer((root_ / "layer.tar").string(), (root_ / "a.gz").string(), &first, &size));
  ASSERT_TRUE(gzip_layer((root_ / "layer.tar").string(), (root_ / "b.gz").string(), &second, &second_size));
  EXPECT_EQ(first, second);
  EXPECT_NE(first, diff_id);
  EXPECT_EQ(size, static_cast<std::int64_t>(fs::file_size(root_ / "a.gz")));
  EXPECT_LT(size * 10, static_cast<std::int64_t>(fs::file_size(root_ / "layer.tar")));
  ASSERT_TRUE(decompress_layer((root_ / "a.gz").string(), (root_ / "back.tar").string(), &again));
  EXPECT_EQ("sha256:" + again, diff_id);
}

}  // namespace
}  // namespace stack::runtime
