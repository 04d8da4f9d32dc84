// PathInRoot: a path of a container found in its root filesystem before pivot_root, as the container will see it: the image's symbolic links followed within the root, never out of it.
#pragma once

#include <string>

#include "runtime/status.h"

namespace stack::runtime::linux_ {

enum class PathKind { Directory, File };

// An O_PATH descriptor (close-on-exec) of `path`, a path as the container
// names it, under the root directory `root_fd`: every symbolic link on the
// way resolved as if that directory were `/` (openat2 RESOLVE_IN_ROOT), so
// that an image's `/data -> /etc` or `../../..` names the container's own
// /etc, never the host's. The parts missing are made: directories, and the
// last an empty file where `kind` is File; a link to nothing has what it
// names made, within the root. Where the kernel has no openat2 (before
// 5.6), an error.
Status open_in_root(int root_fd, const std::string& path, PathKind kind, int* out);

// The name through which mount(2) and the *at calls reach descriptor `fd`.
std::string fd_path(int fd);

// A descriptor closed with its scope.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd();
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  // For a function that opens it: what was held is closed first.
  int* out();
  // Hands it over: no longer closed here.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace stack::runtime::linux_
