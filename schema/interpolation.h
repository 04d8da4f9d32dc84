// Interpolation of ${VAR} expressions in stack-file values, as the Compose Specification defines it.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "schema/diagnostics.h"
#include "schema/node.h"

namespace stack::schema {

// Returns a variable's value, or nullopt when it is unset.
using VariableLookup = std::function<std::optional<std::string>(std::string_view)>;

struct Interpolation {
  std::string value;
  std::optional<std::string> error;  // set when the text is malformed or a ${VAR:?msg} fired
  std::vector<std::string> unset;    // variables used without a default that were unset
};

// Substitutes $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e},
// ${VAR:+a}, ${VAR+a} (defaults nest) and $$ in `text`.
Interpolation interpolate(std::string_view text, const VariableLookup& lookup);

// Interpolates every scalar value (never a key) of `root`. A plain scalar
// keeps plain-scalar typing after substitution (`${PORT}` -> int). Unset
// variables are warned about once each, errors are reported at the value.
void interpolate_tree(Node& root, const VariableLookup& lookup, Diagnostics& diags,
                      std::set<std::string>& warned_unset);

}  // namespace stack::schema
