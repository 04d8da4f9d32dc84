// Capabilities: the container process's bounding, permitted, effective and inheritable sets (capset, prctl).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::runtime::linux_ {

// "CHOWN" -> 0; nullopt when unknown.
std::optional<int> capability_number(const std::string& name);

// Drops every capability not in `names` from the bounding set. Call while
// still holding CAP_SETPCAP, before changing user.
Status limit_bounding_set(const std::vector<std::string>& names);

// Sets permitted, effective and inheritable to `names` (empty for a
// non-root user, as Docker does) and clears the ambient set.
Status set_process_capabilities(const std::vector<std::string>& names, bool root_user);

}  // namespace stack::runtime::linux_
