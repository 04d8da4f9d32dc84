// down: the project's containers stopped in reverse dependency order and removed, then its networks, images and volumes as asked.
#include <chrono>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "compose/compose.h"
#include "compose/machine.h"
#include "compose/project_containers.h"

namespace stack::compose {
namespace {

// The images `down --rmi` removes: with "all" every image the project's
// services use; with "local" only those without a name of their own
// (built ones, named <project>-<service>), as Compose does. From the
// files, and from the containers' records when the files are gone.
std::set<std::string> images_to_remove(const ProjectRef& ref, const std::vector<runtime::ContainerRecord>& records,
                                       const std::string& rmi) {
  std::set<std::string> out;
  auto built_name = [&](const std::string& service) { return ref.name + "-" + service; };
  if (ref.project)
    for (const schema::ServiceSpec& s : ref.project->services) {
      if (!s.image.empty() && rmi == "all") out.insert(s.image);
      if (s.image.empty() && s.build_context) out.insert(built_name(s.name));
    }
  for (const runtime::ContainerRecord& r : records) {
    auto service = r.labels.find(kServiceLabel);
    bool built = service != r.labels.end() && r.image == built_name(service->second);
    if (rmi == "all" || built) out.insert(r.image);
  }
  return out;
}

}  // namespace

runtime::Status Compose::down(const ProjectRef& ref, const DownOptions& f, int* exit_code) {
  *exit_code = 1;
  runtime::FileLock lock;
  if (runtime::Status s = machine_.lock_project(ref.name, &lock); !s) return s;
  // A container whose shim was killed: its cgroup and netns go first.
  machine_.reclaim();
  std::vector<runtime::ContainerRecord> records = machine_.containers(ref.name);
  machine_.stop(ref, &records, f.timeout, {});
  int rc = 0;
  // Every container taken out first, its network namespace with it, then
  // their networks: the kernel tears the namespaces down together. Their
  // files are deleted meanwhile, on a thread of their own.
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  auto removing = std::chrono::steady_clock::now();
  std::vector<runtime::ContainerRecord> removed(records.size());
  for (size_t i = 0; i < records.size(); ++i)
    if (runtime::Status s = machine_.take_out(records[i], &removed[i]); !s) {
      listener_.error(s.message());
      rc = 1;
      removed[i].id.clear();
    }
  std::thread purge([this, &removing, ms_since, n = records.size()] {
    machine_.purge_removed();
    spdlog::debug("the files of {} container(s) deleted in {:.1f} ms", n, ms_since(removing));
  });
  auto releasing = std::chrono::steady_clock::now();
  std::erase_if(removed, [](const runtime::ContainerRecord& r) { return r.id.empty(); });
  machine_.release_removed(removed);
  for (const runtime::ContainerRecord& r : removed) listener_.say(" Container " + r.name + "  Removed");
  spdlog::debug("their network endpoints released in {:.1f} ms", ms_since(releasing));
  // The project's own networks: by label, so that they go even when the files are gone.
  releasing = std::chrono::steady_clock::now();
  for (const std::string& network : machine_.project_networks(ref.name)) {
    if (runtime::Status s = machine_.remove_network(network); !s) {
      listener_.error(s.message());
      rc = 1;
      continue;
    }
    listener_.say(" Network " + network + "  Removed");
    spdlog::debug("network {} removed in {:.1f} ms", network, ms_since(releasing));
  }
  purge.join();
  if (!f.rmi.empty())
    for (const std::string& name : images_to_remove(ref, records, f.rmi)) {
      bool existed = false;
      std::string reference;
      if (runtime::Status s = machine_.remove_unused_image(name, &existed, &reference); !s) {
        listener_.warning(s.message());  // another project's container: the image stays
        continue;
      }
      if (existed) listener_.say(" Image " + reference + "  Removed");  // else never made, or already gone
    }
  if (f.volumes)
    for (const std::string& v : machine_.project_volumes(ref)) {
      if (runtime::Status s = machine_.remove_volume(v); !s) {
        listener_.error(s.message());
        rc = 1;
        continue;
      }
      listener_.say(" Volume " + v + "  Removed");
    }
  *exit_code = rc;
  return runtime::Status::ok();
}

}  // namespace stack::compose
