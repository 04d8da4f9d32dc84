// NetworkNamespace: a network namespace kept by a bind mount, so that it outlives the processes in it.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Makes a new network namespace (loopback up) and keeps it at `path` (a
// file, bind-mounted from /proc/self/ns/net); we stay in our own. A
// container started with this path joins it instead of making its own, so
// its interfaces and addresses survive a restart.
Status create_network_namespace(const std::string& path);

// Whether `path` still holds a namespace: a host restart (or anything
// that unmounts it) leaves the file an empty one.
bool is_network_namespace(const std::string& path);

// Where process `pid`'s network namespace is, to join while it lives.
std::string process_network_namespace(pid_t pid);

// Unmounts and deletes it; the namespace goes once no process is in it.
// Absent already is fine.
Status remove_network_namespace(const std::string& path);

}  // namespace stack::runtime::linux_
