// NetworkNamespace: a network namespace kept by a bind mount, so that it outlives the processes in it.
#pragma once

#include <sys/types.h>

#include <cstdint>
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

// A socket of `type` (SOCK_DGRAM, or SOCK_STREAM listening) bound to
// `address`:`port` (host byte order; port 0 = one the kernel picks) in the
// namespace kept at `path`: the calling thread joins it for the while and
// comes back. The socket (close-on-exec) serves there from any namespace.
// Returns it, or -errno: -EADDRINUSE when something there has that address
// already.
int bind_in_network_namespace(const std::string& path, int type, uint32_t address, uint16_t port);

}  // namespace stack::runtime::linux_
