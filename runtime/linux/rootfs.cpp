#include "runtime/linux/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

#include "runtime/linux/cgroups.h"
#include "runtime/linux/path_in_root.h"
#include "runtime/on_disk.h"

namespace stack::runtime::linux_ {
namespace {

// Bound over the image's from the container's directory.
constexpr const char* kEtcFiles[] = {"hostname", "hosts", "resolv.conf"};

// An empty file at `path` (of ours, not the image's), with its parents.
Status make_file(const std::string& path) {
  if (Status s = make_directories(path.substr(0, path.rfind('/'))); !s) return s;
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno != EISDIR) return Status::from_errno("creating " + path);
  if (fd >= 0) ::close(fd);
  return Status::ok();
}

// A node of the spec's, replacing whatever the image has at its path.
Status make_device_node(int root_fd, const DeviceNode& d) {
  std::string dir = d.path.substr(0, d.path.rfind('/')), name = d.path.substr(d.path.rfind('/') + 1);
  ScopedFd parent;
  if (Status s = open_in_root(root_fd, dir, PathKind::Directory, parent.out()); !s) return s;
  mode_t type = d.type == 'b' ? S_IFBLK : S_IFCHR;
  dev_t number = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  // Through the parent's path: mknodat and fchownat take no O_PATH
  // descriptor as their directory.
  std::string path = fd_path(parent.get()) + "/" + name;
  ::unlink(path.c_str());
  if (::mknod(path.c_str(), type | (d.file_mode & 07777), number) != 0)
    return Status::from_errno("making device node " + d.path);
  // mknod's mode is masked by the umask; the spec's is meant whole.
  if (::chmod(path.c_str(), d.file_mode & 07777) != 0 || ::lchown(path.c_str(), d.uid, d.gid) != 0)
    return Status::from_errno("setting the mode and owner of device node " + d.path);
  return Status::ok();
}

Status do_mount(const std::string& source, const std::string& target, const char* type, unsigned long flags,
                const std::string& data) {
  if (::mount(source.c_str(), target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0)
    return Status::from_errno(std::string("mounting ") + (type ? type : source.c_str()) + " at " + target);
  return Status::ok();
}

// Splits mount options into flags and the data string the filesystem reads.
void parse_options(const std::vector<std::string>& options, unsigned long* flags, std::string* data, bool* readonly) {
  struct Flag {
    const char* name;
    unsigned long value;
  };
  static const Flag kFlags[] = {{"nosuid", MS_NOSUID}, {"nodev", MS_NODEV},   {"noexec", MS_NOEXEC},
                                {"relatime", MS_RELATIME}, {"strictatime", MS_STRICTATIME},
                                {"bind", MS_BIND},      {"rbind", MS_BIND | MS_REC}};
  for (const std::string& o : options) {
    if (o == "ro") {
      *readonly = true;
      continue;
    }
    if (o == "rw") continue;
    bool known = false;
    for (const Flag& f : kFlags)
      if (o == f.name) *flags |= f.value, known = true;
    if (!known) *data += (data->empty() ? "" : ",") + o;
  }
}

// cgroup v1 controllers mounted on the host, for the container's own view.
std::vector<std::string> v1_controllers() {
  std::vector<std::string> out;
  for (const char* c : {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb",
                        "net_cls", "net_prio", "perf_event"}) {
    std::string path = std::string("/sys/fs/cgroup/") + c + "/cgroup.procs";
    if (::access(path.c_str(), F_OK) == 0) out.emplace_back(c);
  }
  return out;
}

// At `target` (the descriptor path of `destination` under `root_fd`).
Status mount_cgroup_view(int root_fd, const std::string& destination, const std::string& target) {
  if (is_cgroup2("/sys/fs/cgroup"))
    return do_mount("cgroup2", target, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY, "");
  // v1: a tmpfs holding one read-only mount per controller; the cgroup
  // namespace makes each show the container's own cgroup as its root.
  if (Status s = do_mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"); !s) return s;
  // The tmpfs now on top, not the directory under it.
  ScopedFd view;
  if (Status s = open_in_root(root_fd, destination, PathKind::Directory, view.out()); !s) return s;
  for (const std::string& c : v1_controllers()) {
    ScopedFd dir;
    if (Status s = open_in_root(root_fd, destination + "/" + c, PathKind::Directory, dir.out()); !s) return s;
    if (Status s = do_mount("cgroup", fd_path(dir.get()), "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY, c);
        !s)
      return s;
  }
  return do_mount("", fd_path(view.get()), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
}

Status remount_readonly(const std::string& target, unsigned long flags) {
  return do_mount("", target, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & ~(MS_BIND | MS_REC)), "");
}

}  // namespace

Status make_mount_point_layer(const std::string& dir) {
  if (::access(dir.c_str(), F_OK) == 0) return Status::ok();
  std::string tmp = dir + ".tmp-" + std::to_string(::getpid());
  Status s;
  for (const char* d : {"/proc", "/sys", "/dev"})
    if (s) s = make_directories(tmp + d);
  for (const char* f : kEtcFiles)
    if (s) s = make_file(tmp + "/etc/" + f);
  // Another start made it meanwhile: theirs is the same.
  if (s && ::rename(tmp.c_str(), dir.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY)
    s = Status::from_errno("creating " + dir);
  if (::access(tmp.c_str(), F_OK) == 0) std::filesystem::remove_all(tmp);
  return s;
}

Status mount_overlay(const std::vector<std::string>& lower_dirs, const std::string& upper, const std::string& work,
                     const std::string& target) {
  std::string lower;
  for (const std::string& l : lower_dirs) lower += (lower.empty() ? "" : ":") + l;
  std::string data = "lowerdir=" + lower;
  if (!upper.empty()) data += ",upperdir=" + upper + ",workdir=" + work;
  return do_mount("overlay", target, "overlay", upper.empty() ? MS_RDONLY : 0, data);
}

Status prepare_rootfs(const ContainerSpec& spec, const RootfsPaths& paths) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
    return Status::from_errno("making mount propagation slave");
  std::vector<std::string> lower = spec.lower_dirs;
  if (!paths.mount_points.empty()) lower.insert(lower.begin(), paths.mount_points);
  if (Status s = mount_overlay(lower, paths.upper, paths.work, paths.merged); !s) return s;

  // Every path below is the container's, resolved within its root: a
  // symbolic link of the image never leads a mount, a directory or a node
  // made here out to the host (open_in_root).
  ScopedFd root(::open(paths.merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return Status::from_errno("opening " + paths.merged);
  for (const MountSpec& m : spec.mounts) {
    bool file_source = false;
    if (m.type == "bind") {
      struct stat st {};
      if (::stat(m.source.c_str(), &st) != 0) return Status::from_errno("bind mount source " + m.source);
      file_source = !S_ISDIR(st.st_mode);
    }
    ScopedFd at;
    if (Status s = open_in_root(root.get(), m.destination, file_source ? PathKind::File : PathKind::Directory, at.out()); !s)
      return s.with_context("mount at " + m.destination);
    std::string target = fd_path(at.get());
    unsigned long flags = 0;
    std::string options;
    bool readonly = false;
    parse_options(m.options, &flags, &options, &readonly);
    if (m.type == "cgroup") {
      if (Status s = mount_cgroup_view(root.get(), m.destination, target); !s) return s;
      continue;
    }
    if (m.type == "bind") {
      if (Status s = do_mount(m.source, target, nullptr, MS_BIND | (flags & MS_REC), ""); !s) return s.with_context(m.destination);
      if (readonly) {
        // The descriptor is of what was there before; the remount is of
        // the bind now on top.
        ScopedFd mounted;
        if (Status s = open_in_root(root.get(), m.destination, PathKind::Directory, mounted.out()); !s) return s;
        if (Status s = remount_readonly(fd_path(mounted.get()), flags); !s) return s.with_context(m.destination);
      }
      continue;
    }
    if (Status s = do_mount(m.source, target, m.type.c_str(), flags | (readonly ? MS_RDONLY : 0), options); !s)
      return s.with_context(m.destination);
  }

  // Device nodes: the host's, bound in (works where mknod is not allowed).
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    ScopedFd at;
    if (Status s = open_in_root(root.get(), std::string("/dev/") + dev, PathKind::File, at.out()); !s) return s;
    if (Status s = do_mount(std::string("/dev/") + dev, fd_path(at.get()), nullptr, MS_BIND, ""); !s) return s;
  }
  for (const DeviceNode& d : spec.devices)
    if (Status s = make_device_node(root.get(), d); !s) return s;
  ScopedFd dev;
  if (Status s = open_in_root(root.get(), "/dev", PathKind::Directory, dev.out()); !s) return s;
  const std::pair<const char*, const char*> links[] = {{"pts/ptmx", "ptmx"},
                                                       {"/proc/self/fd", "fd"},
                                                       {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"},
                                                       {"/proc/self/fd/2", "stderr"}};
  for (const auto& [to, name] : links)
    if (::symlink(to, (fd_path(dev.get()) + "/" + name).c_str()) != 0 && errno != EEXIST)
      return Status::from_errno(std::string("linking /dev/") + name);

  ScopedFd etc;
  if (Status s = open_in_root(root.get(), "/etc", PathKind::Directory, etc.out()); !s) return s;
  for (const char* file : kEtcFiles) {
    // The image's own link there (Debian's resolv.conf to systemd's) is
    // replaced by the file, never followed.
    std::string path = fd_path(etc.get()) + "/" + file;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) ::unlink(path.c_str());
    ScopedFd at;
    if (Status s = open_in_root(root.get(), std::string("/etc/") + file, PathKind::File, at.out()); !s) return s;
    if (Status s = do_mount(paths.etc_dir + "/" + file, fd_path(at.get()), nullptr, MS_BIND, ""); !s) return s;
  }
  return Status::ok();
}

Status enter_rootfs(const std::string& merged) {
  if (::chdir(merged.c_str()) != 0) return Status::from_errno("entering " + merged);
  // pivot_root(".", ".") stacks the old root under the new one; detaching
  // it leaves no path back to the host's filesystem.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return Status::from_errno("pivot_root into " + merged);
  if (::umount2(".", MNT_DETACH) != 0) return Status::from_errno("detaching the old root");
  if (::chdir("/") != 0) return Status::from_errno("chdir /");
  return Status::ok();
}

Status finish_rootfs(const ContainerSpec& spec) {
  for (const std::string& path : spec.masked_paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    Status s = S_ISDIR(st.st_mode) ? do_mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0")
                                   : do_mount("/dev/null", path, nullptr, MS_BIND, "");
    if (!s) return s;
  }
  for (const std::string& path : spec.readonly_paths) {
    if (::access(path.c_str(), F_OK) != 0) continue;
    if (Status s = do_mount(path, path, nullptr, MS_BIND | MS_REC, ""); !s) return s;
    if (Status s = remount_readonly(path, MS_NOSUID | MS_NODEV | MS_NOEXEC); !s) {
      // Some /proc entries refuse noexec/nosuid changes; read-only is what matters.
      if (Status plain = remount_readonly(path, 0); !plain) return plain;
    }
  }
  if (spec.readonly_rootfs)
    if (Status s = remount_readonly("/", 0); !s) return s;
  return Status::ok();
}

}  // namespace stack::runtime::linux_
