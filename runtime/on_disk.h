// On-disk state: atomic file writes (temp, fsync, rename), reads and exclusive locks for the stores under STACK_ROOT.
#pragma once

#include <sys/types.h>

#include <optional>
#include <ctime>
#include <string>

#include "runtime/status.h"

namespace stack::runtime {

// Writes `content` to `path` so that a reader sees the old or the new file,
// never a part: write a temporary beside it, fsync, rename, fsync the
// directory. Without `durable` the fsyncs are skipped (for state that
// does not need to survive a crash of the host).
Status write_file_atomically(const std::string& path, const std::string& content, int mode = 0644,
                             bool durable = true);

// The pid of the process that made a temporary file of
// write_file_atomically, from the file's name (`NAME.tmp-PID-N`); nullopt
// for any other name. A killed writer leaves its temporary file behind.
std::optional<int> temporary_file_writer(const std::string& file_name);

// Writes `content` to `path` (created or truncated) without syncing: for
// files that do not outlive the container they belong to.
Status write_file(const std::string& path, const std::string& content, int mode = 0644);

std::optional<std::string> read_whole_file(const std::string& path);

// The current UTC time as RFC 3339 with nanoseconds ("2026-11-24T14:13:14.123456789Z"):
// fixed width, so that records sort by it as strings.
std::string timestamp_now();
// The same form for another time.
std::string format_timestamp(const timespec& at);

// mkdir -p (mode 0755); an absolute path.
Status make_directories(const std::string& path);

// Makes `path` a directory of exactly `mode` (missing parents 0755, as
// make_directories), whatever the umask takes from group and others; when
// it exists, takes away the
// bits that `mode` does not have (a tree an older stack made readable by
// everyone), leaving it no looser than `mode`. For the state root and the
// stores under it, which hold other users' data.
Status make_private_directory(const std::string& path, mode_t mode);

// Marks `dir` as the top of unrelated directory trees (chattr +T), so that
// ext2/3/4 place its subdirectories in block groups of their own rather
// than all in its group. Does nothing on other filesystems.
void mark_top_of_trees(const std::string& dir);

// An exclusive lock on `path` (created if needed), held by this process
// (a POSIX record lock: not inherited by fork), released on destruction.
class FileLock {
 public:
  static Status acquire(const std::string& path, FileLock* out);
  // Fails at once when another process holds it.
  static Status try_acquire(const std::string& path, FileLock* out);
  FileLock() = default;
  ~FileLock();
  FileLock(FileLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;

  // Removes the lock's file while it is held (for a lock per object that
  // should not outlive it); a waiter then takes the next file at the path.
  void remove_file();

 private:
  static Status lock(const std::string& path, bool wait, FileLock* out);
  int fd_ = -1;
  std::string path_;
};

}  // namespace stack::runtime
