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

TEST_F(Hardening, AnImagesLinksNeverLeadAMountOrASeededVolumeToTheHost) {
  // The image's /data is a link to a host directory's path: a bind, a
  // named volume and a tmpfs under it land in the container's own /data
  // target, made in its root; the host's directory is never written, and
  // never copied into the volume.
  fs::path host = host_data("image-link-target");
  fs::create_directories(root_ / "linked-image" / "mine");
  std::ofstream(root_ / "linked-image" / "mine" / "file") << "mine\n";
  std::ofstream(root_ / "linked-image" / "Dockerfile") << "FROM busybox\nRUN ln -s " << host.string() << " /data\n";
  Outcome r = in_project("linked-image", R"(services:
  app:
    build: .
    command: ["sleep", "30"]
    volumes: ["./mine:/data/sub", "seeded:/data/seed"]
    tmpfs: ["/data/tmp"]
volumes:
  seeded:
)",
                         "$S up -d >/dev/null 2>&1; echo up=$?; "
                         "$S exec -T app sh -c 'readlink /data; cat /data/sub/file; ls -A /data/seed | wc -l; "
                         "ls /data; grep -c \" $(readlink /data)/\" /proc/mounts'; "
                         "$S down -v -t 0 >/dev/null 2>&1; echo down=$?");
  ASSERT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  // The three mounts, at the link's target inside the container.
  EXPECT_NE(r.out.find(host.string() + "\nmine\n0\nseed\nsub\ntmp\n3\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("down=0\n"), std::string::npos) << r.out;
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(host)) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"precious"});
  EXPECT_EQ(slurp(host / "precious"), "keep me\n");
}

}  // namespace
}  // namespace stack_system_test
