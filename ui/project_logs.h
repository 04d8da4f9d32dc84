// ProjectLogs: several containers' logs merged in time order, each line prefixed with its container, as `stack logs` and attached `up` print them.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/container_log.h"
#include "runtime/container_store.h"

namespace stack::ui {

struct LogView {
  bool timestamps = false;
  bool color = false;   // ANSI colors per container prefix
  bool prefix = true;   // "web-1  | "
  long tail = -1;       // per container, at first read; -1: all
  std::string since;    // RFC 3339 time; entries before it are left out
};

class ProjectLogs {
 public:
  ProjectLogs(runtime::ContainerStore store, LogView view) : store_(std::move(store)), view_(std::move(view)) {}
  ProjectLogs(const ProjectLogs&) = delete;
  ProjectLogs& operator=(const ProjectLogs&) = delete;

  // Follows the container named `name` from now on, shown as `label`. By
  // name: a container recreated under it is followed into its new log.
  void add(const std::string& name, const std::string& label);
  bool has(const std::string& name) const;

  // Prints every whole entry written since the last call, in time order.
  void print_new();

 private:
  struct Source {
    std::string name, label, id, color;
    std::unique_ptr<runtime::LogReader> log;  // of the container `id`
    bool at_line_start = true;
  };
  void reopen_if_recreated(Source& s);
  void read_source(Source& s, std::vector<std::pair<Source*, runtime::LogEntry>>* out);

  runtime::ContainerStore store_;
  LogView view_;
  std::vector<Source> sources_;
  size_t width_ = 0;
};

// --tail's argument: a number of lines, or "all" (-1). Nullopt for
// anything else.
std::optional<long> parse_tail(const std::string& text);

// "10m", "2h", "30s" ago, or an RFC 3339 time, as the fixed-width UTC
// form the logs are written in; empty for text that is neither.
std::string since_timestamp(const std::string& text);

}  // namespace stack::ui
