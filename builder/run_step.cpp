#include "builder/run_step.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "runtime/default_spec.h"
#include "runtime/object_names.h"
#include "runtime/user_lookup.h"

namespace stack::builder {
namespace {

volatile sig_atomic_t g_step_pid = 0;

void kill_step(int) {
  if (g_step_pid > 0) ::kill(g_step_pid, SIGKILL);
}

// While a step runs, Ctrl-C ends the step (its init, PID 1 of its
// namespace, would ignore SIGINT) and the build goes on to fail cleanly.
class InterruptKillsStep {
 public:
  explicit InterruptKillsStep(pid_t pid) {
    g_step_pid = pid;
    struct sigaction sa {};
    sa.sa_handler = kill_step;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &saved_int_);
    ::sigaction(SIGTERM, &sa, &saved_term_);
  }
  ~InterruptKillsStep() {
    ::sigaction(SIGINT, &saved_int_, nullptr);
    ::sigaction(SIGTERM, &saved_term_, nullptr);
    g_step_pid = 0;
  }
  InterruptKillsStep(const InterruptKillsStep&) = delete;
  InterruptKillsStep& operator=(const InterruptKillsStep&) = delete;

 private:
  struct sigaction saved_int_ {}, saved_term_ {};
};

}  // namespace

Status run_step(const RunStepRequest& request, const runtime::RuntimePaths& paths,
                const std::function<void(std::string_view)>& output, RunStepResult* out) {
  runtime::Image image;  // the image so far, as make_spec reads it
  image.config.env = request.env;
  image.config.working_dir = request.working_dir;
  runtime::RunOptions options;
  options.command = request.args;
  options.entrypoint = std::vector<std::string>{};
  runtime::ContainerSpec spec;
  auto no_lookup = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  if (Status s = runtime::make_spec(image, request.lower_dirs, options, runtime::new_object_id(), &spec, no_lookup); !s)
    return s;
  if (Status s = runtime::run_as_user(request.user, request.lower_dirs, &spec.process); !s) return s;
  spec.mounts.insert(spec.mounts.end(), request.mounts.begin(), request.mounts.end());
  // The builder's own network namespace: the host's, so package installs reach what the host reaches.
  if (request.host_network) spec.network_namespace = "/proc/" + std::to_string(::getpid()) + "/ns/net";

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::from_errno("creating a pipe");
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  runtime::linux_::ContainerStdio stdio{null_fd, pipe_fds[1], pipe_fds[1], -1};
  std::unique_ptr<runtime::ContainerRun> run;
  Status started = runtime::ContainerRun::start(spec, paths, false, stdio, {}, &run);
  ::close(pipe_fds[1]);
  ::close(null_fd);
  if (!started) {
    ::close(pipe_fds[0]);
    return started;
  }
  // Read while waiting: a chatty step would otherwise block on a full pipe.
  std::thread reader([fd = pipe_fds[0], &output] {
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      output(std::string_view(buf, static_cast<size_t>(n)));
    }
  });
  runtime::RunResult result;
  Status waited;
  {
    InterruptKillsStep interrupt(run->pid());
    waited = run->wait(&result);
  }
  // Everything in the container's cgroup is gone now: the pipe's writers too.
  reader.join();
  ::close(pipe_fds[0]);
  out->exit_code = result.exit_code;
  out->error = result.error;
  out->container_dir = paths.containers + "/" + spec.id;
  return waited;
}

}  // namespace stack::builder
