// stop, start, restart, kill, rm: what acts on a project's existing containers, under its lock.
#include <algorithm>
#include <set>

#include "compose/compose.h"
#include "compose/machine.h"

namespace stack::compose {
namespace {

using runtime::ContainerRecord;
using runtime::Status;

// The project's containers of `services` (all when empty), one-offs left
// out, by name; under the project's lock, once what killed commands left
// is reclaimed.
Status select(Machine& machine, const ProjectRef& ref, const std::vector<std::string>& services, runtime::FileLock* lock,
              std::vector<ContainerRecord>* out) {
  if (Status s = machine.lock_project(ref.name, lock); !s) return s;
  machine.reclaim();
  return select_service_containers(ref, machine.containers(ref.name), services, false, out);
}

// Starts those of `records` that are stopped, dependencies first; the
// exit status: 1 when one did not start.
int start_in_order(Machine& machine, const ProjectRef& ref, std::vector<ContainerRecord>& records, Listener& listener) {
  sort_in_service_order(ref, &records, false);
  int rc = 0;
  for (const ContainerRecord& listed : records) {
    std::optional<ContainerRecord> r = machine.find(listed.name);  // as it is now: it may have just been stopped
    if (!r) continue;
    if (r->running() || (r->runner_alive() && r->state != runtime::ContainerState::Exited)) continue;
    if (Status s = machine.start(r->name); !s) {
      listener.error("container " + r->name + ": " + s.message());
      rc = 1;
    } else {
      listener.say(" Container " + r->name + "  Started");
    }
  }
  return rc;
}

// The services of `services` and, transitively, those depending on one of
// them with `restart: true`.
std::vector<std::string> with_restarted_dependents(const ProjectRef& ref, std::vector<std::string> services) {
  if (!ref.project || services.empty()) return services;
  std::set<std::string> chosen(services.begin(), services.end());
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& s : ref.project->services)
      for (const auto& [name, dep] : s.depends_on)
        if (dep.restart && chosen.count(name) && chosen.insert(s.name).second) grew = true;
  }
  return {chosen.begin(), chosen.end()};
}

}  // namespace

Status Compose::stop(const ProjectRef& ref, const StopOptions& o, int* exit_code) {
  *exit_code = 1;
  runtime::FileLock lock;
  std::vector<ContainerRecord> records;
  if (Status s = select(machine_, ref, o.services, &lock, &records); !s) return s;
  machine_.stop(ref, &records, o.timeout, {});
  for (const ContainerRecord& r : records) listener_.say(" Container " + r.name + "  Stopped");
  *exit_code = 0;
  return Status::ok();
}

Status Compose::start(const ProjectRef& ref, const StartOptions& o, int* exit_code) {
  *exit_code = 1;
  runtime::FileLock lock;
  std::vector<ContainerRecord> records;
  if (Status s = select(machine_, ref, o.services, &lock, &records); !s) return s;
  *exit_code = start_in_order(machine_, ref, records, listener_);
  return Status::ok();
}

Status Compose::restart(const ProjectRef& ref, const RestartOptions& o, int* exit_code) {
  *exit_code = 1;
  runtime::FileLock lock;
  std::vector<ContainerRecord> records;
  if (Status s = select(machine_, ref, with_restarted_dependents(ref, o.services), &lock, &records); !s) return s;
  machine_.stop(ref, &records, o.timeout, {});
  *exit_code = start_in_order(machine_, ref, records, listener_);
  return Status::ok();
}

Status Compose::kill(const ProjectRef& ref, const KillOptions& o, int* exit_code) {
  *exit_code = 1;
  runtime::FileLock lock;
  std::vector<ContainerRecord> records;
  if (Status s = select(machine_, ref, o.services, &lock, &records); !s) return s;
  int rc = 0;
  for (const ContainerRecord& r : records) {
    if (!r.running()) continue;
    if (Status s = machine_.kill(r, o.signal); !s) {
      listener_.error(s.message());
      rc = 1;
    } else {
      listener_.say(" Container " + r.name + "  Killed");
    }
  }
  *exit_code = rc;
  return Status::ok();
}

Status Compose::rm(const ProjectRef& ref, const RmOptions& o, int* exit_code) {
  *exit_code = 1;
  runtime::FileLock lock;
  std::vector<ContainerRecord> records;
  if (Status s = select(machine_, ref, o.services, &lock, &records); !s) return s;
  if (o.stop) machine_.stop(ref, &records, std::nullopt, {});
  std::vector<ContainerRecord> stopped;
  std::vector<std::string> names;
  for (const ContainerRecord& r : records)
    if (!r.running() && !r.runner_alive()) {
      stopped.push_back(r);
      names.push_back(r.name);
    }
  *exit_code = 0;
  if (stopped.empty()) {
    listener_.say("No stopped containers");
    return Status::ok();
  }
  if (o.confirm && !o.confirm(names)) return Status::ok();
  for (const ContainerRecord& r : stopped) {
    if (Status s = machine_.remove_stopped(r); !s) {
      listener_.error(s.message());
      *exit_code = 1;
      continue;
    }
    listener_.say(" Container " + r.name + "  Removed");
    if (o.volumes)
      for (const std::string& v : machine_.anonymous_volumes(r.name))
        if (Status s = machine_.remove_volume(v); !s) listener_.warning(s.message());
  }
  return Status::ok();
}

}  // namespace stack::compose
