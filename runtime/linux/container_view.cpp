#include "runtime/linux/container_view.h"

#include "runtime/on_disk.h"

namespace stack::runtime::linux_ {

std::optional<std::string> read_container_file(pid_t init_pid, const std::string& path) {
  return read_whole_file("/proc/" + std::to_string(init_pid) + "/root" + path);
}

}  // namespace stack::runtime::linux_
