// ContainerLog: a container's output kept as CRI log lines ("TIME STREAM F|P TEXT"), written as it runs, read by `logs`.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

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
class LogWriter {
 public:
  LogWriter() = default;
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  Status open(const std::string& path);
  void write(LogStream stream, std::string_view data);

 private:
  void append(LogStream stream, std::string_view text, bool partial);
  int fd_ = -1;
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
