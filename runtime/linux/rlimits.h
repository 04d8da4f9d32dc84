// Rlimits: the resource limits a container's process may be given, by the names Docker's --ulimit and Compose's ulimits use.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace stack::runtime::linux_ {

// RLIMIT_* for "nofile", "memlock", "stack", ...; nullopt for a name that is none.
std::optional<int> rlimit_resource(const std::string& name);

// Every name rlimit_resource knows, for an error that lists them.
const std::vector<std::string>& rlimit_names();

}  // namespace stack::runtime::linux_
