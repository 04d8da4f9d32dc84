// run: a one-off container of a service, after its image and (unless told not to) the services it depends on.
#include <cstdio>
#include <random>

#include "compose/compose.h"
#include "compose/machine.h"

namespace stack::compose {

using runtime::Status;

namespace {

// 12 hex digits, as Compose names its one-off containers (<project>-<service>-run-<id>).
std::string one_off_id() {
  std::mt19937_64 random(std::random_device{}());
  char id[16];
  std::snprintf(id, sizeof id, "%012llx", static_cast<unsigned long long>(random() & 0xffffffffffffULL));
  return id;
}

}  // namespace

Status Compose::run(const ProjectRef& ref, const RunOptions& o, int* exit_code) {
  *exit_code = 1;
  const schema::Project& project = *ref.project;
  const schema::ServiceSpec* service = project.service(o.service);
  if (!service) return Status::error("no such service: " + o.service);
  // Its image first, as Compose: a missing one starts none of its dependencies.
  if (Status s = machine_.resolve_images(project, {service}, {}, listener_); !s) return s;
  if (!o.no_deps) {
    UpOptions deps;
    deps.detach = true;
    for (const auto& [name, dependency] : service->depends_on)
      if (project.service(name)) deps.services.push_back(name);
    if (!deps.services.empty()) {
      if (Status s = up(ref, deps, exit_code); !s || *exit_code != 0) return s;
      listener_.steps_done();
    }
  }
  Machine::Launch launch{service, 1, o.name.empty() ? project.name + "-" + service->name + "-run-" + one_off_id() : o.name,
                         config_hash(ref, *service), {}};
  std::vector<PlannedContainer> planned = {{launch.name, service}};
  std::map<std::string, std::vector<devices::Gpu>> gpus;
  if (Status s = machine_.reserve_gpus(project.name, planned, &gpus); !s) return s;
  launch.gpus = gpus[launch.name];
  // As Compose: the project's networks, when nothing made them yet.
  if (Status s = machine_.create_networks(project); !s) {
    machine_.release_gpus_of_missing(planned);
    return s;
  }
  LaunchResult ran = machine_.run_one_off(project, launch, o);
  machine_.release_gpus_of_missing(planned);  // it could not start, or ran and was removed
  *exit_code = ran.exit_code;
  // Its exit status says it failed (125 as `docker run`'s when it could not be made).
  if (!ran.error.empty()) listener_.error(ran.error);
  if (ran.oom_killed) listener_.warning("container " + ran.name + " was OOM-killed");
  if (o.detach && *exit_code == 0) listener_.say(launch.name);
  // As Compose: a removed one-off takes its anonymous volumes with it.
  if (o.remove && !o.detach)
    for (const std::string& v : machine_.anonymous_volumes(launch.name))
      if (Status removed = machine_.remove_volume(v); !removed) listener_.warning(removed.message());
  return Status::ok();
}

}  // namespace stack::compose
