// make_private_directory: the state root's directories made, and tightened, to the mode asked for.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/on_disk.h"

namespace stack::runtime {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

class PrivateDirectoryTest : public testing::Test {
 protected:
  void SetUp() override { fs::remove_all(root_); }
  void TearDown() override {
    ::umask(saved_umask_);
    fs::remove_all(root_);
  }
  fs::path root_ = fs::temp_directory_path() / ("stack-on-disk-" + std::to_string(::getpid()));
  mode_t saved_umask_ = ::umask(022);
};

TEST_F(PrivateDirectoryTest, ANewDirectoryHasTheModeWhateverTheUmaskAndItsParentsAreMade) {
  ::umask(077);
  ASSERT_TRUE(make_private_directory((root_ / "a/root").string(), 0711));
  EXPECT_EQ(mode_of(root_ / "a/root"), 0711u);
  EXPECT_TRUE(fs::is_directory(root_ / "a"));
  ::umask(0);
  ASSERT_TRUE(make_private_directory((root_ / "a/root/volumes").string(), 0700));
  EXPECT_EQ(mode_of(root_ / "a/root/volumes"), 0700u);
}

TEST_F(PrivateDirectoryTest, AnExistingLooserDirectoryIsTightenedAndATighterOneKept) {
  fs::create_directories(root_ / "loose");
  ::chmod((root_ / "loose").c_str(), 0755);
  std::ofstream(root_ / "loose/data") << "kept";
  ASSERT_TRUE(make_private_directory((root_ / "loose").string(), 0711));
  EXPECT_EQ(mode_of(root_ / "loose"), 0711u);
  EXPECT_EQ(read_whole_file((root_ / "loose/data").string()), "kept");
  fs::create_directories(root_ / "tight");
  ::chmod((root_ / "tight").c_str(), 0700);
  ASSERT_TRUE(make_private_directory((root_ / "tight").string(), 0711));
  EXPECT_EQ(mode_of(root_ / "tight"), 0700u) << "a mode an administrator narrowed stays narrow";
  ::chmod((root_ / "tight").c_str(), 01777);
  ASSERT_TRUE(make_private_directory((root_ / "tight").string(), 0700));
  EXPECT_EQ(mode_of(root_ / "tight"), 0700u);
}

TEST_F(PrivateDirectoryTest, AFileInTheWayIsAnError) {
  fs::create_directories(root_);
  std::ofstream(root_ / "file") << "x";
  Status s = make_private_directory((root_ / "file").string(), 0700);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("is not a directory"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace stack::runtime
