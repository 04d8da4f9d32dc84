// UserLookup: resolves `user[:group]` against the container's /etc/passwd and /etc/group text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/container_spec.h"
#include "runtime/status.h"

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

// Docker's --group-add: each name looked up in `group` (an /etc/group
// text), each number taken as it is. An error names the first that is
// neither.
Status resolve_groups(const std::vector<std::string>& names, const std::string& group, std::vector<uint32_t>* gids);

// The top-most copy of a file among an image's unpacked layers (top
// first, as ContainerSpec's lower_dirs); empty when none has it.
std::string image_file(const std::vector<std::string>& lower_dirs, const std::string& path);

// Runs `process` as `user` ("" or "0": root), looked up in the image's
// /etc/passwd and /etc/group: its uid and gid, the primary group among the
// supplementary ones as Docker has it, and HOME when its env has none.
Status run_as_user(const std::string& user, const std::vector<std::string>& lower_dirs, ProcessSpec* process);

}  // namespace stack::runtime
