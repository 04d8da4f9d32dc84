// ps, top and ls: what there is of a project's containers, their processes, and the projects on this host.
#include <algorithm>

#include "compose/compose.h"
#include "compose/machine.h"

namespace stack::compose {

using runtime::Status;

Status Compose::ps(const ProjectRef& ref, const PsOptions& o, std::vector<ContainerSummary>* out) {
  machine_.reclaim();
  std::vector<runtime::ContainerRecord> records;
  if (Status s = select_service_containers(ref, machine_.containers(ref.name), o.services, true, &records); !s) return s;
  for (runtime::ContainerRecord& r : records) {
    ContainerStatus status = machine_.status(r);
    if (o.all || status.up()) out->push_back({std::move(r), status});
  }
  return Status::ok();
}

Status Compose::top(const ProjectRef& ref, const TopOptions& o, std::vector<ContainerProcesses>* out) {
  std::vector<runtime::ContainerRecord> records;
  if (Status s = select_service_containers(ref, machine_.containers(ref.name), o.services, true, &records); !s) return s;
  for (const runtime::ContainerRecord& r : records)
    if (r.running())
      if (std::vector<runtime::linux_::ProcessRow> rows = machine_.processes(r); !rows.empty())
        out->push_back({r.name, std::move(rows)});
  return Status::ok();
}

Status Compose::ls(const LsOptions& o, std::vector<ProjectSummary>* out) {
  std::map<std::string, std::map<std::string, int>> projects;
  for (const runtime::ContainerRecord& r : machine_.all_containers())
    if (auto p = r.labels.find(kProjectLabel); p != r.labels.end())
      ++projects[p->second][std::string(runtime::to_string(machine_.status(r).state))];
  for (auto& [name, states] : projects)
    if (o.all || states.count("running") || states.count("restarting")) out->push_back({name, std::move(states)});
  return Status::ok();
}

}  // namespace stack::compose
