// ProcessTable: the processes that share a container's pid namespace, as `top` lists them, read from /proc.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace stack::runtime::linux_ {

struct ProcessRow {
  uid_t uid = 0;  // real uid, as the host sees it
  pid_t pid = 0, ppid = 0;  // host pids
  std::string command;  // its arguments, joined by spaces
};

// Every process in the pid namespace of `init_pid`, by pid; empty when
// that process is gone. Read from the host's /proc: the pids are the
// host's, as `docker top` shows them.
std::vector<ProcessRow> processes_in_pid_namespace_of(pid_t init_pid);

}  // namespace stack::runtime::linux_
