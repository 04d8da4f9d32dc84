// Environment: what the CLI takes from the environment it runs in, the only place stack reads it: the Host its variables and flags describe, and the values of `-e KEY`.
#pragma once

#include <string>
#include <vector>

#include "compose/host.h"

namespace stack::cmd {

// The host these variables describe, with `insecure_registries` from
// --insecure-registry: STACK_ROOT, STACK_REGISTRIES_CONFIG,
// STACK_INSECURE_REGISTRIES (host[:port],...), DOCKER_CONFIG and HOME (the
// logins), STACK_CDI_DIRS (colon separated; set, the CDI specs alone),
// STACK_TEST_CRASH_AT; the shim's programs beside this one.
compose::Host host_from_environment(const std::vector<std::string>& insecure_registries);

// `-e KEY=VALUE` as it is; `-e KEY` with KEY's value here, as Docker's, or
// left out when KEY is unset.
std::vector<std::string> with_values_from_environment(const std::vector<std::string>& entries);

}  // namespace stack::cmd
