// HostDeviceNode: a device node on the host as its inode has it: block or character, numbers, mode and owner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace stack::devices {

struct HostDeviceNode {
  char type = 'c';  // 'c' character, 'b' block
  int64_t major = 0, minor = 0;
  uint32_t file_mode = 0;  // the permission bits (07777)
  uint32_t uid = 0, gid = 0;
};

// The device node at `path` on the host; nothing when there is none
// there (no file, or one that is not a device).
std::optional<HostDeviceNode> find_host_device_node(const std::string& path);

}  // namespace stack::devices
