// YamlReader: YAML text -> Node tree with marks (yaml-cpp underneath; adds `<<` merge keys and duplicate-key errors).
#pragma once

#include <string>
#include <string_view>

#include "schema/diagnostics.h"
#include "schema/node.h"

namespace stack::schema {

// Parses the first YAML document of `text`. `file` names it in marks.
// Returns a null Node (and adds an error) when the text is not YAML.
Node read_yaml(std::string_view text, const std::string& file, Diagnostics& diags);

}  // namespace stack::schema
