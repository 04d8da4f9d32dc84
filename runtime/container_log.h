// ContainerLog: a container's output kept as CRI log lines ("TIME STREAM F|P TEXT"), written as it runs, read by `logs`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/log_options.h"
#include "runtime/status.h"

namespace stack::runtime {

enum class LogStream { Stdout, Stderr };

struct LogEntry {
  std::string time;  // RFC 3339 with nanoseconds
  LogStream stream = LogStream::Stdout;
  bool partial = false;  // "P": the text goes on in the next entry; "F": a whole line
  std::string text;      // without its newline
};

// Appends output to a log file, one entry per line. A line longer than
// 16 KiB, or output that stops short of a newline, becomes partial
// entries, so that reading the log gives back the bytes written.
//
// Rotated as Docker's json-file driver rotates: when an entry would take
// the file past max_size, PATH.N-2 becomes PATH.N-1 ... PATH becomes
// PATH.1 and a new PATH begins, N = max_files files in all (with one
// file, the old one is dropped). One writer at a time: the processes that
// write a container's log (its shim, the supervisor it execs, `run` in the
// foreground) follow one another.
class LogWriter {
 public:
  LogWriter() = default;
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  Status open(const std::string& path, const LogConfig& config = {});
  void write(LogStream stream, std::string_view data);

 private:
  void append(LogStream stream, std::string_view text, bool partial);
  void rotate();
  int fd_ = -1;
  std::string path_;
  std::int64_t size_ = 0;
  std::int64_t max_size_ = -1;
  int max_files_ = 1;
};

// PATH.n: the n-th newest file a rotated log kept (0: PATH itself).
std::string rotated_log_path(const std::string& path, int n);
// Whether an entry of `entry` bytes goes into a new file: the current one
// has something and would grow past `max_size` (-1: never).
bool rotation_due(std::int64_t size, std::size_t entry, std::int64_t max_size);

// Reads a log as LogWriter writes it, across its rotations: each call
// gives what was written since the last, oldest first; the first gives
// every entry of every file kept. A rotation between two calls is followed
// into the files that came after, as long as they are still kept.
class LogReader {
 public:
  explicit LogReader(std::string path) : path_(std::move(path)) {}
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  void read_new(const std::function<void(const LogEntry&)>& emit);
  // Whether a call found the log there and read it.
  bool started() const { return !first_; }

 private:
  void read_file(const std::string& path, const std::function<void(const LogEntry&)>& emit) const;
  std::string path_;
  int fd_ = -1;
  off_t offset_ = 0;
  bool first_ = true;
};

// Where a container's output goes while it runs.
struct OutputRelay {
  int out = -1, err = -1;            // read ends of its stdout and stderr (or a terminal master as `out`)
  LogWriter* log = nullptr;          // may be null
  int tee_out = -1, tee_err = -1;    // copies, e.g. our own stdout and stderr
  int input = -1, input_to = -1;     // our stdin, copied to the container's (a terminal master)
};

// Copies until `out` and `err` are both closed (or the terminal hangs up).
void relay_output(const OutputRelay& relay);

std::optional<LogEntry> parse_log_line(std::string_view line);

// Reads the whole entries in `fd` from *offset on, calling `emit` for each,
// and moves *offset past them; a line still being written is left for later.
void read_log_entries(int fd, off_t* offset, const std::function<void(const LogEntry&)>& emit);

}  // namespace stack::runtime
