// exec: a command in a running replica of a service.
#include <algorithm>

#include "compose/compose.h"
#include "compose/machine.h"

namespace stack::compose {

using runtime::Status;

Status Compose::exec(const ProjectRef& ref, const ExecOptions& o, int* exit_code) {
  *exit_code = 1;
  if (o.command.empty()) return Status::error("exec needs a command");
  std::vector<runtime::ContainerRecord> records;
  if (Status s = select_service_containers(ref, machine_.containers(ref.name), {o.service}, false, &records); !s) return s;
  auto it = std::find_if(records.begin(), records.end(), [&](const runtime::ContainerRecord& r) {
    auto number = r.labels.find(kNumberLabel);
    return number != r.labels.end() && number->second == std::to_string(o.index);
  });
  if (it == records.end() || !it->running()) return Status::error("service \"" + o.service + "\" is not running");
  LaunchResult ran = machine_.exec(it->name, o);
  *exit_code = ran.exit_code;
  if (!ran.error.empty()) listener_.error(ran.error);  // 125, 126 or 127 says it failed
  return Status::ok();
}

}  // namespace stack::compose
