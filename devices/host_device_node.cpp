#include "devices/host_device_node.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace stack::devices {

std::optional<HostDeviceNode> find_host_device_node(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) return std::nullopt;
  HostDeviceNode node;
  node.type = S_ISBLK(st.st_mode) ? 'b' : 'c';
  node.major = static_cast<int64_t>(major(st.st_rdev));
  node.minor = static_cast<int64_t>(minor(st.st_rdev));
  node.file_mode = st.st_mode & 07777;
  node.uid = st.st_uid;
  node.gid = st.st_gid;
  return node;
}

}  // namespace stack::devices
