#include "compose/container_launch.h"

#include <algorithm>

#include "compose/host.h"
#include "runtime/container_session.h"
#include "runtime/container_store.h"
#include "runtime/linux/container_view.h"
#include "runtime/user_lookup.h"

namespace stack::compose {

LaunchResult exec_in_container(const ExecRequest& f) {
  auto fail = [](const std::string& message) { return LaunchResult::failure(125, message); };
  if (f.command.empty()) return fail("exec needs a command");
  runtime::ContainerStore store(runtime_paths().containers);
  runtime::ContainerRecord record;
  if (runtime::Status s = store.find(f.name, &record); !s) return fail(s.message());
  if (!record.running()) return fail("container " + record.name + " is not running");
  runtime::ContainerSpec spec;
  if (runtime::Status s = store.load_spec(record, &spec); !s) return fail(s.message());
  runtime::ProcessSpec process = spec.process;
  process.args = f.command;
  process.terminal = f.tty;
  if (!f.workdir.empty()) process.cwd = f.workdir;
  // Each KEY=VALUE (a bare -e KEY took its value where the command began).
  for (const std::string& entry : f.env) {
    if (entry.find('=') == std::string::npos) continue;
    std::string key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(process.env, [&](const std::string& x) { return x.rfind(key, 0) == 0; });
    process.env.push_back(entry);
  }
  if (!f.user.empty()) {
    // The container's own account files, as it sees them now.
    std::string error;
    auto resolved = runtime::resolve_user(f.user, runtime::linux_::read_container_file(record.pid, "/etc/passwd").value_or(""),
                                          runtime::linux_::read_container_file(record.pid, "/etc/group").value_or(""), &error);
    if (!resolved) return fail(error);
    process.uid = resolved->uid;
    process.gid = resolved->gid;
    process.additional_gids = {resolved->gid};
    for (uint32_t g : resolved->additional_gids) process.additional_gids.push_back(g);
    for (uint32_t g : process.added_gids)
      if (std::find(process.additional_gids.begin(), process.additional_gids.end(), g) == process.additional_gids.end())
        process.additional_gids.push_back(g);
    std::erase_if(process.env, [](const std::string& x) { return x.rfind("HOME=", 0) == 0; });
    process.env.push_back("HOME=" + resolved->home);
  }
  runtime::RunResult result;
  runtime::Status s = runtime::exec_attached(spec, process, runtime_paths(), record, {f.interactive, f.tty}, &result);
  if (!s) return fail(s.message());
  LaunchResult ran;
  ran.exit_code = result.exit_code;
  if (!result.error.empty()) ran.error = "exec in container " + record.name + ": " + result.error;
  return ran;
}

}  // namespace stack::compose
