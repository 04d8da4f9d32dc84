// ThisProcess: what `stack` asks of the kernel about its own process: its executable, its process group, its interrupts.
#pragma once

#include <string>

namespace stack::runtime::linux_ {

// The path of the program this process runs (/proc/self/exe); empty when
// the kernel cannot say.
std::string own_executable();

// Makes this process the leader of a process group of its own (unless it
// already is): what it forks from now on is in that group, its caller is not.
void lead_own_process_group();

// SIGKILL to this process's group: this process and what it forked that
// stayed in the group (not a child in a session of its own).
[[noreturn]] void kill_own_process_group();

// From now on SIGINT and SIGTERM (Ctrl-C, `kill`) no longer end this
// process: they are counted, and interrupts_counted() says how many came.
void count_interrupts();
int interrupts_counted();

}  // namespace stack::runtime::linux_
