// UserLookup: resolves `user[:group]` against the container's /etc/passwd and /etc/group text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stack::runtime {

struct ResolvedUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home = "/";
};

// As Docker does: names are looked up, numbers used as they are (a number
// missing from passwd gets gid 0... unless given), supplementary groups
// come from /etc/group. nullopt with `error` for a name that does not exist.
std::optional<ResolvedUser> resolve_user(const std::string& spec, const std::string& passwd,
                                         const std::string& group, std::string* error);

}  // namespace stack::runtime
