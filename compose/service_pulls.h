// ServicePulls: the registry images of services, pulled as `stack pull`, `image pull` and `up` (pull_policy) need them.
#pragma once

#include <string>
#include <vector>

#include "compose/image_progress.h"
#include "registry/image_pull.h"
#include "runtime/image_store.h"
#include "schema/project.h"

namespace stack::compose {

// Where registries are reached from, as the Host says: its registries
// config (keys as Docker's daemon.json: "insecure-registries",
// "registry-mirrors") over its insecure registries, and the logins of
// `stack login`.
struct RegistrySettings {
  std::vector<std::string> insecure, mirrors;
  std::string credentials_path;
};
runtime::Status registry_settings(RegistrySettings* out);

// Pulls one image into the local store, its progress shown by `progress`
// unless `quiet`. `platform` ("linux/arm64") picks from an index; empty: linux/amd64.
runtime::Status pull_image(const std::string& reference, bool quiet, ImageProgress& progress, runtime::Image* out,
                           const std::string& platform = "");

// Pulls the image of each of `services` that runs a registry image (not
// one it builds), as its pull_policy says: `always` every time, `missing`
// when the store lacks it, `never` not at all, `daily`, `weekly` and
// `every_<duration>` when the last pull of that name is older (or it is
// missing). `policy` (up --pull, or "always" for `stack pull`) overrides
// them when not empty. Stops at the first failure, naming the service,
// unless `keep_going` (then it warns and goes on).
runtime::Status pull_services(const std::vector<const schema::ServiceSpec*>& services, const std::string& policy,
                              bool quiet, ImageProgress& progress, bool keep_going = false);

}  // namespace stack::compose
