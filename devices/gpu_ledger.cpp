#include "devices/gpu_ledger.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/container_store.h"
#include "runtime/on_disk.h"

namespace stack::devices {
namespace {

bool reserver_alive(const GpuHold& h) {
  return h.reserver > 0 && runtime::process_start_time(h.reserver) == h.reserver_start;
}

void drop_stale(std::vector<GpuHold>* holds, const GpuLedger::Exists& exists) {
  std::erase_if(*holds, [&](const GpuHold& h) { return !exists(h.holder) && !reserver_alive(h); });
}

std::string holders_of(const std::vector<GpuHold>& holds, const std::vector<Gpu>& inventory) {
  std::string text;
  for (const Gpu& gpu : inventory)
    for (const GpuHold& h : holds)
      if (h.gpu == gpu.id) text += (text.empty() ? "" : ", ") + gpu.describe() + " is held by " + h.holder.container;
  return text;
}

}  // namespace

std::string GpuRequest::describe() const {
  switch (kind) {
    case Kind::All:
      return "all GPUs";
    case Kind::Count:
      return std::to_string(count) + (count == 1 ? " GPU" : " GPUs");
    case Kind::Ids: {
      std::string text = device_ids.size() == 1 ? "GPU " : "GPUs ";
      for (size_t i = 0; i < device_ids.size(); ++i) text += (i ? ", " : "") + device_ids[i];
      return text;
    }
  }
  return {};
}

Status gpu_request_of(const schema::ServiceSpec& service, std::optional<GpuRequest>* out) {
  out->reset();
  auto fail = [&](const std::string& why) { return Status::error("service " + service.name + ": " + why); };
  bool all = false;
  int count = 0;
  std::vector<std::string> ids;
  for (const schema::DeviceRequest& d : service.device_requests) {
    bool gpu = std::find(d.capabilities.begin(), d.capabilities.end(), "gpu") != d.capabilities.end();
    if (!gpu) {
      std::string caps;
      for (const auto& c : d.capabilities) caps += (caps.empty() ? "" : ", ") + c;
      return fail("a device reservation with capabilities [" + caps + "]: only GPUs (capabilities: [gpu]) can be reserved");
    }
    if (!d.driver.empty() && d.driver != "nvidia" && d.driver != "cdi")
      return fail("a GPU reservation with driver \"" + d.driver + "\": the drivers known are nvidia and cdi");
    if (d.count && *d.count < 0) all = true;
    else if (d.count) count += *d.count;
    else if (d.device_ids.empty()) all = true;
    ids.insert(ids.end(), d.device_ids.begin(), d.device_ids.end());
  }
  for (const schema::DeviceMapping& m : service.devices) {
    std::string kind, name;
    if (!m.cdi() || !split_cdi_name(m.source, &kind, &name) || kind != kNvidiaGpuKind) continue;
    if (name == "all") all = true;
    else ids.push_back(m.source);
  }
  if (all) *out = GpuRequest::all();
  else if (!ids.empty() && count > 0)
    return fail("GPUs are asked for both by count and by device_ids; ask for them one way");
  else if (!ids.empty()) *out = GpuRequest::ids(ids);
  else if (count > 0) *out = GpuRequest::of_count(count);
  return Status::ok();
}

Status GpuLedger::read(std::vector<GpuHold>* out) const {
  out->clear();
  std::optional<std::string> text = runtime::read_whole_file(path());
  if (!text) return Status::ok();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("holds") || !j["holds"].is_array())
    return Status::error(path() + " is damaged: remove it once no container holds a GPU");
  for (const auto& h : j["holds"]) {
    GpuHold hold;
    hold.gpu = h.value("gpu", "");
    hold.holder = {h.value("container", ""), h.value("project", ""), h.value("service", "")};
    hold.reserver = h.value("reserver", 0);
    hold.reserver_start = h.value("reserver_start", 0ull);
    if (!hold.gpu.empty() && !hold.holder.container.empty()) out->push_back(std::move(hold));
  }
  return Status::ok();
}

Status GpuLedger::write(const std::vector<GpuHold>& holds) const {
  nlohmann::json list = nlohmann::json::array();
  for (const GpuHold& h : holds)
    list.push_back({{"gpu", h.gpu},
                    {"container", h.holder.container},
                    {"project", h.holder.project},
                    {"service", h.holder.service},
                    {"reserver", h.reserver},
                    {"reserver_start", h.reserver_start}});
  return runtime::write_file_atomically(path(), nlohmann::json{{"holds", list}}.dump(2) + "\n");
}

