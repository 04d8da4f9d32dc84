// ShimHandover: what a detached shim hands the small supervisor program it execs once its container runs, and what that program hands back to `stack` when the container exits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/health_check.h"
#include "runtime/status.h"

namespace stack::runtime {

// Handed back to `stack __shim-resume` once the init exited: enough to
// finish the run and go on with the restart policy where the shim left off.
struct ShimResume {
  std::string id;                // the container's
  bool terminal = false;         // a restart gets a terminal too
  int64_t back_off_ms = 0;       // RestartBackOff's delay before this run
  int64_t began_ns = 0;          // when this run began, on the monotonic clock (steady_clock)
  int wait_status = -1;          // waitpid()'s, of the init
  std::string ports;             // the published ports, as ContainerHooks::handover gave them; empty: none
};

// The supervisor's work while the init runs: its fds are left open across
// exec (FD_CLOEXEC cleared) and are the supervisor's from then on.
struct SupervisorHandover {
  std::string log_path;           // empty: the output is dropped (driver "none")
  std::int64_t log_max_size = -1;  // the log's rotation (LogConfig)
  int log_max_files = 1;
  int out_fd = -1, err_fd = -1;  // the init's output pipes, or its terminal master as out_fd
  pid_t pid = -1;                // the init, a child of the shim (exec keeps it so)
  std::optional<HealthCheck> health;
  std::string health_state_path, spec_path, cgroup_root;
  int health_bpf_fd = -1;        // a memfd holding the probes' seccomp filter
  std::string stack_binary;      // exec'd with "__shim-resume" and the resume text
  std::string dns;               // the embedded DNS resolver, as ContainerHooks::resolver gave it; empty: none
  ShimResume resume;
};

// One-line JSON texts, passed as an argument across exec.
std::string to_text(const ShimResume& r);
Status parse_shim_resume(const std::string& text, ShimResume* out);
std::string to_text(const SupervisorHandover& h);
Status parse_supervisor_handover(const std::string& text, SupervisorHandover* out);

// The handover text in a memfd left open across exec, named to the
// supervisor as "fd:N": an argument would show the healthcheck's command
// to every user of the host in `ps`. -1 when no memfd can be made.
int handover_fd(const std::string& text);
// The text behind such an argument, the fd closed after; nullopt when the
// argument is not one.
std::optional<std::string> read_handover(const std::string& argument);
// The whole of a memfd handed across exec (from its start), the fd closed after.
std::string read_handed_fd(int fd);

// The hidden `stack` command the supervisor execs back into.
inline constexpr const char* kShimResumeCommand = "__shim-resume";

}  // namespace stack::runtime
