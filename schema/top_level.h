// Top-level networks, volumes, secrets and configs: declared resources, their defaults and their project-scoped names.
#pragma once

#include <optional>
#include <string>

#include "schema/checks.h"

namespace stack::schema {

std::optional<Node> normalize_networks(const Node& v, const std::string& project, NormalizeContext& cx);
std::optional<Node> normalize_named_volumes(const Node& v, const std::string& project, NormalizeContext& cx);
// `section` is "secrets" or "configs".
std::optional<Node> normalize_file_objects(const Node& v, const std::string& section, const std::string& project,
                                           NormalizeContext& cx);

}  // namespace stack::schema
