// ServicePulls: the registry images of services, pulled as `stack pull`, `image pull` and `up` (pull_policy) need them.
#pragma once

#include <string>
#include <vector>

#include "runtime/image_store.h"
#include "schema/project.h"

namespace stack::cmd {

// STACK_INSECURE_REGISTRIES: the registries (host[:port],...) reached over plain HTTP.
std::vector<std::string> insecure_registries();

// Pulls one image into the local store, progress on stderr unless `quiet`.
runtime::Status pull_image(const std::string& reference, bool quiet, runtime::Image* out);

// Pulls the image of each of `services` that runs a registry image (not
// one it builds), as its pull_policy says: `always` every time, `missing`
// when the store lacks it, `never` not at all. `policy` (up --pull, or
// "always" for `stack pull`) overrides them when not empty. Stops at the
// first failure, naming the service, unless `keep_going` (then it warns
// and goes on).
runtime::Status pull_services(const std::vector<const schema::ServiceSpec*>& services, const std::string& policy,
                              bool quiet, bool keep_going = false);

}  // namespace stack::cmd
