#include "builder/file_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/layer_unpacker.h"

namespace stack::builder {
namespace {

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool is_directory(const std::string& host_path) {
  struct stat st {};
  return ::stat(host_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status copy_contents(int in, int out, const std::string& what) {
  while (true) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n == 0) return Status::ok();
    if (n > 0) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return Status::from_errno("copying " + what);
    break;
  }
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n == 0) return Status::ok();
    if (n < 0) return Status::from_errno("reading " + what);
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0) return Status::from_errno("writing " + what);
      done += w;
    }
  }
}

struct DirectoryTime {
  std::string host_path;
  struct timespec mtime;
};

class Copier {
 public:
  Copier(const std::string& rootfs, const CopyOwnership& owner) : rootfs_(rootfs), owner_(owner) {}

  // `target` absolute in the rootfs; its parent exists.
  Status copy(const SourceEntry& e, const std::string& target) {
    std::string host = resolve_in_root(rootfs_, parent_of(target), true) + "/" + base_of(target);
    uid_t uid = owner_.uid ? *owner_.uid : owner_.keep_source_owner ? e.st.st_uid : 0;
    gid_t gid = owner_.gid ? *owner_.gid : owner_.keep_source_owner ? e.st.st_gid : 0;
    mode_t mode = owner_.mode ? *owner_.mode : e.st.st_mode & 07777;
    struct stat existing {};
    bool exists = ::lstat(host.c_str(), &existing) == 0;
    if (S_ISDIR(e.st.st_mode)) {
      if (exists && S_ISDIR(existing.st_mode)) return Status::ok();
      if (exists && ::unlink(host.c_str()) != 0) return Status::from_errno("replacing " + target);
      if (::mkdir(host.c_str(), 0700) != 0) return Status::from_errno("creating " + target);
      if (::lchown(host.c_str(), uid, gid) != 0 || ::chmod(host.c_str(), mode) != 0)
        return Status::from_errno("setting the owner and mode of " + target);
      times_.push_back({host, e.st.st_mtim});
      return Status::ok();
    }
    if (!S_ISREG(e.st.st_mode) && !S_ISLNK(e.st.st_mode)) return Status::ok();  // devices, sockets, fifos
    if (exists && S_ISDIR(existing.st_mode)) return Status::error("cannot replace the directory " + target + " with a file");
    if (exists && ::unlink(host.c_str()) != 0) return Status::from_errno("replacing " + target);
    struct timespec times[2] = {e.st.st_mtim, e.st.st_mtim};
    if (S_ISLNK(e.st.st_mode)) {
      if (::symlink(e.link_target.c_str(), host.c_str()) != 0) return Status::from_errno("creating the symlink " + target);
      if (::lchown(host.c_str(), uid, gid) != 0) return Status::from_errno("setting the owner of " + target);
      ::utimensat(AT_FDCWD, host.c_str(), times, AT_SYMLINK_NOFOLLOW);
      return Status::ok();
    }
    int in = ::open(e.host_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return Status::from_errno("reading " + e.host_path);
    int out = ::open(host.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
      ::close(in);
      return Status::from_errno("creating " + target);
    }
    Status s = copy_contents(in, out, target);
    if (s && (::fchown(out, uid, gid) != 0 || ::fchmod(out, mode) != 0))
      s = Status::from_errno("setting the owner and mode of " + target);
    if (s) ::futimens(out, times);
    ::close(in);
    ::close(out);
    return s;
  }

  // Directories' times last: copying into them changed them.
  void finish() {
    for (auto it = times_.rbegin(); it != times_.rend(); ++it) {
      struct timespec times[2] = {it->mtime, it->mtime};
      ::utimensat(AT_FDCWD, it->host_path.c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
  }

  uid_t uid() const { return owner_.uid.value_or(0); }
  gid_t gid() const { return owner_.gid.value_or(0); }

 private:
  std::string rootfs_;
  CopyOwnership owner_;
  std::vector<DirectoryTime> times_;
};

}  // namespace

Status make_directory_in(const std::string& rootfs, const std::string& path, uid_t uid, gid_t gid) {
  std::string prefix;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    prefix += "/" + part;
    std::string host = resolve_in_root(rootfs, prefix, true);
    struct stat st {};
    if (::stat(host.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return Status::error(prefix + " is not a directory");
      continue;
    }
    if (::mkdir(host.c_str(), 0755) != 0 || ::lchown(host.c_str(), uid, gid) != 0 || ::chmod(host.c_str(), 0755) != 0)
      return Status::from_errno("creating " + prefix);
  }
  return Status::ok();
}

Status copy_sources(const std::vector<SourceMatch>& matches, const std::string& rootfs, const std::string& dest,
                    const CopyOwnership& owner, bool unpack) {
  std::string target = strip_trailing_slashes(dest);
  bool into = dest.back() == '/' || is_directory(resolve_in_root(rootfs, target, true));
  bool several = matches.size() > 1;
  if (several && !into)
    return Status::error("several sources need a directory destination ending in '/', not " + dest);
  Copier copier(rootfs, owner);
  for (const SourceMatch& m : matches) {
    const SourceEntry& top = m.entries.front();
    if (unpack && !m.downloaded && S_ISREG(top.st.st_mode)) {
      if (Status s = make_directory_in(rootfs, target, copier.uid(), copier.gid()); !s) return s;
      bool not_an_archive = false;
      if (Status s = runtime::extract_archive(top.host_path, resolve_in_root(rootfs, target, true), &not_an_archive); !s)
        return s;
      if (!not_an_archive) continue;
    }
    if (m.directory()) {
      if (Status s = make_directory_in(rootfs, target, copier.uid(), copier.gid()); !s) return s;
      for (size_t i = 1; i < m.entries.size(); ++i)
        if (Status s = copier.copy(m.entries[i], (target == "/" ? "" : target) + "/" + m.entries[i].path); !s) return s;
      continue;
    }
    std::string file = into ? (target == "/" ? "" : target) + "/" + base_of("/" + m.path) : target;
    if (Status s = make_directory_in(rootfs, parent_of(file), copier.uid(), copier.gid()); !s) return s;
    if (Status s = copier.copy(top, file); !s) return s;
  }
  copier.finish();
  return Status::ok();
}

}  // namespace stack::builder
