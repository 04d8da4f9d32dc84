// Shapes: conversions between the short and long spellings that both merge and normalize need.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "schema/diagnostics.h"
#include "schema/node.h"

namespace stack::schema {

// How the items of a list that stands for a mapping split into key and value.
enum class ListSplit {
  Equals,       // "KEY=VALUE"; "KEY" alone -> KEY: null  (environment, labels, args, sysctls)
  HostEntry,    // "host=ip" or "host:ip"                  (extra_hosts)
  NameOnly,     // "name" -> name: null                   (networks, depends_on)
};

// A mapping from `node` where it is a list of `split` items; a mapping is
// returned as it is. Adds an error and returns nullopt for other shapes.
std::optional<Node> list_to_map(const Node& node, ListSplit split, const std::string& path, Diagnostics& diags);

// The container path a volume entry mounts at (short or long syntax); empty if unknown.
std::string volume_target(const Node& entry);

// A scalar or a list of scalars as a list (dns: 8.8.8.8 -> [8.8.8.8]).
Node as_list(const Node& node);

}  // namespace stack::schema
