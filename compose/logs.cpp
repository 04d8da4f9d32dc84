// logs: the output of a project's containers, told to the listener; following, through restarts and recreations.
#include <algorithm>
#include <set>

#include "compose/compose.h"
#include "compose/machine.h"

namespace stack::compose {

using runtime::Status;

namespace {

// "web-1" for p-web-1: how logs and Compose label a container.
std::string log_label(const runtime::ContainerRecord& r, const std::string& project) {
  std::string prefix = project + "-";
  return r.name.rfind(prefix, 0) == 0 ? r.name.substr(prefix.size()) : r.name;
}

}  // namespace

Status Compose::logs(const ProjectRef& ref, const LogsOptions& o) {
  std::set<std::string> followed;
  std::vector<runtime::ContainerRecord> records;
  // The containers there now that are not followed yet: by name, so that
  // one recreated under its name stays followed into its new log.
  auto pick_up = [&]() -> Status {
    records.clear();
    if (Status s = select_service_containers(ref, machine_.containers(ref.name), o.services, true, &records); !s) return s;
    std::vector<std::pair<std::string, std::string>> added;
    for (const runtime::ContainerRecord& r : records) {
      if (!followed.insert(r.name).second) continue;
      // As Compose: said of that container, and the others' logs go on.
      if (!r.log.kept())
        listener_.warning("can't retrieve logs for " + r.name + ": configured logging driver does not support reading");
      else added.emplace_back(r.name, log_label(r, ref.name));
    }
    if (!added.empty()) listener_.attach(added);
    return Status::ok();
  };
  if (Status s = pick_up(); !s) return s;
  listener_.print_attached();
  // Following: picking up containers that start later, until none of
  // them runs any more (nor waits in its shim to restart).
  auto runs = [](const runtime::ContainerRecord& r) { return r.running() || r.runner_alive(); };
  while (o.follow) {
    machine_.pause(std::chrono::milliseconds(100));
    (void)pick_up();
    listener_.print_attached();
    if (std::none_of(records.begin(), records.end(), runs)) {
      // What the last of them wrote as it ended.
      machine_.pause(std::chrono::milliseconds(100));
      listener_.print_attached();
      break;
    }
  }
  return Status::ok();
}

}  // namespace stack::compose
