#include "runtime/on_disk.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <random>

namespace stack::runtime {
namespace {

Status write_all(int fd, const std::string& content, const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::from_errno("writing " + path);
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

}  // namespace

std::string timestamp_now() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return format_timestamp(now);
}

std::string format_timestamp(const timespec& at) {
  std::tm utc{};
  ::gmtime_r(&at.tv_sec, &utc);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", at.tv_nsec);
  return buf;
}

Status make_directories(const std::string& path) {
  // The whole path first: it usually has a parent already, and every
  // component tried is a system call on a container's start path.
  if (path.empty() || ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::ok();
  if (errno != ENOENT) return Status::from_errno("creating " + path);
  size_t slash = path.find_last_of('/', path.find_last_not_of('/'));
  if (slash == std::string::npos || slash == 0) return Status::from_errno("creating " + path);
  if (Status s = make_directories(path.substr(0, slash)); !s) return s;
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Status::from_errno("creating " + path);
  return Status::ok();
}

Status make_private_directory(const std::string& path, mode_t mode) {
  // mkdir first: on a container's start path the directory is new.
  int made = ::mkdir(path.c_str(), mode);
  if (made != 0 && errno == ENOENT) {
    size_t slash = path.find_last_of('/', path.find_last_not_of('/'));
    if (slash == std::string::npos || slash == 0) return Status::from_errno("creating " + path);
    if (Status s = make_directories(path.substr(0, slash)); !s) return s;
    made = ::mkdir(path.c_str(), mode);
  }
  if (made == 0) {
    // The umask takes the others' bits, not the owner's: 0711 made 0700 under umask 077.
    if ((mode & 077) != 0 && ::chmod(path.c_str(), mode) != 0) return Status::from_errno("setting the mode of " + path);
    return Status::ok();
  }
  if (errno != EEXIST) return Status::from_errno("creating " + path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::from_errno("reading " + path);
  if (!S_ISDIR(st.st_mode)) return Status::error(path + " is not a directory");
  mode_t now = st.st_mode & 07777;
  if ((now & ~mode) == 0) return Status::ok();
  if (::chmod(path.c_str(), now & mode) != 0) return Status::from_errno("setting the mode of " + path);
  return Status::ok();
}

void mark_top_of_trees(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  int flags = 0;
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
    flags |= FS_TOPDIR_FL;
    (void)::ioctl(fd, FS_IOC_SETFLAGS, &flags);
  }
  ::close(fd);
}

namespace {

constexpr const char* kTemporaryInfix = ".tmp-";

}  // namespace

std::optional<int> temporary_file_writer(const std::string& file_name) {
  size_t infix = file_name.rfind(kTemporaryInfix);
  if (infix == std::string::npos || infix == 0) return std::nullopt;
  const char* pid = file_name.c_str() + infix + std::strlen(kTemporaryInfix);
  char* end = nullptr;
  long n = std::strtol(pid, &end, 10);
  if (end == pid || *end != '-' || n <= 0 || n > INT_MAX) return std::nullopt;
  if (end[1] == '\0' || std::strspn(end + 1, "0123456789") != std::strlen(end + 1)) return std::nullopt;
  return static_cast<int>(n);
}

Status write_file_atomically(const std::string& path, const std::string& content, int mode, bool durable) {
  std::string tmp = path + kTemporaryInfix + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::from_errno("creating " + tmp);
  if (Status s = write_all(fd, content, tmp); !s) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  if ((durable && ::fsync(fd) != 0) || ::close(fd) != 0) {
    Status s = Status::from_errno("syncing " + tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::from_errno("renaming " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return s;
  }
  if (!durable) return Status::ok();
  std::string dir = path.substr(0, path.find_last_of('/'));
  if (int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

Status write_file(const std::string& path, const std::string& content, int mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::from_errno("creating " + path);
  if (Status s = write_all(fd, content, path); !s) {
    ::close(fd);
    return s;
  }
  if (::close(fd) != 0) return Status::from_errno("closing " + path);
  return Status::ok();
}

std::optional<std::string> read_whole_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      if (n < 0) return std::nullopt;
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

Status FileLock::acquire(const std::string& path, FileLock* out) { return lock(path, true, out); }

Status FileLock::try_acquire(const std::string& path, FileLock* out) { return lock(path, false, out); }

Status FileLock::lock(const std::string& path, bool wait, FileLock* out) {
  for (;;) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::from_errno("opening lock " + path);
    // A POSIX record lock, not flock(): it belongs to this process and is not
    // inherited by fork, so a shim forked while a lock is held (`up` starts
    // containers under the project's lock) does not keep it for its lifetime.
    struct flock whole {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;
    while (::fcntl(fd, wait ? F_SETLKW : F_SETLK, &whole) != 0) {
      if (errno == EINTR) continue;
      Status s = wait || (errno != EAGAIN && errno != EACCES) ? Status::from_errno("locking " + path)
                                                               : Status::error(path + " is locked by another process");
      ::close(fd);
      return s;
    }
    // A holder that removed the file before letting go (remove_file())
    // leaves a lock on nothing: take the file now at the path instead.
    struct stat held {}, now {};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
      *out = FileLock();
      out->fd_ = fd;
      out->path_ = path;
      return Status::ok();
    }
    ::close(fd);
  }
}

void FileLock::remove_file() {
  if (fd_ >= 0) ::unlink(path_.c_str());
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

}  // namespace stack::runtime
