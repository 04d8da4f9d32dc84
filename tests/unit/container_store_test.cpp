#include "runtime/container_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

class ContainerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = fs::temp_directory_path() / ("stack-store-" + std::to_string(::getpid())); }
  void TearDown() override { fs::remove_all(root_); }

  ContainerRecord make(ContainerStore& store, const std::string& id, const std::string& name, Status* s) {
    ContainerRecord r;
    r.id = id;
    r.name = name;
    *s = store.create(&r);
    return r;
  }

  fs::path root_;
};

TEST_F(ContainerStoreTest, ANameIsTakenOnceFoundByTheIndexAndGivenBack) {
  ContainerStore store(root_.string());
  Status s;
  ContainerRecord web = make(store, std::string(64, 'a'), "p-web-1", &s);
  ASSERT_TRUE(s) << s.message();
  make(store, std::string(64, 'b'), "p-web-1", &s);
  EXPECT_EQ(s.message(), "the container name \"p-web-1\" is already in use by container aaaaaaaaaaaa");
  ContainerRecord found;
  ASSERT_TRUE(store.find("p-web-1", &found));
  EXPECT_EQ(found.id, web.id);
  EXPECT_EQ(fs::read_symlink(root_ / "names/p-web-1"), web.id);
  store.discard(web);
  EXPECT_FALSE(fs::is_symlink(root_ / "names/p-web-1"));
  EXPECT_FALSE(store.find("p-web-1", &found));
  make(store, std::string(64, 'c'), "p-web-1", &s);
  EXPECT_TRUE(s) << s.message();
}

// Where the filesystem has inode flags (ext4, as on the CI machines), the
// store's directory spreads its containers over block groups.
TEST_F(ContainerStoreTest, ContainersDirectoryIsMarkedTopOfTreesWhereTheFilesystemCan) {
  auto inode_flags = [this](int* flags) {
    int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool read = fd >= 0 && ::ioctl(fd, FS_IOC_GETFLAGS, flags) == 0;
    if (fd >= 0) ::close(fd);
    return read;
  };
  fs::create_directories(root_);
  int flags = 0;
  if (!inode_flags(&flags)) GTEST_SKIP() << fs::temp_directory_path() << " has no inode flags";
  ContainerStore store(root_.string());
  Status s;
  make(store, std::string(64, 'a'), "spread", &s);
  ASSERT_TRUE(s) << s.message();
  ASSERT_TRUE(inode_flags(&flags));
  EXPECT_TRUE(flags & FS_TOPDIR_FL);
}

TEST_F(ContainerStoreTest, ANameWhoseContainerVanishedIsFreeAgain) {
  ContainerStore store(root_.string());
  Status s;
  ContainerRecord once = make(store, std::string(64, 'a'), "once", &s);
  ASSERT_TRUE(s);
  fs::remove_all(store.dir(once.id));  // as a --rm runner that died before giving the name back
  ContainerRecord again = make(store, std::string(64, 'b'), "once", &s);
  EXPECT_TRUE(s) << s.message();
  ContainerRecord found;
  ASSERT_TRUE(store.find("once", &found));
  EXPECT_EQ(found.id, again.id);
}

TEST_F(ContainerStoreTest, ContainersMadeBeforeTheIndexAreIndexedOnTheFirstCreate) {
  ContainerStore store(root_.string());
  Status s;
  make(store, std::string(64, 'a'), "old", &s);
  ASSERT_TRUE(s);
  fs::remove_all(root_ / "names");  // a store from before the index
  make(store, std::string(64, 'b'), "old", &s);
  EXPECT_EQ(s.message(), "the container name \"old\" is already in use by container aaaaaaaaaaaa");
  EXPECT_EQ(fs::read_symlink(root_ / "names/old"), std::string(64, 'a'));
}

TEST_F(ContainerStoreTest, AnIdPrefixStillFindsAContainer) {
  ContainerStore store(root_.string());
  Status s;
  make(store, "abcd" + std::string(60, '0'), "named", &s);
  ASSERT_TRUE(s);
  ContainerRecord found;
  ASSERT_TRUE(store.find("abcd", &found));
  EXPECT_EQ(found.name, "named");
}

// Field 22 of /proc/PID/stat, counted after the command name, which may
// hold spaces and parentheses of its own.
TEST(ProcessStartTime, IsTheStatFieldAfterANameWithSpacesAndParentheses) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_NAME, "a) b c", 0, 0, 0);
    (void)!::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i) rest >> field;
  EXPECT_NE(text.find("(a) b c)"), std::string::npos);
  EXPECT_EQ(process_start_time(child), std::stoull(field));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(process_start_time(child), 0u);  // reaped: gone
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace
}  // namespace stack::runtime
