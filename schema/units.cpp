#include "schema/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace stack::schema {
namespace {

constexpr std::int64_t kMicro = 1000;
constexpr std::int64_t kMilli = 1000 * kMicro;
constexpr std::int64_t kSecond = 1000 * kMilli;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view s) {
  if (all_digits(s) && s.size() < 12) return std::stoll(std::string(s)) * kSecond;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    std::string number(s.substr(0, i));
    if (number == "." || number.find('.') != number.rfind('.')) return std::nullopt;
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.') ++j;
    std::string_view unit = s.substr(0, j);
    s.remove_prefix(j);
    std::int64_t scale;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = kMicro;
    else if (unit == "ms") scale = kMilli;
    else if (unit == "s") scale = kSecond;
    else if (unit == "m") scale = kMinute;
    else if (unit == "h") scale = kHour;
    else return std::nullopt;
    total += std::strtold(number.c_str(), nullptr) * scale;
    if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  }
  auto ns = static_cast<std::int64_t>(std::llround(static_cast<double>(total)));
  return negative ? -ns : ns;
}

std::string format_duration(std::int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  std::uint64_t u = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  auto fraction = [](std::uint64_t value, std::uint64_t unit) {
    std::string out = std::to_string(value / unit);
    std::uint64_t rest = value % unit;
    if (rest) {
      std::string digits = std::to_string(rest + unit).substr(1);  // zero-padded
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      out += "." + digits;
    }
    return out;
  };
  if (u < static_cast<std::uint64_t>(kMicro)) return sign + std::to_string(u) + "ns";
  if (u < static_cast<std::uint64_t>(kMilli)) return sign + fraction(u, kMicro) + "\xC2\xB5s";
  if (u < static_cast<std::uint64_t>(kSecond)) return sign + fraction(u, kMilli) + "ms";
  std::string out;
  std::uint64_t hours = u / kHour;
  u %= kHour;
  std::uint64_t minutes = u / kMinute;
  u %= kMinute;
  if (hours) out += std::to_string(hours) + "h";
  if (hours || minutes) out += std::to_string(minutes) + "m";
  out += fraction(u, kSecond) + "s";
  return sign + out;
}

std::optional<std::int64_t> parse_bytes(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  std::string number(s.substr(0, i));
  if (number == "." || number.find('.') != number.rfind('.')) return std::nullopt;
  std::string unit;
  for (char c : s.substr(i))
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  long double scale = 1;
  if (!unit.empty()) {
    const char prefixes[] = "bkmgtp";
    size_t p = std::string_view(prefixes).find(unit[0]);
    if (p == std::string_view::npos) return std::nullopt;
    std::string_view rest = std::string_view(unit).substr(1);
    if (unit[0] == 'b' && !rest.empty()) return std::nullopt;
    if (unit[0] != 'b' && !(rest.empty() || rest == "b" || rest == "ib")) return std::nullopt;
    scale = std::pow(1024.0L, static_cast<long double>(p));
  }
  long double value = std::strtold(number.c_str(), nullptr) * scale;
  if (value > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

std::optional<std::int64_t> parse_file_mode(std::string_view text, bool octal) {
  if (text.empty()) return std::nullopt;
  octal = octal || text[0] == '0';
  if (text.substr(0, 2) == "0o") text.remove_prefix(2);
  if (text.empty() || text.size() > 6) return std::nullopt;
  std::int64_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > (octal ? '7' : '9')) return std::nullopt;
    mode = mode * (octal ? 8 : 10) + (c - '0');
  }
  if (mode > 07777) return std::nullopt;
  return mode;
}

}  // namespace stack::schema
