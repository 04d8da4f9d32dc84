// RestartPolicy: when a container's shim starts it again after it exits, and how long it waits first.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace stack::runtime {

struct RestartPolicy {
  enum class Mode { No, Always, OnFailure, UnlessStopped };
  Mode mode = Mode::No;
  int max_retries = 0;  // on-failure:N; 0: no limit

  // "no", "always", "on-failure[:N]", "unless-stopped"; nullopt otherwise.
  static std::optional<RestartPolicy> parse(const std::string& text);
  std::string to_string() const;

  // Whether a container that exited with `exit_code` after `restarts`
  // restarts so far goes again. A stop asked for by a user is never undone.
  bool restarts(int exit_code, int restarts, bool stopped_by_user) const;
};

// Docker's back-off between restarts: 100 ms, doubling each time, at most a
// minute; back to 100 ms after a run that lasted 10 s.
class RestartBackOff {
 public:
  // `last_delay`: the delay before the run that just ended (a shim's
  // supervisor hands it back across exec); 0 before the first restart.
  explicit RestartBackOff(std::chrono::milliseconds last_delay = std::chrono::milliseconds(0)) : delay_(last_delay) {}
  std::chrono::milliseconds next(std::chrono::milliseconds last_run);
  std::chrono::milliseconds last_delay() const { return delay_; }

 private:
  std::chrono::milliseconds delay_{0};
};

}  // namespace stack::runtime
