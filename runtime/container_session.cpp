#include "runtime/container_session.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <filesystem>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "runtime/container_log.h"
#include "runtime/health_check.h"
#include "runtime/restart_policy.h"
#include "runtime/shim_handover.h"
#include "runtime/linux/exec_process.h"
#include "runtime/linux/seccomp_filter.h"
#include "runtime/on_disk.h"

namespace stack::runtime {
namespace {

// Copies our stdin into the container's stdin pipe on a thread of its
// own, until either ends or the pump is stopped, then closes the pipe so
// that the container reads the end of its input. A thread, so that a
// container that does not read its input never holds up its output.
class InputPump {
 public:
  // Takes `to`, our end of the pipe.
  InputPump(int from, int to) : from_(from), to_(to), wake_(::eventfd(0, EFD_CLOEXEC)) {
    thread_ = std::thread([this] { pump(); });
  }
  ~InputPump() {
    uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);
    thread_.join();
    ::close(wake_);
  }
  InputPump(const InputPump&) = delete;
  InputPump& operator=(const InputPump&) = delete;

 private:
  void pump() {
    // A container gone before its input makes our write fail with EPIPE
    // rather than end us with SIGPIPE (sent to the writing thread).
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    ::fcntl(to_, F_SETFL, ::fcntl(to_, F_GETFL) | O_NONBLOCK);
    char buf[4096];
    size_t length = 0, written = 0;
    for (;;) {
      bool holding = written < length;
      pollfd fds[2] = {{wake_, POLLIN, 0}, {holding ? to_ : from_, static_cast<short>(holding ? POLLOUT : POLLIN), 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[0].revents != 0) break;
      if (fds[1].revents == 0) continue;
      ssize_t n = holding ? ::write(to_, buf + written, length - written) : ::read(from_, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0 || (n == 0 && !holding)) break;
      if (holding) {
        written += static_cast<size_t>(n);
      } else {
        length = static_cast<size_t>(n);
        written = 0;
      }
    }
    ::close(to_);
  }

  int from_, to_, wake_;
  std::thread thread_;
};

// The pipes or terminal a container's stdio is made of, and our ends of them.
class ContainerIo {
 public:
  ~ContainerIo() {
    input_.reset();  // stops copying our stdin: the container is gone
    close_container_ends();
    for (int* fd : {&out_, &err_, &console_, &in_}) close_fd(*fd);
  }

