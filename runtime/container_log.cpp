#include "runtime/container_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "runtime/on_disk.h"

namespace stack::runtime {
namespace {

constexpr size_t kMaxEntry = 16 * 1024;

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the reader went away; the log still gets everything
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string rotated_log_path(const std::string& path, int n) { return n == 0 ? path : path + "." + std::to_string(n); }

bool rotation_due(std::int64_t size, std::size_t entry, std::int64_t max_size) {
  return max_size >= 0 && size > 0 && size + static_cast<std::int64_t>(entry) > max_size;
}

LogWriter::~LogWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status LogWriter::open(const std::string& path, const LogConfig& config) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return Status::from_errno("opening " + path);
  path_ = path;
  max_size_ = config.max_size;
  max_files_ = std::max(config.max_files, 1);
  // A restart goes on where the last run left off.
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? st.st_size : 0;
  return Status::ok();
}

void LogWriter::rotate() {
  // Oldest first, so that each rename replaces a file already moved on
  // (or the one dropped: PATH.N-1).
  for (int n = max_files_ - 1; n >= 1; --n)
    ::rename(rotated_log_path(path_, n - 1).c_str(), rotated_log_path(path_, n).c_str());
  if (max_files_ == 1) ::unlink(path_.c_str());
  // Readers tell a rotation by the new file at PATH, which is why this
  // is a new file rather than the old one truncated.
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;  // goes on in the renamed file rather than lose the output
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
}

void LogWriter::append(LogStream stream, std::string_view text, bool partial) {
  if (fd_ < 0) return;
  std::string line = timestamp_now();
  line += stream == LogStream::Stdout ? " stdout " : " stderr ";
  line += partial ? "P " : "F ";
  line.append(text);
  line += '\n';
  if (rotation_due(size_, line.size(), max_size_)) rotate();
  write_all(fd_, line);
  size_ += static_cast<std::int64_t>(line.size());
}

void LogWriter::write(LogStream stream, std::string_view data) {
  // Whatever one read gave is logged at once: a line cut off (a prompt, a
  // progress bar) shows without waiting for its newline.
  while (!data.empty()) {
    size_t newline = data.find('\n');
    size_t length = std::min(newline == std::string_view::npos ? data.size() : newline, kMaxEntry);
    bool whole = length == newline;
    append(stream, data.substr(0, length), !whole);
    data.remove_prefix(length + (whole ? 1 : 0));
  }
}

void relay_output(const OutputRelay& relay) {
  struct Source {
    int fd;
    LogStream stream;
    int tee;
  };
  Source sources[] = {{relay.out, LogStream::Stdout, relay.tee_out}, {relay.err, LogStream::Stderr, relay.tee_err}};
  int input = relay.input;
  char buf[32 * 1024];
  for (;;) {
    pollfd fds[3];
    nfds_t n = 0;
    for (const Source& s : sources) fds[n++] = {s.fd, POLLIN, 0};
    fds[n++] = {input, POLLIN, 0};
    if (sources[0].fd < 0 && sources[1].fd < 0) break;
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      Source& s = sources[i];
      if (s.fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(s.fd, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {  // EOF, or EIO from a terminal whose last user hung up
        s.fd = -1;
        continue;
      }
      std::string_view data(buf, static_cast<size_t>(got));
      if (relay.log) relay.log->write(s.stream, data);
      if (s.tee >= 0) write_all(s.tee, data);
    }
    if (input >= 0 && fds[2].revents != 0) {
      ssize_t got = ::read(input, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) input = -1;
      else write_all(relay.input_to, std::string_view(buf, static_cast<size_t>(got)));
    }
  }
}

std::optional<LogEntry> parse_log_line(std::string_view line) {
  LogEntry e;
  size_t a = line.find(' ');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = line.find(' ', a + 1);
  if (b == std::string_view::npos || b + 2 > line.size()) return std::nullopt;
  e.time = std::string(line.substr(0, a));
  std::string_view stream = line.substr(a + 1, b - a - 1);
  if (stream == "stdout") e.stream = LogStream::Stdout;
  else if (stream == "stderr") e.stream = LogStream::Stderr;
  else return std::nullopt;
  char tag = line[b + 1];
  if (tag != 'P' && tag != 'F') return std::nullopt;
  e.partial = tag == 'P';
  if (b + 2 < line.size()) e.text = std::string(line.substr(b + 3));
  return e;
}

void read_log_entries(int fd, off_t* offset, const std::function<void(const LogEntry&)>& emit) {
  std::string chunk;
  char buf[64 * 1024];
  off_t at = *offset;
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, at)) > 0; at += n) chunk.append(buf, static_cast<size_t>(n));
  size_t start = 0;
  for (size_t newline; (newline = chunk.find('\n', start)) != std::string::npos; start = newline + 1)
    if (auto entry = parse_log_line(std::string_view(chunk).substr(start, newline - start))) emit(*entry);
  *offset += static_cast<off_t>(start);
}

