#include "runtime/linux/rlimits.h"

#include <sys/resource.h>

#include <utility>
#include <vector>

namespace stack::runtime::linux_ {

std::optional<int> rlimit_resource(const std::string& name) {
  static const std::vector<std::pair<std::string, int>> limits = {
      {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
      {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
      {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK},
  };
  for (const auto& [known, resource] : limits)
    if (known == name) return resource;
  return std::nullopt;
}

}  // namespace stack::runtime::linux_
