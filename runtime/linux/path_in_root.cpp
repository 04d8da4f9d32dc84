#include "runtime/linux/path_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace stack::runtime::linux_ {
namespace {

// Links to nothing followed while making a path; as the kernel's limit.
constexpr int kMaxLinks = 40;

int open_resolved(int root_fd, const std::string& relative) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // EAGAIN: a mount or rename somewhere raced a ".." of the walk (other
  // containers start meanwhile); the kernel asks for another try.
  for (int attempt = 0;; ++attempt) {
    int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, relative.empty() ? "." : relative.c_str(), &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN || attempt == 128) return fd;
  }
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  for (size_t at = 0; at < path.size();) {
    size_t end = path.find('/', at);
    if (end == std::string::npos) end = path.size();
    if (end > at && path.compare(at, end - at, ".") != 0) out.push_back(path.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

Status open_following(int root_fd, const std::string& path, PathKind kind, int* out, int links_followed);

}  // namespace

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

int* ScopedFd::out() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return &fd_;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Status open_in_root(int root_fd, const std::string& path, PathKind kind, int* out) {
  return open_following(root_fd, path, kind, out, 0);
}

namespace {

Status open_following(int root_fd, const std::string& path, PathKind kind, int* out, int links_followed) {
  std::vector<std::string> parts = components(path);
  std::string relative;
  for (const std::string& p : parts) relative += (relative.empty() ? "" : "/") + p;
  // Usually all there: one call.
  int fd = open_resolved(root_fd, relative);
  if (fd >= 0) {
    *out = fd;
    return Status::ok();
  }
  if (errno == ENOSYS) return Status::error(path + ": this kernel has no openat2 (5.6 or later) to resolve it within the container");
  if (errno != ENOENT) return Status::from_errno("resolving " + path + " in the container");
  // The first missing part is made in its parent as resolved so far, and
  // so on down: each parent is a real directory under the root.
  ScopedFd parent(open_resolved(root_fd, ""));
  if (parent.get() < 0) return Status::from_errno("opening the container's root");
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    prefix += (prefix.empty() ? "" : "/") + parts[i];
    int next = open_resolved(root_fd, prefix);
    if (next < 0 && errno == ENOENT) {
      bool file = kind == PathKind::File && i + 1 == parts.size();
      int made = file ? ::openat(parent.get(), parts[i].c_str(), O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)
                      : ::mkdirat(parent.get(), parts[i].c_str(), 0755);
      if (made < 0 && errno == EEXIST) {
        // There, yet not found: a symbolic link to nothing. What it names
        // is made, within the root, as Docker makes it.
        char target[4096];
        ssize_t n = ::readlinkat(parent.get(), parts[i].c_str(), target, sizeof target - 1);
        if (n <= 0) return Status::from_errno("reading the link /" + prefix + " in the container");
        std::string to(target, static_cast<size_t>(n));
        if (links_followed >= kMaxLinks) return Status::error(path + ": /" + prefix + " is one link too many (" + to + ")");
        std::string next = to[0] == '/' ? to : "/" + prefix.substr(0, prefix.size() - parts[i].size()) + to;
        for (size_t j = i + 1; j < parts.size(); ++j) next += "/" + parts[j];
        return open_following(root_fd, next, kind, out, links_followed + 1);
      }
      if (made < 0) return Status::from_errno("creating /" + prefix + " in the container");
      if (file) ::close(made);
      next = open_resolved(root_fd, prefix);
    }
    if (next < 0) return Status::from_errno("resolving /" + prefix + " in the container");
    *parent.out() = next;
  }
  *out = parent.release();
  return Status::ok();
}

}  // namespace

}  // namespace stack::runtime::linux_