namespace {

struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileIdentity&) const = default;
};

std::optional<FileIdentity> identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino};
}

std::optional<FileIdentity> identity_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino};
}

// The number n of the kept file PATH.n that is `file` (0: none is, it
// was dropped or is PATH itself); *oldest: the number of the oldest kept.
int rotated_number(const std::string& path, std::optional<FileIdentity> file, int* oldest) {
  int found = 0, n = 1;
  for (; auto id = identity_of(rotated_log_path(path, n)); ++n)
    if (file && *id == *file) found = n;
  *oldest = n - 1;
  return found;
}

}  // namespace

LogReader::~LogReader() {
  if (fd_ >= 0) ::close(fd_);
}

void LogReader::read_file(const std::string& path, const std::function<void(const LogEntry&)>& emit) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  off_t offset = 0;
  read_log_entries(fd, &offset, emit);
  ::close(fd);
}

void LogReader::read_new(const std::function<void(const LogEntry&)>& emit) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return;  // not there yet, or between a rotation's rename and its new file
    offset_ = 0;
    if (first_) {
      // What rotated out before: the kept files older than the one just
      // opened (which a rotation meanwhile may have made PATH.1).
      int oldest = 0;
      int opened = rotated_number(path_, identity_of(fd_), &oldest);
      for (int n = oldest; n > opened; --n) read_file(rotated_log_path(path_, n), emit);
    }
  }
  first_ = false;
  std::optional<FileIdentity> reading = identity_of(fd_);
  // Looked at before the last read of the file: once PATH is another
  // file, the writer writes no more to ours, and reading it to its end
  // gets all it had.
  std::optional<FileIdentity> current = identity_of(path_);
  read_log_entries(fd_, &offset_, emit);
  if (current && reading && *current == *reading) return;
  // Rotated since: ours is PATH.n now, and PATH.n-1 ... PATH.1 came
  // after it; or ours was dropped, and every file kept came after it.
  // Those files and the new PATH are opened before any is read, and kept
  // only if the file the scan started from is still where it was: a
  // rotation moves the oldest first, so then none of them moved either.
  std::vector<int> after;  // oldest first; the last is the new PATH, or -1
  for (int attempt = 0; attempt < 10; ++attempt) {
    for (int fd : after)
      if (fd >= 0) ::close(fd);
    after.clear();
    int oldest = 0;
    int ours = rotated_number(path_, reading, &oldest);
    int from = ours ? ours - 1 : oldest;
    for (int n = from; n >= 1; --n) after.push_back(::open(rotated_log_path(path_, n).c_str(), O_RDONLY | O_CLOEXEC));
    after.push_back(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    int anchor = ours ? ours : from;  // 0: nothing rotated but ours
    std::optional<FileIdentity> anchored = ours ? reading : after.front() >= 0 ? identity_of(after.front()) : std::nullopt;
    if (anchor == 0 || identity_of(rotated_log_path(path_, anchor)) == anchored) break;
  }
  ::close(fd_);
  fd_ = after.back();
  after.pop_back();
  for (int fd : after) {
    if (fd < 0) continue;
    off_t offset = 0;
    read_log_entries(fd, &offset, emit);
    ::close(fd);
  }
  offset_ = 0;
  // Without a new PATH yet (between a rotation's rename and its new file),
  // the next call opens it.
  if (fd_ >= 0) read_log_entries(fd_, &offset_, emit);
}

}  // namespace stack::runtime
