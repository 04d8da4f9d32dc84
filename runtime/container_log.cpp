#include "runtime/container_log.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

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

LogWriter::~LogWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status LogWriter::open(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return Status::from_errno("opening " + path);
  return Status::ok();
}

void LogWriter::append(LogStream stream, std::string_view text, bool partial) {
  std::string line = timestamp_now();
  line += stream == LogStream::Stdout ? " stdout " : " stderr ";
  line += partial ? "P " : "F ";
  line.append(text);
  line += '\n';
  if (fd_ >= 0) write_all(fd_, line);
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

}  // namespace stack::runtime
