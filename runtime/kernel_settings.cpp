#include "runtime/kernel_settings.h"

#include <algorithm>
#include <charconv>
#include <cmath>

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

int64_t cpu_weight_from_shares(int64_t shares) {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  // In log2(shares), a parabola with log10(weight) 0 at 1 (shares 2), 2
  // at 10 (shares 1024) and 4 at 18 (shares 262144).
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<int64_t>(std::ceil(std::pow(10.0, exponent)));
}

namespace {

// A whole decimal number that all of `text` is.
std::optional<int64_t> decimal(std::string_view text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 0) return std::nullopt;
  return n;
}

}  // namespace

std::optional<DeviceRule> parse_device_cgroup_rule(const std::string& text) {
  // "T MAJOR:MINOR ACCESS", single spaces, as Docker's pattern has it.
  size_t space = text.find(' ');
  size_t colon = text.find(':');
  size_t last = text.rfind(' ');
  if (space != 1 || last == space || colon == std::string::npos || colon < space || colon > last) return std::nullopt;
  DeviceRule rule;
  rule.type = text[0];
  if (rule.type != 'a' && rule.type != 'b' && rule.type != 'c') return std::nullopt;
  auto number = [](std::string_view part, int64_t* out) {
    if (part == "*") return *out = -1, true;
    std::optional<int64_t> n = decimal(part);
    if (n) *out = *n;
    return n.has_value();
  };
  std::string_view all(text);
  if (!number(all.substr(space + 1, colon - space - 1), &rule.major) ||
      !number(all.substr(colon + 1, last - colon - 1), &rule.minor))
    return std::nullopt;
  rule.access = text.substr(last + 1);
  if (rule.access.empty() || rule.access.size() > 3 || rule.access.find_first_not_of("rwm") != std::string::npos)
    return std::nullopt;
  return rule;
}

std::optional<std::string> cpuset_list_problem(const std::string& text) {
  if (text.empty()) return "it is empty";
  std::string_view rest(text);
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    size_t dash = item.find('-');
    std::optional<int64_t> first = decimal(item.substr(0, dash));
    std::optional<int64_t> last = dash == std::string_view::npos ? first : decimal(item.substr(dash + 1));
    if (!first || !last) return "\"" + std::string(item) + "\" is not a CPU number or a range N-M";
    if (*last < *first) return "the range \"" + std::string(item) + "\" runs backwards";
    if (comma == std::string_view::npos) return std::nullopt;
    rest = rest.substr(comma + 1);
  }
}

}  // namespace stack::runtime
