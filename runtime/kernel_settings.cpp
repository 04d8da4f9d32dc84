#include "runtime/kernel_settings.h"

#include <algorithm>

namespace stack::runtime {

const std::vector<std::string>& rlimit_names() {
  static const std::vector<std::string> names = {"as",     "core",  "cpu",    "data",   "fsize",   "locks",
                                                 "memlock", "msgqueue", "nice", "nofile", "nproc", "rss",
                                                 "rtprio", "rttime", "sigpending", "stack"};
  return names;
}

bool known_rlimit(const std::string& name) {
  return std::find(rlimit_names().begin(), rlimit_names().end(), name) != rlimit_names().end();
}

bool namespaced_sysctl(const std::string& name) {
  std::string n = name;
  std::replace(n.begin(), n.end(), '/', '.');
  auto starts_with = [&](const char* prefix) { return n.rfind(prefix, 0) == 0; };
  return starts_with("net.") || starts_with("kernel.shm") || starts_with("kernel.msg") || n == "kernel.sem" ||
         starts_with("fs.mqueue.");
}

}  // namespace stack::runtime
