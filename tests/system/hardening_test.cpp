// System tests (root) of what stack refuses to do to the host: names and
// links that lead out of STACK_ROOT. Each runs in a private network and
// mount namespace with a private STACK_ROOT.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class Hardening : public Container {
 protected:
  // A host directory outside STACK_ROOT holding one file, as a user's data.
  fs::path host_data(const std::string& name) {
    fs::path dir = root_ / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "precious") << "keep me\n";
    return dir;
  }
};

TEST_F(Hardening, AVolumeNameThatLeavesTheRootIsRefusedAndDownDeletesNothing) {
  fs::path data = host_data("srv-data");
  // From the project directory STACK_ROOT/../<project>, this name is the host directory above.
  std::string traversal = "../../srv-data";
  Outcome r = in_project("escape", "services:\n  app:\n    image: busybox\n    command: [\"sleep\", \"30\"]\n"
                                   "    volumes: [\"data:/data\"]\nvolumes:\n  data:\n    name: " + traversal + "\n",
                         "$S up -d; echo up=$?; $S down -v -t 0; echo down=$?");
  EXPECT_NE(r.out.find("up=1"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("volumes.data.name"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("Volume"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(data / "precious"));
  EXPECT_TRUE(fs::is_empty(root_ / "state" / "volumes")) << "up made a volume";
}

TEST_F(Hardening, AVolumeWhoseDirectoryLinksOutOfTheRootIsNeitherMountedNorDeleted) {
  fs::path data = host_data("linked-data");
  // What another user or an older tool could leave in STACK_ROOT/volumes.
  fs::path volume = root_ / "state" / "volumes" / "linked_data";
  fs::create_directories(volume);
  fs::create_directory_symlink(data, volume / "_data");
  Outcome r = in_project("linked", R"(services:
  app:
    image: busybox
    command: ["sh", "-c", "echo written > /data/precious; sleep 30"]
    volumes: ["data:/data"]
volumes:
  data:
    name: linked_data
)",
                         "$S up -d; echo up=$?; $S ps -a -q | wc -l; $S down -v -t 0; echo down=$?");
  EXPECT_NE(r.out.find("up=1\n0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("volume linked_data"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(data / "precious"), "keep me\n");
  EXPECT_TRUE(fs::is_symlink(volume / "_data"));
  fs::remove_all(volume);
}

}  // namespace
}  // namespace stack_system_test
