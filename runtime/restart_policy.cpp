#include "runtime/restart_policy.h"

#include <algorithm>

namespace stack::runtime {

std::optional<RestartPolicy> RestartPolicy::parse(const std::string& text) {
  RestartPolicy p;
  if (text == "no" || text.empty()) return p;
  if (text == "always") p.mode = Mode::Always;
  else if (text == "unless-stopped") p.mode = Mode::UnlessStopped;
  else if (text.rfind("on-failure", 0) == 0) {
    p.mode = Mode::OnFailure;
    std::string rest = text.substr(10);
    if (rest.empty()) return p;
    if (rest[0] != ':' || rest.size() < 2 || rest.size() > 10 || rest.find_first_not_of("0123456789", 1) != std::string::npos)
      return std::nullopt;
    p.max_retries = std::stoi(rest.substr(1));
  } else {
    return std::nullopt;
  }
  return p;
}

std::string RestartPolicy::to_string() const {
  switch (mode) {
    case Mode::No: return "no";
    case Mode::Always: return "always";
    case Mode::UnlessStopped: return "unless-stopped";
    case Mode::OnFailure: return max_retries ? "on-failure:" + std::to_string(max_retries) : "on-failure";
  }
  return "no";
}

bool RestartPolicy::restarts(int exit_code, int restarts, bool stopped_by_user) const {
  if (stopped_by_user) return false;
  switch (mode) {
    case Mode::No: return false;
    case Mode::Always:
    case Mode::UnlessStopped: return true;
    case Mode::OnFailure: return exit_code != 0 && (max_retries == 0 || restarts < max_retries);
  }
  return false;
}

std::chrono::milliseconds RestartBackOff::next(std::chrono::milliseconds last_run) {
  using namespace std::chrono_literals;
  if (last_run >= 10s || delay_ == 0ms) delay_ = 100ms;
  else delay_ = std::min<std::chrono::milliseconds>(delay_ * 2, 1min);
  return delay_;
}

}  // namespace stack::runtime
