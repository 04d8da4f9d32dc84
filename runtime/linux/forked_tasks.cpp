#include "runtime/linux/forked_tasks.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <system_error>
#include <thread>

namespace stack::runtime::linux_ {
namespace {

// A child forked for a task and not yet finished with: its report is read
// until its NUL or its end of file.
struct Child {
  size_t index;
  pid_t pid;
  int report_fd;
};

// Waits for `pid` to end and says how it did in `end`.
void wait_for_end(pid_t pid, ForkedTaskEnd* end) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) end->exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) end->signal = WTERMSIG(status);
}

}  // namespace

std::vector<ForkedTaskEnd> run_forked_tasks(size_t count, size_t parallel, const std::function<int(size_t, int)>& task,
                                            const std::function<bool(size_t, const std::string&)>& runs_on) {
  std::vector<ForkedTaskEnd> ends(count);
  if (parallel == 0) parallel = 1;
  std::vector<Child> running;
  // A child whose report came whole may run on (only the caller knows);
  // one that does not, or that ended without a report, is reaped here.
  auto finish = [&](const Child& c) {
    ::close(c.report_fd);
    ForkedTaskEnd& end = ends[c.index];
    size_t nul = end.report.find('\0');
    end.reported = nul != std::string::npos;
    if (end.reported) end.report.resize(nul);
    if (end.reported && runs_on(c.index, end.report)) {
      end.running = c.pid;
      return;
    }
    wait_for_end(c.pid, &end);
  };
  auto read_reports = [&] {
    std::vector<pollfd> fds;
    for (const Child& c : running) fds.push_back({c.report_fd, POLLIN, 0});
    while (::poll(fds.data(), fds.size(), -1) < 0 && errno == EINTR) {
    }
    for (size_t i = fds.size(); i-- > 0;) {
      if (!fds[i].revents) continue;
      Child& c = running[i];
      std::string& report = ends[c.index].report;
      char buf[512];
      ssize_t n = ::read(c.report_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) report.append(buf, static_cast<size_t>(n));
      if (n > 0 && report.find('\0') == std::string::npos) continue;
      finish(c);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  };
  // Forked from a thread of their own: a forked child allocates from the
  // malloc arena of the thread that forked it, which holds little. From
  // the main arena it would reuse chunks strewn over pages the parent
  // freed, and copy each such page on its first write: a fault, a copy
  // and a TLB flush per page, a sixth of all the CPU `up` spent
  // launching 50 containers.
  auto fork_all = [&] {
    for (size_t i = 0; i < count; ++i) {
      while (running.size() >= parallel) read_reports();
      int report[2];
      if (::pipe2(report, O_CLOEXEC) != 0) {
        ends[i].error = std::string("pipe: ") + std::strerror(errno);
        continue;
      }
      // What is buffered now is ours to print, once, not the child's too.
      std::cout.flush();
      std::fflush(nullptr);
      pid_t pid = ::fork();
      if (pid == 0) {
        // Its siblings' report pipes are not its own: a child that runs
        // on would otherwise hold them for as long as it lives.
        ::close(report[0]);
        for (const Child& c : running) ::close(c.report_fd);
        int rc = task(i, report[1]);
        // Only stderr: what stdout's buffer held at the fork (a progress
        // row being drawn by the parent's display thread) is the
        // parent's to print, not ours again.
        std::cerr.flush();
        ::_exit(rc);
      }
      int fork_errno = errno;
      ::close(report[1]);
      if (pid < 0) {
        ends[i].error = std::string("fork: ") + std::strerror(fork_errno);
        ::close(report[0]);
        continue;
      }
      running.push_back({i, pid, report[0]});
    }
    while (!running.empty()) read_reports();
  };
  try {
    std::thread(fork_all).join();
  } catch (const std::system_error&) {  // no thread to be had (a pids limit): from this one, slower
    fork_all();
  }
  return ends;
}

void reap_ended_children(std::vector<pid_t>* children) {
  std::erase_if(*children, [](pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; });
}

}  // namespace stack::runtime::linux_
