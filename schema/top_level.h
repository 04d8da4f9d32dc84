// Top-level networks and volumes: declared resources, their defaults and their project-scoped names.
#pragma once

#include <optional>
#include <string>

#include "schema/checks.h"

namespace stack::schema {

std::optional<Node> normalize_networks(const Node& v, const std::string& project, NormalizeContext& cx);
std::optional<Node> normalize_named_volumes(const Node& v, const std::string& project, NormalizeContext& cx);

}  // namespace stack::schema
