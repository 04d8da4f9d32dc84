// down: the project's containers stopped in reverse dependency order and removed, then its networks, images and volumes as asked.
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "compose/compose.h"
#include "compose/container_networks.h"
#include "compose/container_removal.h"
#include "compose/host.h"
#include "compose/image_removal.h"
#include "compose/project_containers.h"
#include "runtime/image_store.h"

namespace fs = std::filesystem;

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
  if (runtime::Status s = lock_project(ref.name, &lock); !s) return s;
  runtime::ContainerStore store(runtime_paths().containers);
  // A container whose shim was killed: its cgroup and netns go first.
  reclaim_containers(store, false);
  std::vector<runtime::ContainerRecord> records = project_containers(ref.name);
  stop_in_order(ref, &records, f.timeout);
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
    if (runtime::Status s = store.take_out(records[i].id, true, &removed[i]); !s) {
      listener_.error(s.message());
      rc = 1;
      removed[i].id.clear();
    }
  std::thread purge([&store, &removing, ms_since, n = records.size()] {
    store.purge_removed();
    spdlog::debug("the files of {} container(s) deleted in {:.1f} ms", n, ms_since(removing));
  });
  auto releasing = std::chrono::steady_clock::now();
  std::erase_if(removed, [](const runtime::ContainerRecord& r) { return r.id.empty(); });
  release_removed(removed);
  for (const runtime::ContainerRecord& r : removed) listener_.say(" Container " + r.name + "  Removed");
  spdlog::debug("their network endpoints released in {:.1f} ms", ms_since(releasing));
  // The project's own networks: by label, so that they go even when the files are gone.
  releasing = std::chrono::steady_clock::now();
  netbridge::NetworkStore networks = network_store();
  std::vector<netbridge::NetworkRecord> all;
  networks.list(&all);
  for (const auto& n : all) {
    auto label = n.labels.find(kProjectLabel);
    if (label == n.labels.end() || label->second != ref.name) continue;
    if (runtime::Status s = remove_network(n.name); !s) {
      listener_.error(s.message());
      rc = 1;
      continue;
    }
    listener_.say(" Network " + n.name + "  Removed");
    spdlog::debug("network {} removed in {:.1f} ms", n.name, ms_since(releasing));
  }
  purge.join();
  if (!f.rmi.empty()) {
    runtime::ImageStore images(images_root());
    for (const std::string& name : images_to_remove(ref, records, f.rmi)) {
      runtime::Image image;
      if (!images.find(name, &image)) continue;  // never made, or already gone
      std::string reference, digest;
      if (runtime::Status s = remove_unused_image(name, &reference, &digest); !s) {
        listener_.warning(s.message());  // another project's container: the image stays
        continue;
      }
      listener_.say(" Image " + reference + "  Removed");
    }
  }
  if (!f.volumes) {
    *exit_code = rc;
    return runtime::Status::ok();
  }
  // The project's volumes, named and anonymous, by label (so that they go
  // with the files gone); named ones from the files too, for volumes made
  // before labels were written.
  std::set<std::string> volumes;
  for (const std::string& v : labelled_volumes(kProjectLabel, ref.name)) volumes.insert(v);
  if (ref.project)
    for (const auto& v : ref.project->volumes)
      if (std::string dir; !v.external && volume_dir(v.name, &dir) && fs::exists(dir)) volumes.insert(v.name);
  for (const std::string& v : volumes) {
    if (runtime::Status s = remove_volume(v); !s) {
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