Status GpuLedger::reserve(const std::vector<GpuWant>& wants, const std::vector<Gpu>& inventory, const Exists& exists,
                          std::map<std::string, std::vector<std::string>>* granted) {
  if (Status s = runtime::make_private_directory(dir_, 0700); !s) return s;
  runtime::FileLock lock;
  if (Status s = runtime::FileLock::acquire(dir_ + "/lock", &lock); !s) return s;
  std::vector<GpuHold> holds;
  if (Status s = read(&holds); !s) return s;
  drop_stale(&holds, exists);
  std::set<std::string> wanting;
  for (const GpuWant& w : wants) wanting.insert(w.holder.container);
  // What each holder had: kept where the request allows, so that `up`
  // again leaves a container on its GPUs.
  std::map<std::string, std::vector<std::string>> had;
  for (const GpuHold& h : holds)
    if (wanting.count(h.holder.container)) had[h.holder.container].push_back(h.gpu);
  std::erase_if(holds, [&](const GpuHold& h) { return wanting.count(h.holder.container) > 0; });

  pid_t me = ::getpid();
  unsigned long long my_start = runtime::process_start_time(me);
  auto held = [&](const Gpu& gpu) {
    return std::any_of(holds.begin(), holds.end(), [&](const GpuHold& h) { return h.gpu == gpu.id; });
  };
  std::map<std::string, std::vector<std::string>> out;
  for (const GpuWant& w : wants) {
    std::vector<const Gpu*> chosen;
    auto fail = [&](const std::string& why) {
      std::string who = holders_of(holds, inventory);
      return Status::error("service " + w.holder.service + " (container " + w.holder.container + ") asks for " +
                           w.request.describe() + ": " + why + (who.empty() ? "" : ": " + who));
    };
    if (inventory.empty()) return fail("this host has no GPU");
    switch (w.request.kind) {
      case GpuRequest::Kind::All:
        for (const Gpu& gpu : inventory) {
          if (held(gpu)) return fail("not every GPU is free");
          chosen.push_back(&gpu);
        }
        break;
      case GpuRequest::Kind::Ids:
        for (const std::string& id : w.request.device_ids) {
          auto it = std::find_if(inventory.begin(), inventory.end(), [&](const Gpu& g) { return g.answers_to(id); });
          if (it == inventory.end()) return fail("there is no GPU " + id + " on this host");
          if (held(*it)) return fail(it->describe() + " is not free");
          if (std::find(chosen.begin(), chosen.end(), &*it) == chosen.end()) chosen.push_back(&*it);
        }
        break;
      case GpuRequest::Kind::Count: {
        if (w.request.count > static_cast<int>(inventory.size()))
          return fail("this host has only " + std::to_string(inventory.size()));
        // Its own GPUs first, then the free ones in index order.
        const std::vector<std::string>& mine = had[w.holder.container];
        std::vector<const Gpu*> order;
        for (const Gpu& gpu : inventory)
          if (std::find(mine.begin(), mine.end(), gpu.id) != mine.end()) order.push_back(&gpu);
        for (const Gpu& gpu : inventory)
          if (std::find(order.begin(), order.end(), &gpu) == order.end()) order.push_back(&gpu);
        for (const Gpu* gpu : order)
          if (static_cast<int>(chosen.size()) < w.request.count && !held(*gpu)) chosen.push_back(gpu);
        if (static_cast<int>(chosen.size()) < w.request.count)
          return fail("only " + std::to_string(chosen.size()) + " of the " + std::to_string(inventory.size()) +
                      " GPUs are free");
        break;
      }
    }
    for (const Gpu* gpu : chosen) {
      holds.push_back({gpu->id, w.holder, me, my_start});
      out[w.holder.container].push_back(gpu->id);
    }
  }
  if (Status s = write(holds); !s) return s;
  if (granted) *granted = std::move(out);
  return Status::ok();
}

Status GpuLedger::release(const std::vector<std::string>& containers) {
  if (::access(path().c_str(), F_OK) != 0) return Status::ok();
  runtime::FileLock lock;
  if (Status s = runtime::FileLock::acquire(dir_ + "/lock", &lock); !s) return s;
  std::vector<GpuHold> holds;
  if (Status s = read(&holds); !s) return s;
  size_t before = holds.size();
  std::erase_if(holds, [&](const GpuHold& h) {
    return std::find(containers.begin(), containers.end(), h.holder.container) != containers.end();
  });
  return holds.size() == before ? Status::ok() : write(holds);
}

std::vector<GpuHold> GpuLedger::holds(const Exists& exists) {
  std::vector<GpuHold> holds;
  if (::access(path().c_str(), F_OK) != 0) return holds;
  runtime::FileLock lock;
  if (!runtime::FileLock::acquire(dir_ + "/lock", &lock) || !read(&holds)) return {};
  size_t before = holds.size();
  drop_stale(&holds, exists);
  if (holds.size() != before) write(holds);
  return holds;
}

}  // namespace stack::devices
