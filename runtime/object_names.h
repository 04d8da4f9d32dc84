// ObjectNames: the IDs and names of what stack keeps under STACK_ROOT (containers, networks).
#pragma once

#include <string>

namespace stack::runtime {

// 64 random hex digits, as Docker's IDs.
std::string new_object_id();

// Letters and digits, then also '_', '.', '-' (Docker's rule for names).
bool valid_object_name(const std::string& name);

}  // namespace stack::runtime
