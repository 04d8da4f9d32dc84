#include "runtime/linux/rlimits.h"

#include <sys/resource.h>

#include <utility>

namespace stack::runtime::linux_ {
namespace {

// Docker's names (go-units' ulimit table): RLIMIT_ without its prefix, lower case.
const std::vector<std::pair<std::string, int>>& table() {
  static const std::vector<std::pair<std::string, int>> limits = {
      {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
      {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
      {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK},
  };
  return limits;
}

}  // namespace

std::optional<int> rlimit_resource(const std::string& name) {
  for (const auto& [known, resource] : table())
    if (known == name) return resource;
  return std::nullopt;
}

const std::vector<std::string>& rlimit_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, resource] : table()) out.push_back(name);
    return out;
  }();
  return names;
}

}  // namespace stack::runtime::linux_