  // `relayed`: its output is copied by us (to its log) even when none of
  // our stdio is a terminal.
  Status make(bool interactive, bool terminal, bool relayed) {
    if (!interactive) {
      stdio_.in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (stdio_.in < 0) return Status::from_errno("opening /dev/null");
      owned_in_ = stdio_.in;
    }
    if (terminal) {
      int pair[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return Status::from_errno("socketpair");
      console_socket_ = pair[0];
      stdio_.console_socket = pair[1];
      relays_ = true;
      return Status::ok();
    }
    // Our terminal is never handed to the container: whoever holds it can
    // push input into it (TIOCSTI, for a container with CAP_SYS_ADMIN
    // even from another session) or change its settings under the user.
    // As Docker's client does, it gets pipes, and we copy.
    bool terminal_in = interactive && ::isatty(STDIN_FILENO);
    if (!relayed && !terminal_in && !::isatty(STDOUT_FILENO) && !::isatty(STDERR_FILENO)) return Status::ok();
    relays_ = true;
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Status::from_errno("pipe");
    out_ = out[0];
    stdio_.out = out[1];
    if (::pipe2(err, O_CLOEXEC) != 0) return Status::from_errno("pipe");
    err_ = err[0];
    stdio_.err = err[1];
    if (terminal_in) {
      int in[2];
      if (::pipe2(in, O_CLOEXEC) != 0) return Status::from_errno("pipe");
      stdio_.in = owned_in_ = in[0];
      in_ = in[1];
    }
    return Status::ok();
  }

  const linux_::ContainerStdio& stdio() const { return stdio_; }
  // Whether its output comes through us (pipes or its terminal) rather than straight to our stdio.
  bool relays() const { return relays_; }

  // After the start: only the container holds its ends now.
  void close_container_ends() {
    close_fd(owned_in_);
    if (stdio_.out > 2) close_fd(stdio_.out);
    if (stdio_.err > 2) close_fd(stdio_.err);
    close_fd(stdio_.console_socket);
    stdio_ = {};
  }

  // Once its command runs: our stdin goes into its stdin pipe, if it has one.
  void start_input() {
    if (in_ < 0) return;
    input_ = std::make_unique<InputPump>(STDIN_FILENO, in_);
    in_ = -1;
  }

  // The terminal master the container sent, when it has one.
  void receive_console() {
    if (console_socket_ < 0) return;
    console_ = linux_::receive_console(console_socket_);
    close_fd(console_socket_);
  }

  OutputRelay relay(LogWriter* log) const {
    OutputRelay r;
    r.out = console_ >= 0 ? console_ : out_;
    r.err = console_ >= 0 ? -1 : err_;
    r.log = log;
    return r;
  }
  int console() const { return console_; }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  linux_::ContainerStdio stdio_;
  int owned_in_ = -1, out_ = -1, err_ = -1, console_socket_ = -1, console_ = -1;
  int in_ = -1;  // our end of its stdin pipe, until the pump takes it
  bool relays_ = false;
  std::unique_ptr<InputPump> input_;
};

// Our terminal in raw mode while the container's is relayed to it.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

void record_started(const ContainerStore& store, ContainerRecord* record, pid_t pid) {
  record->move_to(ContainerState::Running);
  record->pid = pid;
  record->pid_start_time = process_start_time(pid);
  store.save(*record, /*durable=*/false);
}

void record_exit(const ContainerStore& store, ContainerRecord* record, const RunResult& result) {
  if (record->remove_on_exit) {
    std::error_code ec;
    std::filesystem::remove_all(store.dir(record->id), ec);
    store.release_name(*record);
    return;
  }
  record->move_to(ContainerState::Exited);
  record->exit_code = result.exit_code;
  record->oom_killed = result.oom_killed;
  record->finished = timestamp_now();
  store.save(*record);  // fails quietly when `rm -f` removed it meanwhile
}

// Relays a started process's terminal or pipes until they close.
void relay_attached(ContainerIo& io, LogWriter* log, const Attachment& attach) {
  OutputRelay relay = io.relay(log);
  relay.tee_out = STDOUT_FILENO;
  relay.tee_err = STDERR_FILENO;
  if (io.console() >= 0) {
    winsize size{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) ::ioctl(io.console(), TIOCSWINSZ, &size);
    if (attach.interactive) {
      relay.input = STDIN_FILENO;
      relay.input_to = io.console();
    }
  }
  RawTerminal raw(attach.terminal && attach.interactive ? STDIN_FILENO : -1);
  relay_output(relay);
}

Status start_attached(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                      ContainerRecord* record, const Attachment& attach, const ContainerHooks& hooks,
                      RunResult* out) {
  bool logged = !record->remove_on_exit && record->log.kept();
  ContainerIo io;
  if (Status s = io.make(attach.interactive, attach.terminal, logged); !s) return s;
  LogWriter log;
  if (logged)
    if (Status s = log.open(store.log_path(record->id), record->log); !s) return s;
  std::unique_ptr<ContainerRun> run;
  if (Status s = ContainerRun::start(spec, paths, record->remove_on_exit, io.stdio(), hooks, &run); !s) return s;
  io.close_container_ends();
  SignalForwarding forwarding(run->pid());
  if (run->start_error().empty()) {
    io.receive_console();
    io.start_input();
    record_started(store, record, run->pid());
    if (hooks.supervising_here) hooks.supervising_here();
  }
  if (io.relays()) relay_attached(io, logged ? &log : nullptr, attach);
  return run->wait(out);
}

bool stopped_by_user(const ContainerStore& store, const ContainerRecord& record) {
  return ::access(store.stopped_marker_path(record.id).c_str(), F_OK) == 0;
}

// Waits out a restart's back-off; false when a user stopped the container meanwhile.
bool wait_to_restart(const ContainerStore& store, const ContainerRecord& record, std::chrono::milliseconds delay) {
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (stopped_by_user(store, record)) return false;
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
  return !stopped_by_user(store, record);
}

// Execs the shim's supervisor program (paths.supervisor), which relays the
// container's output to its log, runs its healthcheck and serves its ports
// until the init exits, then execs `stack` again to finish the run (see
// resume_detached_shim). The shim so keeps none of the pages `stack` touched
// to start the container: an idle container costs the supervisor's few
// hundred KiB, not the whole CLI's. Returns only when it cannot exec: the
// caller then supervises in-process.
void exec_supervisor(const RuntimePaths& paths, const ContainerStore& store, const ContainerRecord& record,
                     const ContainerIo& io, pid_t pid, bool terminal, const std::string& health_bpf,
                     const RestartBackOff& back_off, std::chrono::steady_clock::time_point began,
                     const ContainerHooks& hooks) {
  if (paths.supervisor.empty() || paths.stack_binary.empty()) return;
  SupervisorHandover h;
  if (record.log.kept()) {
    h.log_path = store.log_path(record.id);
    h.log_max_size = record.log.max_size;
    h.log_max_files = record.log.max_files;
  }
  OutputRelay relay = io.relay(nullptr);
  h.out_fd = relay.out;
  h.err_fd = relay.err;
  h.pid = pid;
  int bpf_fd = -1;
  if (record.healthcheck && !health_bpf.empty()) {
    bpf_fd = ::memfd_create("health-seccomp", 0);
    if (bpf_fd < 0 || ::write(bpf_fd, health_bpf.data(), health_bpf.size()) != static_cast<ssize_t>(health_bpf.size())) {
      if (bpf_fd >= 0) ::close(bpf_fd);
      return;
    }
    h.health = *record.healthcheck;
    h.health_state_path = store.health_path(record.id);
    h.spec_path = store.spec_path(record.id);
    h.cgroup_root = paths.cgroup_root;
    h.health_bpf_fd = bpf_fd;
  }
  h.stack_binary = paths.stack_binary;
  h.resume.id = record.id;
  h.resume.terminal = terminal;
  h.resume.back_off_ms = back_off.last_delay().count();
  h.resume.began_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(began.time_since_epoch()).count();
  if (hooks.handover) h.resume.ports = hooks.handover();
  if (hooks.resolver) h.dns = hooks.resolver();
  for (int fd : {h.out_fd, h.err_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
  int text_fd = handover_fd(to_text(h));
  std::string program = paths.supervisor, argument = "fd:" + std::to_string(text_fd);
  char* argv[] = {program.data(), argument.data(), nullptr};
  if (text_fd >= 0) ::execv(program.c_str(), argv);
  // Supervised here instead: our fds go back to closing on exec.
  for (int fd : {h.out_fd, h.err_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (bpf_fd >= 0) ::close(bpf_fd);
  if (text_fd >= 0) ::close(text_fd);
}

// The shim's life: runs the container, relays its output to the log, runs
// its healthcheck, and starts it again as its restart policy says (a
// restart keeps the writable layer, network namespace and published
// ports). `tell` reports the first start to the caller. Once a start
// runs, the supervisor program takes over until the init exits and
// `resumed` brings us back here with its exit.
void supervise(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
               ContainerRecord* record, bool terminal, const ContainerHooks& hooks, LogWriter& log,
               const std::function<void(int, const std::string&)>& tell, const ShimResume* resumed) {
  std::unique_ptr<HealthMonitor> health;
  std::string health_bpf;
  if (record->healthcheck && !record->healthcheck->command().empty() &&
      linux_::seccomp_program_for(spec, spec.process.capabilities, paths.seccomp_cache, &health_bpf))
    health = std::make_unique<HealthMonitor>(*record->healthcheck, store.health_path(record->id));
  RestartBackOff back_off(std::chrono::milliseconds(resumed ? resumed->back_off_ms : 0));
  RunResult result;
  for (bool first = !resumed;; first = false) {
    ContainerIo io;
    std::unique_ptr<ContainerRun> run;
    std::chrono::steady_clock::time_point began;
    if (resumed) {
      run = ContainerRun::adopt(spec, paths, record->remove_on_exit, hooks, record->pid, resumed->wait_status);
      began = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(resumed->began_ns));
      resumed = nullptr;
      result = {};
      run->wait(&result);
    } else {
      Status s = io.make(false, terminal, true);
      if (s) s = ContainerRun::start(spec, paths, record->remove_on_exit, io.stdio(), hooks, &run);
      if (!s) {
        result = {linux_::kExitRuntimeError, false, s.message()};
        if (first) tell(result.exit_code, s.message());
        else log.write(LogStream::Stderr, "stack: restarting: " + s.message() + "\n");
        break;
      }
      io.close_container_ends();
      began = std::chrono::steady_clock::now();
      bool ran = run->start_error().empty();
      if (ran) {
        io.receive_console();
        record_started(store, record, run->pid());
        if (first) tell(0, "running");
        exec_supervisor(paths, store, *record, io, run->pid(), terminal, health ? health_bpf : std::string(), back_off,
                        began, hooks);
        if (hooks.supervising_here) hooks.supervising_here();
        if (health) health->start(run->pid(), spec.process, health_bpf, paths.cgroup_root, record->id);
        relay_output(io.relay(&log));
      } else if (first) {
        tell(run->failure_exit(), run->start_error());
      } else {
        log.write(LogStream::Stderr, "stack: restarting: " + run->start_error() + "\n");
      }
      result = {};
      run->wait(&result);
      if (health) health->stop();
      // As Docker: a policy applies only to a container that started once.
      if (first && !ran) break;
    }
    auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
    if (!record->restart.restarts(result.exit_code, record->restart_count, stopped_by_user(store, *record))) break;
    record->move_to(ContainerState::Restarting);
    record->exit_code = result.exit_code;
    record->oom_killed = result.oom_killed;
    record->finished = timestamp_now();
    store.save(*record);
    if (!wait_to_restart(store, *record, back_off.next(lasted))) break;
    ++record->restart_count;
  }
  if (hooks.released) hooks.released();
  record_exit(store, record, result);
}

}  // namespace

Status run_attached(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                    ContainerRecord* record, const Attachment& attach, const ContainerHooks& hooks, RunResult* out) {
  Status s = start_attached(spec, paths, store, record, attach, hooks, out);
  if (hooks.released) hooks.released();
  if (!s) out->exit_code = linux_::kExitRuntimeError;
  record_exit(store, record, *out);
  return s;
}

Status exec_attached(const ContainerSpec& spec, const ProcessSpec& process, const RuntimePaths& paths,
                     const ContainerRecord& record, const Attachment& attach, RunResult* out) {
  std::string bpf;
  Status filter = linux_::seccomp_program_for(spec, process.capabilities, paths.seccomp_cache, &bpf);
  if (!filter) return filter;
  ContainerIo io;
  if (Status s = io.make(attach.interactive, attach.terminal, false); !s) return s;
  linux_::ContainerCgroup cgroup = linux_::ContainerCgroup::open_existing(paths.cgroup_root, record.id);
  linux_::StartResult started;
  Status start = linux_::exec_in_container(record.pid, cgroup, process, bpf, io.stdio(), &started);
  io.close_container_ends();
  SignalForwarding forwarding(started.pid);
  if (start) {
    io.receive_console();
    io.start_input();
    if (io.relays()) relay_attached(io, nullptr, attach);
  }
  int status = 0;
  if (started.pid > 0)
    while (::waitpid(started.pid, &status, 0) < 0 && errno == EINTR) {
    }
  if (!start) {
    out->exit_code = started.failure_exit ? started.failure_exit : linux_::kExitRuntimeError;
    out->error = start.message();
    return Status::ok();
  }
  out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 0;
  return Status::ok();
}

[[noreturn]] void become_detached_shim(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                                       ContainerRecord* record, bool terminal, const ContainerHooks& hooks,
                                       int report_fd) {
  ::setsid();
  // Nothing of ours reaches the caller's terminal.
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  if (::chdir("/") != 0) ::_exit(1);
  int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
  if (null > 2) ::close(null);
  auto tell = [&](int code, const std::string& message) {
    // NUL-terminated: the caller stops reading there, rather than wait
    // for the end of file, which comes only when the shim is next scheduled.
    std::string line = std::to_string(code) + ":" + message + '\0';
    (void)!::write(report_fd, line.data(), line.size());
    ::close(report_fd);
  };
  // The launch that became its shim already recorded itself as the runner.
  if (record->runner != ::getpid()) {
    record->runner = ::getpid();
    record->runner_start_time = process_start_time(record->runner);
    store.save(*record, /*durable=*/false);
  }
  // Driver "none": the output is read and dropped, as Docker drops it.
  LogWriter log;
  Status s = record->log.kept() ? log.open(store.log_path(record->id), record->log) : Status::ok();
  if (!s) {
    tell(linux_::kExitRuntimeError, s.message());
    record_exit(store, record, {linux_::kExitRuntimeError, false, s.message()});
    ::_exit(0);
  }
  supervise(spec, paths, store, record, terminal, hooks, log, tell, nullptr);
  ::_exit(0);
}

[[noreturn]] void resume_detached_shim(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                                       ContainerRecord* record, const ShimResume& resumed, const ContainerHooks& hooks) {
  LogWriter log;
  // Without it, a restart's errors go nowhere, as its output would.
  if (record->log.kept()) (void)log.open(store.log_path(record->id), record->log);
  supervise(spec, paths, store, record, resumed.terminal, hooks, log, [](int, const std::string&) {}, &resumed);
  ::_exit(0);
}

Status run_detached(const ContainerSpec& spec, const RuntimePaths& paths, const ContainerStore& store,
                    ContainerRecord* record, bool terminal, const ContainerHooks& hooks, RunResult* out) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Status::from_errno("pipe");
  std::cout.flush();
  std::fflush(nullptr);
  // Forked twice, so that the shim is not our child: reparented to init,
  // which reaps it, rather than a zombie of ours while we run on.
  pid_t first = ::fork();
  if (first < 0) return Status::from_errno("fork");
  if (first == 0) {
    ::close(report[0]);
    pid_t shim = ::fork();
    if (shim != 0) ::_exit(shim < 0 ? 1 : 0);
    become_detached_shim(spec, paths, store, record, terminal, hooks, report[1]);
  }
  ::close(report[1]);
  int status;
  while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }
  // The shim always reports, as the init does when it fails: "0:running"
  // or "EXIT:why"; nothing at all means it died.
  linux_::StartResult started;
  Status reported = linux_::read_start_report(report[0], &started, /*nul_terminated=*/true);
  ::close(report[0]);
  if (reported) return Status::error("the shim of container " + record->name + " died while starting it");
  out->exit_code = started.failure_exit;
  if (started.failure_exit != 0) out->error = reported.message();
  return Status::ok();
}

}  // namespace stack::runtime
