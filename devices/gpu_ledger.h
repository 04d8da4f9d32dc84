// GpuLedger: which container holds which GPU, host-wide and exclusively (STACK_ROOT/gpus/ledger.json, under a lock).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "devices/gpu_inventory.h"
#include "runtime/status.h"
#include "schema/project.h"

namespace stack::devices {

using runtime::Status;

// What one container asks for: `count` GPUs, every GPU, or exactly `device_ids`.
struct GpuRequest {
  enum class Kind { Count, All, Ids };
  Kind kind = Kind::Count;
  int count = 1;
  std::vector<std::string> device_ids;  // indices, UUIDs or CDI names

  static GpuRequest of_count(int n) { return {Kind::Count, n, {}}; }
  static GpuRequest all() { return {Kind::All, 0, {}}; }
  static GpuRequest ids(std::vector<std::string> ids) { return {Kind::Ids, 0, std::move(ids)}; }
  // "1 GPU", "2 GPUs", "all GPUs", "GPUs 0, GPU-1a2b"
  std::string describe() const;
};

// What a service asks for, from its GPU device requests
// (deploy.resources.reservations.devices, gpus:) and the nvidia.com/gpu
// CDI names among its devices; nullopt when it asks for none. Counts add
// up; "all" (or a request with neither count nor device_ids, as Compose
// reads it) takes every GPU. An error names the service and the request
// that cannot be met as asked (another capability, another driver, ids
// mixed with counts).
Status gpu_request_of(const schema::ServiceSpec& service, std::optional<GpuRequest>* out);

// Who holds GPUs: a container, by its name (unique on the host), and the
// service that asked, for messages.
struct GpuHolder {
  std::string container, project, service;
};

struct GpuHold {
  std::string gpu;  // Gpu::id
  GpuHolder holder;
  // The command that reserved it before its container existed; a hold
  // whose container is gone is stale only once this process is gone too.
  pid_t reserver = 0;
  unsigned long long reserver_start = 0;
};

struct GpuWant {
  GpuHolder holder;
  GpuRequest request;
};

class GpuLedger {
 public:
  explicit GpuLedger(std::string dir) : dir_(std::move(dir)) {}

  // Whether a holder's container still exists (as a record, running or not).
  using Exists = std::function<bool(const GpuHolder&)>;

  // Reserves GPUs of `inventory` for every want, all of them or none: a
  // holder's earlier holds are replaced (it keeps the GPUs it had where it
  // can); stale holds are dropped first. On failure nothing changes and
  // the error names the service, what it asked and who holds the GPUs.
  // `granted` maps each holder's container to its GPU ids.
  Status reserve(const std::vector<GpuWant>& wants, const std::vector<Gpu>& inventory, const Exists& exists,
                 std::map<std::string, std::vector<std::string>>* granted);

  // Drops the holds of these containers (removed ones).
  Status release(const std::vector<std::string>& containers);

  // The holds, stale ones dropped.
  std::vector<GpuHold> holds(const Exists& exists);

 private:
  Status read(std::vector<GpuHold>* out) const;
  Status write(const std::vector<GpuHold>& holds) const;
  std::string path() const { return dir_ + "/ledger.json"; }

  std::string dir_;
};

}  // namespace stack::devices
