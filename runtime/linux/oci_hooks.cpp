#include "runtime/linux/oci_hooks.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

namespace stack::runtime::linux_ {
namespace {

constexpr const char* kMountedStages[] = {"createRuntime", "createContainer", "startContainer", "prestart"};

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Status run_hook(const HookSpec& hook, const std::string& state, pid_t mount_namespace_of) {
  std::string name = "hook " + hook.path + " (" + hook.stage + ")";
  int mnt = -1;
  if (mount_namespace_of > 0) {
    mnt = ::open(("/proc/" + std::to_string(mount_namespace_of) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
    if (mnt < 0) return Status::from_errno(name + ": the container's mount namespace");
  }
  int input[2];
  if (::pipe2(input, O_CLOEXEC) != 0) {
    if (mnt >= 0) ::close(mnt);
    return Status::from_errno(name + ": pipe");
  }
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<std::string> env = hook.env;
  std::vector<char*> argv = pointers(args), envp = pointers(env);
  pid_t child = ::fork();
  if (child == 0) {
    if (mnt >= 0 && ::setns(mnt, CLONE_NEWNS) != 0) ::_exit(126);
    ::dup2(input[0], STDIN_FILENO);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(input[0]);
  if (mnt >= 0) ::close(mnt);
  if (child < 0) {
    ::close(input[1]);
    return Status::from_errno(name + ": fork");
  }
  // The state is small: it fits the pipe, whether the hook reads it or not.
  (void)!::write(input[1], state.data(), state.size());
  ::close(input[1]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(hook.timeout_s);
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(child, &status, hook.timeout_s > 0 ? WNOHANG : 0);
    if (done == child) break;
    if (done < 0 && errno != EINTR) return Status::from_errno(name + ": waiting for it");
    if (hook.timeout_s > 0 && std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return Status::error(name + ": still running after its timeout of " + std::to_string(hook.timeout_s) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return Status::error(name + ": cannot be run");
  return Status::error(name + ": " + (WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                                        : "killed by signal " + std::to_string(WTERMSIG(status))));
}

}  // namespace

bool has_mounted_hooks(const ContainerSpec& spec) {
  return std::any_of(spec.hooks.begin(), spec.hooks.end(), [](const HookSpec& h) {
    return std::find(std::begin(kMountedStages), std::end(kMountedStages), h.stage) != std::end(kMountedStages);
  });
}

Status run_hooks(const std::string& id, const std::vector<HookSpec>& hooks, const std::vector<std::string>& stages,
                 const std::string& status, pid_t pid, const std::string& bundle, pid_t mount_namespace_of) {
  // Every start and stop asks: most containers have no hooks at all.
  bool any = std::any_of(hooks.begin(), hooks.end(), [&](const HookSpec& h) {
    return std::find(stages.begin(), stages.end(), h.stage) != stages.end();
  });
  if (!any) return Status::ok();
  nlohmann::json state = {{"ociVersion", "1.2.0"}, {"id", id}, {"status", status},
                          {"pid", pid},             {"bundle", bundle}, {"annotations", nlohmann::json::object()}};
  std::string text = state.dump();
  for (const std::string& stage : stages)
    for (const HookSpec& hook : hooks)
      if (hook.stage == stage)
        if (Status s = run_hook(hook, text, mount_namespace_of); !s) return s;
  return Status::ok();
}

std::vector<std::string> mounted_stages() { return {std::begin(kMountedStages), std::end(kMountedStages)}; }

}  // namespace stack::runtime::linux_
