// Units: Compose durations ("1m30s", "500ms") and byte sizes ("512m", "1.5GB").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stack::schema {

// Go time.ParseDuration syntax (ns, us, µs, ms, s, m, h; fractions; sums
// such as "1h2m"); a bare integer is seconds. Result in nanoseconds.
std::optional<std::int64_t> parse_duration(std::string_view text);

// Go time.Duration.String() form: "1m30s", "500ms", "0s".
std::string format_duration(std::int64_t nanoseconds);

// Docker's RAMInBytes: a number with an optional b, k, m, g, t, p unit
// (optionally followed by "b" or "ib"), binary multiples, case-insensitive.
std::optional<std::int64_t> parse_bytes(std::string_view text);

// Permission bits as Compose reads them from YAML: octal when written
// with a leading 0 or 0o (0440, 0o440) or when `octal` says so (a quoted
// "440"), decimal otherwise; nullopt past 07777 or on a stray character.
std::optional<std::int64_t> parse_file_mode(std::string_view text, bool octal = false);

}  // namespace stack::schema
