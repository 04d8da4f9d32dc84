// Names: Docker's rules for the names that become paths or kernel objects (services, containers, volumes, networks, images).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stack::schema {

// Each check returns why `name` is refused (a phrase to follow the quoted
// name in an error), or nullopt when it is valid. They are checked when the
// stack file loads, so that nothing is created under a name that cannot
// work or that would leave the state root ("../../srv/data").

// A key of `services`, `volumes`, `networks`, `secrets` or `configs`: the
// Compose Specification's [a-zA-Z0-9._-]+, and not "." or "..".
std::optional<std::string> resource_key_problem(std::string_view key);

// A volume, container, secret or config name: Docker's
// [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 255 bytes (it is a file name).
std::optional<std::string> object_name_problem(std::string_view name);

// A network name: an object name of at most 64 characters, the longest
// stack's network store keeps (the bridge is named from the network's ID,
// so the kernel's 15-character limit on interface names does not apply).
std::optional<std::string> network_name_problem(std::string_view name);

// An image reference as Docker parses one: [HOST[:PORT]/]PATH[:TAG][@sha256:HEX],
// PATH lowercase components joined by '/', each of letters and digits
// separated by '.', '_', '__' or dashes; TAG at most 128 of [A-Za-z0-9_.-]
// not starting with '.' or '-'; the name at most 255 characters.
std::optional<std::string> image_reference_problem(std::string_view reference);

// A volume's subpath: relative, and never above the volume (no "..").
std::optional<std::string> subpath_problem(std::string_view subpath);

// A path in the container (a mount's or a secret's target): absolute, and
// without "..", which would climb out of the container's root where stack
// makes the mount point.
std::optional<std::string> container_path_problem(std::string_view path);

}  // namespace stack::schema
