#include "compose/host.h"

#include <sys/stat.h>

#include <mutex>
#include <utility>

#include <spdlog/spdlog.h>

#include "runtime/on_disk.h"

namespace stack::compose {
namespace {

// Only root reads what the stores hold: volume data, writable layers,
// logs, image layers (which may hold what a build copied in), network
// leases, who holds which GPU. Containers reach what they need of it
// through mounts that root makes, so none of it needs to be open to
// others. The root itself lets others through (0711) but not list it, as
// Docker's 0710 keeps out all but its remapped users. Left out:
// mount-points, the layer of empty mount points every container has,
// which holds nothing and is made whole by one rename when first needed.
struct StoreDirectory {
  const char* name;
  mode_t mode;
};
constexpr StoreDirectory kStoreDirectories[] = {
    {"containers", 0700}, {"volumes", 0700}, {"images", 0700}, {"builder", 0700},
    {"projects", 0700},   {"networks", 0700}, {"gpus", 0700},   {"seccomp", 0700},
};
constexpr mode_t kRootMode = 0711;

// Makes the root and its stores' directories, or tightens those that an
// older stack made readable by all. A failure (not root, a read-only
// root) is left to the command, which meets it where it writes.
void prepare_state_root(const std::string& root) {
  if (runtime::Status s = runtime::make_private_directory(root, kRootMode); !s) {
    spdlog::debug("state root: {}", s.message());
    return;
  }
  for (const StoreDirectory& d : kStoreDirectories)
    if (runtime::Status s = runtime::make_private_directory(root + "/" + d.name, d.mode); !s)
      spdlog::debug("state root: {}", s.message());
}

Host& installed_host() {
  static Host host;
  return host;
}

}  // namespace

void use_host(Host host) { installed_host() = std::move(host); }

const Host& host() { return installed_host(); }

std::string stack_root() {
  static std::once_flag prepared;
  std::call_once(prepared, [] { prepare_state_root(host().root); });
  return host().root;
}

std::string images_root() { return stack_root() + "/images"; }

runtime::RuntimePaths runtime_paths() {
  runtime::RuntimePaths paths;
  paths.containers = stack_root() + "/containers";
  paths.seccomp_cache = stack_root() + "/seccomp";
  paths.mount_points = stack_root() + "/mount-points";
  paths.stack_binary = host().stack_binary;
  paths.supervisor = host().supervisor;
  return paths;
}

}  // namespace stack::compose
