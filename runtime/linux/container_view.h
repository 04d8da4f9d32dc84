// ContainerView: a running container's files as its processes see them, through its init's root.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace stack::runtime::linux_ {

// The text of `path` (absolute, as inside the container) in the root of
// the running container whose init is `init_pid`: its own /etc/passwd,
// say, with whatever it changed since it started. Nothing when it cannot
// be read.
std::optional<std::string> read_container_file(pid_t init_pid, const std::string& path);

}  // namespace stack::runtime::linux_
