#include "runtime/log_options.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace stack::runtime {
namespace {

// Go's strconv.ParseBool, which Docker reads "compress" with.
std::optional<bool> parse_go_bool(const std::string& text) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == t) return true;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == f) return false;
  return std::nullopt;
}

std::optional<int> parse_count(const std::string& text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

bool file_driver(const std::string& driver) { return driver == "json-file" || driver == "local"; }

}  // namespace

bool known_log_driver(const std::string& driver) { return file_driver(driver) || driver == "none"; }

std::optional<std::int64_t> parse_log_size(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0 || text[0] == '.') return std::nullopt;
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc() || end != text.data() + i) return std::nullopt;
  std::string unit = text.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // [kmgtp]?i?b? as go-units has it; "i" changes nothing there either.
  double multiple = 1;
  size_t at = 0;
  if (at < unit.size()) {
    const std::string prefixes = "kmgtp";
    if (size_t p = prefixes.find(unit[at]); p != std::string::npos) {
      multiple = std::pow(1000.0, static_cast<double>(p + 1));
      ++at;
    }
  }
  if (at < unit.size() && unit[at] == 'i') ++at;
  if (at < unit.size() && unit[at] == 'b') ++at;
  if (at != unit.size()) return std::nullopt;
  double bytes = number * multiple;
  if (!(bytes < 9.2e18)) return std::nullopt;
  return static_cast<std::int64_t>(bytes);
}

LogOptionCheck check_log_option(const std::string& driver, const std::string& key, const std::string& value) {
  using Kind = LogOptionCheck::Kind;
  if (driver == "none") return {Kind::Ignored, "driver \"none\" keeps no log; the option does nothing"};
  if (key == "max-size") {
    std::optional<std::int64_t> size = parse_log_size(value);
    if (!size) return {Kind::Refused, "\"" + value + "\" is not a size (like 10m or 512k)"};
    if (*size <= 0) return {Kind::Refused, "max-size must be a positive number"};
    return {};
  }
  if (key == "max-file") {
    std::optional<int> count = parse_count(value);
    if (!count) return {Kind::Refused, "\"" + value + "\" is not a number of files"};
    if (*count < 1) return {Kind::Refused, "max-file cannot be less than 1"};
    return {};
  }
  if (key == "compress") {
    std::optional<bool> compress = parse_go_bool(value);
    if (!compress) return {Kind::Refused, "\"" + value + "\" is not true or false"};
    if (*compress) return {Kind::Ignored, "stack keeps rotated log files uncompressed"};
    return {};
  }
  // json-file's attributes of each line; stack's lines carry none.
  if (driver == "json-file" &&
      (key == "labels" || key == "labels-regex" || key == "env" || key == "env-regex" || key == "tag"))
    return {Kind::Ignored, "stack's log lines carry no attributes"};
  return {Kind::Refused, "unknown log option \"" + key + "\" for the " + driver + " driver"};
}

std::optional<std::string> log_config(const std::string& driver, const std::map<std::string, std::string>& options,
                                      LogConfig* out) {
  LogConfig c;
  c.driver = driver.empty() ? "json-file" : driver;
  if (c.driver == "local") {
    // Docker's local driver keeps 100 MB by default: 5 files of 20 MB.
    c.max_size = 20 * 1000 * 1000;
    c.max_files = 5;
  }
  if (file_driver(c.driver)) {
    auto find = [&](const char* key) -> const std::string* {
      auto it = options.find(key);
      return it == options.end() ? nullptr : &it->second;
    };
    if (const std::string* size = find("max-size"))
      if (std::optional<std::int64_t> bytes = parse_log_size(*size)) c.max_size = *bytes;
    if (const std::string* files = find("max-file"))
      if (std::optional<int> count = parse_count(*files)) c.max_files = *count;
    const std::string* compress = find("compress");
    if (c.driver == "json-file" && compress && parse_go_bool(*compress).value_or(false) &&
        (c.max_files < 2 || c.max_size < 0))
      return "compress cannot be true when max-file is less than 2 or max-size is not set";
  }
  *out = c;
  return std::nullopt;
}

}  // namespace stack::runtime
