// Normalizers for the service attributes with a short and a long syntax.
#pragma once

#include <optional>
#include <string>

#include "schema/checks.h"

namespace stack::schema {

std::optional<Node> normalize_ports(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> normalize_expose(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> normalize_volumes(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> normalize_tmpfs(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> normalize_deploy(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> normalize_gpus(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> normalize_devices(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> normalize_ulimits(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> normalize_healthcheck(const Node& v, const std::string& path, NormalizeContext& cx);

// The service table, for `services.NAME` mappings.
std::optional<Node> normalize_service(const Node& v, const std::string& path, NormalizeContext& cx);

}  // namespace stack::schema
