// HostRoutes read from procfs: the kernel's table as text, parsed by NetworkStore.
#include "netbridge/host_routes.h"

#include "runtime/on_disk.h"

namespace stack::netbridge {

std::string read_host_routes() { return runtime::read_whole_file("/proc/net/route").value_or(""); }

}  // namespace stack::netbridge
