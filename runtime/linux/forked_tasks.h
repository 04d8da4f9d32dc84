// ForkedTasks: tasks run each in a child forked for it, a few at a time, each telling its parent over a pipe how it went.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace stack::runtime::linux_ {

// How one forked task went, as its parent saw it.
struct ForkedTaskEnd {
  // What the child wrote on its report fd. A report ends at the first NUL
  // (not kept here); what a child wrote before ending without one is here
  // too, with `reported` false.
  std::string report;
  bool reported = false;
  pid_t running = -1;    // reported, and runs on as `runs_on` said: its pid, the caller's to reap
  int exit_code = -1;    // it ended: its exit status; -1 when a signal ended it, or it runs on
  int signal = 0;        // the signal that ended it, if one did
  std::string error;     // it never ran (pipe or fork failed): why; the rest is unset
};

// Runs task(i, report_fd) for i in [0, count), each in a child forked for
// it, at most `parallel` children at a time; the child exits with what the
// task returned. Once a child's report is whole (its NUL came),
// runs_on(i, report) says, in the parent, whether that child goes on
// running (not waited for: its pid in `running`); a child that does not,
// or that closes its report fd without a NUL, is waited for. Returns each
// task's end, in the order of the tasks. The children are forked from a
// thread made for it, where one can be had; both callbacks run there.
std::vector<ForkedTaskEnd> run_forked_tasks(size_t count, size_t parallel, const std::function<int(size_t, int)>& task,
                                            const std::function<bool(size_t, const std::string&)>& runs_on);

// Reaps those of `children` that have ended, without waiting for the
// others, and takes them off the list: a child stays a zombie until then
// (or until we exit and init adopts it).
void reap_ended_children(std::vector<pid_t>* children);

}  // namespace stack::runtime::linux_
