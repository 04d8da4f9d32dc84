// Rlimits: a resource limit's name, as Docker spells it, to the kernel's RLIMIT_* number.
#pragma once

#include <optional>
#include <string>

namespace stack::runtime::linux_ {

// RLIMIT_* for "nofile", "memlock", "stack", ... (runtime/kernel_settings.h
// lists them); nullopt for a name that is none.
std::optional<int> rlimit_resource(const std::string& name);

}  // namespace stack::runtime::linux_
