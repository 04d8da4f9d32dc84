#include "runtime/path_beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace stack::runtime {
namespace {

std::string quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name.substr(0, 80)) out += (c == '\0' ? '?' : c);
  return out + (name.size() > 80 ? "...\"" : "\"");
}

// openat2 with RESOLVE_BENEATH from `root_fd`: 0 when it resolves beneath
// the root, else the errno (EXDEV when it would leave it, ENOENT when a
// part is missing, ENOSYS on kernels before 5.6).
int open_beneath(int root_fd, const std::string& relative) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how));
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

}  // namespace

Status path_beneath(const std::string& root, std::initializer_list<std::string_view> names, std::string* out) {
  std::string path = root;
  for (std::string_view name : names) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
        name.find('\0') != std::string_view::npos)
      return Status::error("the name " + quoted(name) + " is not a plain file name and would lead outside " + root);
    path += '/';
    path += name;
  }
  *out = std::move(path);
  return Status::ok();
}

Status resolves_beneath(const std::string& root, const std::string& path) {
  if (path.compare(0, root.size(), root) != 0 || (path.size() > root.size() && path[root.size()] != '/'))
    return Status::error(path + " is not under " + root);
  int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return errno == ENOENT ? Status::ok() : Status::from_errno("opening " + root);
  // The longest part of the path that exists decides: look at it, then at
  // each parent in turn while the part looked at is missing.
  std::filesystem::path relative = std::filesystem::path(path.substr(root.size())).relative_path();
  int err = ENOENT;
  while (!relative.empty()) {
    err = open_beneath(root_fd, relative.string());
    if (err != ENOENT) break;
    relative = relative.parent_path();
  }
  ::close(root_fd);
  if (relative.empty() || err == 0) return Status::ok();
  if (err == ENOSYS) {
    // No openat2: the canonical path, links followed, says the same.
    std::error_code ec;
    std::string resolved = std::filesystem::weakly_canonical(path, ec).string();
    std::string canonical_root = std::filesystem::weakly_canonical(root, ec).string();
    if (!ec && resolved.compare(0, canonical_root.size(), canonical_root) == 0 &&
        (resolved.size() == canonical_root.size() || resolved[canonical_root.size()] == '/'))
      return Status::ok();
    return Status::error(path + " leads outside " + root + " through a symbolic link");
  }
  if (err == EXDEV || err == ELOOP) return Status::error(path + " leads outside " + root + " through a symbolic link");
  return Status::from_errno("resolving " + path, err);
}

}  // namespace stack::runtime
