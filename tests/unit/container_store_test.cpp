#include "runtime/container_store.h"
#include "runtime/on_disk.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
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

// A pid no process has: a child's, once reaped.
pid_t pid_of_an_ended_process() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

// A record is "creating" until complete(); one whose creator was killed
// before that is removed by the next command (its name free, for `up` to
// create it again), where a complete one is kept as exited.
TEST_F(ContainerStoreTest, ARecordWhoseCreatorDiedBeforeItWasCompleteIsRemovedNotKept) {
  ContainerStore store(root_.string());
  Status s;
  ContainerRecord mine = make(store, std::string(64, 'a'), "p-live-1", &s);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(mine.state, ContainerState::Creating);
  EXPECT_TRUE(mine.incomplete());
  EXPECT_TRUE(mine.starting());  // its creator, this process, is at it
  std::string cgroup_root = (root_ / "no-cgroups").string();
  auto create_and_die = [&](const std::string& id, const std::string& name, bool complete) {
    pid_t child = ::fork();
    if (child == 0) {
      ContainerRecord r;
      r.id = id;
      r.name = name;
      if (!store.create(&r)) ::_exit(1);
      if (complete && !store.complete(&r)) ::_exit(1);
      ::_exit(0);  // as a creator killed right after
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  ASSERT_TRUE(create_and_die(std::string(64, 'b'), "p-half-1", false));
  ASSERT_TRUE(create_and_die(std::string(64, 'c'), "p-made-1", true));

  std::vector<ContainerRecord> reclaimed = store.reclaim_stale(cgroup_root);
  ASSERT_EQ(reclaimed.size(), 2u);
  std::map<std::string, ContainerRecord> by_name;
  for (const ContainerRecord& r : reclaimed) by_name[r.name] = r;
  EXPECT_TRUE(by_name["p-half-1"].incomplete());
  EXPECT_FALSE(by_name["p-made-1"].incomplete());
  ContainerRecord found;
  EXPECT_FALSE(store.find("p-half-1", &found));
  EXPECT_FALSE(fs::exists(store.dir(std::string(64, 'b'))));
  EXPECT_FALSE(fs::is_symlink(root_ / "names/p-half-1"));
  ASSERT_TRUE(store.find("p-made-1", &found));
  EXPECT_EQ(found.state, ContainerState::Exited);
  EXPECT_EQ(found.exit_code, -1);
  ASSERT_TRUE(store.find("p-live-1", &found));
  EXPECT_EQ(found.state, ContainerState::Creating);  // its creator lives: left alone

  ASSERT_TRUE(store.complete(&mine));
  ASSERT_TRUE(store.find("p-live-1", &found));
  EXPECT_EQ(found.state, ContainerState::Created);
  EXPECT_FALSE(found.incomplete());
  make(store, std::string(64, 'd'), "p-half-1", &s);
  EXPECT_TRUE(s) << s.message();
}

TEST(TemporaryFileWriter, IsThePidInTheNamesThatWriteFileAtomicallyGives) {
  EXPECT_EQ(temporary_file_writer("state.json.tmp-1234-987654"), 1234);
  EXPECT_EQ(temporary_file_writer("health.json.tmp-7-1"), 7);
  EXPECT_EQ(temporary_file_writer("state.json"), std::nullopt);
  EXPECT_EQ(temporary_file_writer("state.json.tmp-1234"), std::nullopt);
  EXPECT_EQ(temporary_file_writer("state.json.tmp-1234-"), std::nullopt);
  EXPECT_EQ(temporary_file_writer("state.json.tmp-x-1"), std::nullopt);
  EXPECT_EQ(temporary_file_writer(".tmp-12-1"), std::nullopt);
  // A real one, as the writer names it.
  fs::path dir = fs::temp_directory_path() / ("stack-tmpname-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_TRUE(write_file_atomically((dir / "f").string(), "x"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

// What killed writers leave: their temporary files, and a container
// directory whose first record never got in place. The next command
// removes them; a temporary file whose writer still runs stays.
TEST_F(ContainerStoreTest, LeftoversOfKilledWritersGoAndALiveWritersTemporaryFileStays) {
  ContainerStore store(root_.string());
  Status s;
  ContainerRecord kept = make(store, std::string(64, 'a'), "kept", &s);
  ASSERT_TRUE(s) << s.message();
  ASSERT_TRUE(store.complete(&kept));
  std::string dead = std::to_string(pid_of_an_ended_process());
  std::string live = std::to_string(::getpid());
  auto touch = [](const fs::path& p) { std::ofstream(p) << "{"; };
  fs::path kept_dir = store.dir(kept.id);
  touch(kept_dir / ("state.json.tmp-" + dead + "-1"));
  touch(kept_dir / ("state.json.tmp-" + live + "-2"));
  // This process's pid, but the file is older than this process: written
  // by another process that had the pid before.
  fs::path reused = kept_dir / ("health.json.tmp-" + live + "-3");
  touch(reused);
  fs::last_write_time(reused, fs::file_time_type::clock::now() - std::chrono::hours(24 * 365));
  fs::path half_made = root_ / std::string(64, 'b');
  fs::create_directories(half_made);
  touch(half_made / ("state.json.tmp-" + dead + "-4"));
  fs::path empty = root_ / std::string(64, 'c');
  fs::create_directories(empty);
  fs::path being_written = root_ / std::string(64, 'e');
  fs::create_directories(being_written);
  touch(being_written / ("state.json.tmp-" + live + "-5"));

  store.remove_leftovers();
  EXPECT_FALSE(fs::exists(kept_dir / ("state.json.tmp-" + dead + "-1")));
  EXPECT_TRUE(fs::exists(kept_dir / ("state.json.tmp-" + live + "-2")));
  EXPECT_FALSE(fs::exists(reused));
  EXPECT_TRUE(fs::exists(kept_dir / "state.json"));
  EXPECT_FALSE(fs::exists(half_made));
  EXPECT_FALSE(fs::exists(empty));
  EXPECT_TRUE(fs::exists(being_written / ("state.json.tmp-" + live + "-5")));
  EXPECT_TRUE(fs::is_directory(root_ / "names"));
  EXPECT_TRUE(fs::exists(root_ / "lock"));
  ContainerRecord found;
  ASSERT_TRUE(store.find("kept", &found));
  EXPECT_EQ(found.state, ContainerState::Created);
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
