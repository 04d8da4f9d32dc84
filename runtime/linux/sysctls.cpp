#include "runtime/linux/sysctls.h"

#include <algorithm>

#include "runtime/on_disk.h"

namespace stack::runtime::linux_ {
namespace {

std::string dotted(std::string name) {
  std::replace(name.begin(), name.end(), '/', '.');
  return name;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

bool namespaced_sysctl(const std::string& name) {
  std::string n = dotted(name);
  return starts_with(n, "net.") || starts_with(n, "kernel.shm") || starts_with(n, "kernel.msg") || n == "kernel.sem" ||
         starts_with(n, "fs.mqueue.");
}

Status write_sysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [name, value] : sysctls) {
    if (!namespaced_sysctl(name)) return Status::error("sysctl " + name + ": not namespaced: it would change the host");
    std::string path = dotted(name);
    std::replace(path.begin(), path.end(), '.', '/');
    if (Status s = write_file("/proc/sys/" + path, value); !s) return s.with_context("sysctl " + name);
  }
  return Status::ok();
}

}  // namespace stack::runtime::linux_
