// LogOptions: a container's logging driver and options as Docker reads them (json-file, local, none), checked where a stack file is read and applied by whoever writes the container's log.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace stack::runtime {

// How a container's log is kept: in files beside its record, rotated once
// the current one would grow past `max_size` bytes, `max_files` in all
// (the current one counted), as Docker's json-file and local drivers keep
// them; or not at all (driver "none").
struct LogConfig {
  std::string driver = "json-file";
  std::int64_t max_size = -1;  // bytes; -1: the file grows without bound
  int max_files = 1;

  bool kept() const { return driver != "none"; }
  bool operator==(const LogConfig&) const = default;
};

// The drivers stack can keep a log with; any other (syslog, journald,
// gelf, fluentd, awslogs...) sends the log elsewhere, which stack does not.
bool known_log_driver(const std::string& driver);

// What becomes of one option of a known driver.
struct LogOptionCheck {
  enum class Kind { Applied, Ignored, Refused } kind = Kind::Applied;
  std::string why;  // for Ignored and Refused: a sentence for the user
};
LogOptionCheck check_log_option(const std::string& driver, const std::string& key, const std::string& value);

// Docker's reading of a size option (go-units FromHumanSize): decimal
// multiples, "10m" is 10,000,000 bytes, "1.5k" 1,500; nullopt for text that
// is no size.
std::optional<std::int64_t> parse_log_size(const std::string& text);

// The configuration of a known driver and options that check_log_option
// passed, with the driver's defaults (local: 20m, 5 files). An error text
// for what only the options together can say ("compress" without rotation).
std::optional<std::string> log_config(const std::string& driver, const std::map<std::string, std::string>& options,
                                      LogConfig* out);

}  // namespace stack::runtime
