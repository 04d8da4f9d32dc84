// RunStep: a Dockerfile RUN, run in a container of the image so far; its writable layer is the step's result.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/container_runner.h"
#include "runtime/container_spec.h"
#include "runtime/status.h"

namespace stack::builder {

using runtime::Status;

struct RunStepRequest {
  std::vector<std::string> args;
  std::vector<std::string> env;  // KEY=VALUE: the image's, then the ARGs in scope
  std::string user, working_dir;
  std::vector<std::string> lower_dirs;  // the image so far, top first
  std::vector<runtime::MountSpec> mounts;  // RUN --mount's
  bool host_network = true;  // --network=none: a namespace of its own, loopback only
};

struct RunStepResult {
  int exit_code = 0;
  std::string error;          // why the command never ran (exit 125-127)
  std::string container_dir;  // its writable layer is container_dir/upper; the caller removes it
};

// Runs the command with the default capabilities and seccomp filter, no
// stdin, stdout and stderr given to `output` as they come. SIGINT and
// SIGTERM meanwhile kill it (its exit is then 128+9). An error: nothing
// was started and nothing is left.
Status run_step(const RunStepRequest& request, const runtime::RuntimePaths& paths,
                const std::function<void(std::string_view)>& output, RunStepResult* out);

}  // namespace stack::builder
