// SignalNames: signals by the names Docker accepts ("SIGTERM", "TERM", "15", "SIGRTMIN+3").
#pragma once

#include <optional>
#include <string>

namespace stack::runtime {

// The signal's number; nullopt for a name that is none.
std::optional<int> signal_number(const std::string& name);

}  // namespace stack::runtime
