#include "runtime/linux/sysctls.h"

#include <algorithm>

#include "runtime/kernel_settings.h"
#include "runtime/on_disk.h"

namespace stack::runtime::linux_ {

Status write_sysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [name, value] : sysctls) {
    if (!namespaced_sysctl(name)) return Status::error("sysctl " + name + ": not namespaced: it would change the host");
    std::string path = name;
    std::replace(path.begin(), path.end(), '.', '/');
    if (Status s = write_file("/proc/sys/" + path, value); !s) return s.with_context("sysctl " + name);
  }
  return Status::ok();
}

}  // namespace stack::runtime::linux_
