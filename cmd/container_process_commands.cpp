// `stack container stop|kill|logs|exec`: what acts on a container's processes once it runs.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <iostream>
#include <memory>
#include <thread>

#include "cmd/commands.h"
#include "cmd/environment.h"
#include "compose/container_launch.h"
#include "compose/container_networks.h"
#include "runtime/container_log.h"
#include "runtime/container_session.h"
#include "runtime/container_store.h"
#include "runtime/on_disk.h"
#include "runtime/signal_names.h"
#include "runtime/user_lookup.h"
#include "compose/host.h"
#include "ui/project_logs.h"

namespace stack::cmd {

using namespace stack::compose;
namespace {

runtime::ContainerStore container_store() { return runtime::ContainerStore(runtime_paths().containers); }

// For each name: find its record and act on it; errors are printed, and
// make the exit status 1 as Docker's do.
template <typename Action>
int for_each_container(const std::vector<std::string>& names, Action act) {
  runtime::ContainerStore store = container_store();
  reclaim_containers(store, false);
  int rc = 0;
  for (const std::string& name : names) {
    runtime::ContainerRecord record;
    runtime::Status s = store.find(name, &record);
    if (s) s = act(store, record);
    if (!s) {
      std::cerr << "error: " << s.message() << "\n";
      rc = 1;
      continue;
    }
    std::cout << name << "\n";
  }
  return rc;
}

struct LogsFlags {
  bool follow = false, timestamps = false;
  std::string tail = "all";
  std::string name;
};

// Prints entries as the container wrote them: stdout to ours, stderr to ours.
class LogPrinter {
 public:
  explicit LogPrinter(bool timestamps) : timestamps_(timestamps) {}
  void print(const runtime::LogEntry& e) {
    std::string text;
    if (timestamps_ && at_line_start_[index(e)]) text = e.time + " ";
    text += e.text;
    if (!e.partial) text += '\n';
    at_line_start_[index(e)] = !e.partial;
    int fd = e.stream == runtime::LogStream::Stdout ? STDOUT_FILENO : STDERR_FILENO;
    for (size_t done = 0; done < text.size();) {
      ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

 private:
  static int index(const runtime::LogEntry& e) { return e.stream == runtime::LogStream::Stdout ? 0 : 1; }
  bool timestamps_;
  bool at_line_start_[2] = {true, true};
};

int logs(const LogsFlags& f) {
  runtime::ContainerStore store = container_store();
  runtime::ContainerRecord record;
  if (runtime::Status s = store.find(f.name, &record); !s) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::optional<long> parsed = ui::parse_tail(f.tail);
  if (!parsed) {
    std::cerr << "error: --tail " << f.tail << ": expected a number of lines or \"all\"\n";
    return 1;
  }
  long tail = *parsed;
  if (!record.log.kept()) {
    std::cerr << "error: container " << record.name << ": configured logging driver does not support reading\n";
    return 1;
  }
  // A log not there reads as empty: no output yet, or a --rm container that
  // wrote straight to its terminal.
  runtime::LogReader log(store.log_path(record.id));
  LogPrinter printer(f.timestamps);
  if (tail >= 0) {
    // The entries of the last `tail` lines; a partial entry belongs to the line it starts.
    std::deque<runtime::LogEntry> kept;
    long lines = 0;
    log.read_new([&](const runtime::LogEntry& e) {
      kept.push_back(e);
      if (!e.partial) ++lines;
      while (lines > tail && !kept.empty()) {
        if (!kept.front().partial) --lines;
        kept.pop_front();
      }
    });
    for (const runtime::LogEntry& e : kept) printer.print(e);
  } else {
    log.read_new([&](const runtime::LogEntry& e) { printer.print(e); });
  }
  while (f.follow) {
    bool running = record.running() || record.starting();
    if (!running) store.wait_until_finished(record, 5000);  // the shim drains what is left
    log.read_new([&](const runtime::LogEntry& e) { printer.print(e); });
    if (!running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (record.starting()) store.find(record.id, &record);
  }
  return 0;
}

}  // namespace

void add_container_process_commands(CLI::App& container, int& exit_code) {
  struct StopFlags {
    std::optional<int> timeout;
    std::string signal;
    std::vector<std::string> names;
  };
  auto sf = std::make_shared<StopFlags>();
  CLI::App* stop = container.add_subcommand("stop", "Stop containers: stop signal, then SIGKILL after the timeout");
  stop->add_option("-t,--time", sf->timeout, "Seconds to wait before killing (default: the container's, 10)");
  stop->add_option("-s,--signal", sf->signal, "Signal to send first (default: the container's stop signal)");
  stop->add_option("containers", sf->names, "NAME or ID")->required();
  stop->callback([sf, &exit_code] {
    if (!sf->signal.empty() && !runtime::signal_number(sf->signal)) {
      std::cerr << "error: " << sf->signal << " is not a signal\n";
      exit_code = 1;
      return;
    }
    exit_code = for_each_container(sf->names, [&](runtime::ContainerStore& store, runtime::ContainerRecord& r) {
      if (!sf->signal.empty()) r.stop_signal = sf->signal;
      return store.stop(r, sf->timeout.value_or(r.stop_timeout), runtime_paths().cgroup_root);
    });
  });

  struct KillFlags {
    std::string signal = "SIGKILL";
    std::vector<std::string> names;
  };
  auto kf = std::make_shared<KillFlags>();
  CLI::App* kill = container.add_subcommand("kill", "Send a signal to containers' init (default SIGKILL)");
  kill->add_option("-s,--signal", kf->signal, "Signal name or number");
  kill->add_option("containers", kf->names, "NAME or ID")->required();
  kill->callback([kf, &exit_code] {
    std::optional<int> signal = runtime::signal_number(kf->signal);
    if (!signal) {
      std::cerr << "error: " << kf->signal << " is not a signal\n";
      exit_code = 1;
      return;
    }
    exit_code = for_each_container(kf->names, [&](runtime::ContainerStore& store, runtime::ContainerRecord& r) {
      return store.kill(r, *signal);
    });
  });

  auto lf = std::make_shared<LogsFlags>();
  CLI::App* logs_cmd = container.add_subcommand("logs", "Show a container's output");
  logs_cmd->add_flag("-f,--follow", lf->follow, "Keep printing until the container exits");
  logs_cmd->add_flag("-t,--timestamps", lf->timestamps, "Prefix each line with the time it was written");
  logs_cmd->add_option("-n,--tail", lf->tail, "Only the last N lines (default: all)");
  logs_cmd->add_option("container", lf->name, "NAME or ID")->required();
  logs_cmd->callback([lf, &exit_code] { exit_code = logs(*lf); });

  auto ef = std::make_shared<ExecRequest>();
  CLI::App* exec_cmd = container.add_subcommand("exec", "Run a command in a running container");
  exec_cmd->add_flag("-i,--interactive", ef->interactive, "Keep stdin open");
  exec_cmd->add_flag("-t,--tty", ef->tty, "Give the command a terminal of its own");
  exec_cmd->add_option("-e,--env", ef->env, "KEY=VALUE, or KEY to pass this shell's value")->allow_extra_args(false);
  exec_cmd->add_option("-u,--user", ef->user, "USER[:GROUP], by name or id (default: the container's)");
  exec_cmd->add_option("-w,--workdir", ef->workdir, "Working directory (default: the container's)");
  exec_cmd->add_option("container", ef->name, "NAME or ID")->required();
  exec_cmd->prefix_command();
  exec_cmd->fallthrough(false);
  exec_cmd->footer("Arguments after the container are the command.");
  exec_cmd->callback([ef, exec_cmd, &exit_code] {
    ef->command = exec_cmd->remaining();
    ExecRequest request = *ef;
    request.env = with_values_from_environment(request.env);
    LaunchResult ran = exec_in_container(request);
    if (!ran.error.empty()) std::cerr << "error: " << ran.error << "\n";
    exit_code = ran.exit_code;
  });
}

}  // namespace stack::cmd
