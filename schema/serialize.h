// Serialize: a normalized project as canonical YAML or JSON (keys sorted), and service config hashes.
#pragma once

#include <string>

#include "schema/node.h"

namespace stack::schema {

std::string to_yaml(const Node& node);
// indent < 0: compact, on one line with no newline.
std::string to_json(const Node& node, int indent = 2);

// sha256 of the canonical JSON of a normalized service, leaving out what
// does not change the container itself (replica count, profiles, build,
// depends_on, pull_policy). `up` recreates a container when this changes.
std::string service_config_hash(const Node& service);

}  // namespace stack::schema
