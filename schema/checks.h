// Checks: typed reads of stack-file values that report what was expected, where.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/diagnostics.h"
#include "schema/interpolation.h"
#include "schema/node.h"

namespace stack::schema {

// What normalizers need besides the value: where relative paths start, the
// variables of the project, the file reader for env_file, and where to
// report problems.
struct NormalizeContext {
  Diagnostics& diags;
  std::string project_dir;
  VariableLookup environment;
  std::function<std::optional<std::string>(const std::string& path)> read_file;
  // False under --no-interpolate: a value may still hold ${VAR}, so names
  // are checked only once they are what a run would use.
  bool interpolated;
};

// True when `text` is a name still to be interpolated (see NormalizeContext::interpolated).
inline bool awaits_interpolation(const std::string& text, const NormalizeContext& cx) {
  return !cx.interpolated && text.find('$') != std::string::npos;
}

// Each returns the normalized value, or nullopt after reporting an error.
std::optional<Node> check_string(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> check_bool(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> check_int(const Node& v, const std::string& path, NormalizeContext& cx,
                              std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
std::optional<Node> check_number(const Node& v, const std::string& path, NormalizeContext& cx);
// A non-negative CPU count such as 0.5.
std::optional<Node> check_cpus(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> check_duration(const Node& v, const std::string& path, NormalizeContext& cx);
std::optional<Node> check_bytes(const Node& v, const std::string& path, NormalizeContext& cx);
// A list of strings; with `scalar_ok` a lone string becomes a one-item list.
std::optional<Node> check_string_list(const Node& v, const std::string& path, NormalizeContext& cx,
                                      bool scalar_ok = false);
// A mapping (or KEY=VALUE list) of strings; null values stay null.
std::optional<Node> check_string_map(const Node& v, const std::string& path, NormalizeContext& cx);
// One of `allowed`.
std::optional<Node> check_enum(const Node& v, const std::string& path, NormalizeContext& cx,
                               const std::vector<std::string_view>& allowed);
// A path made absolute against the project directory (`~` is $HOME).
std::optional<Node> check_path(const Node& v, const std::string& path, NormalizeContext& cx);
std::string absolute_path(const std::string& p, NormalizeContext& cx);
// `path` under `dir` when relative, with "." and ".." folded away, so that
// paths print the way the user thinks of them; an absolute path as it is.
std::string join_path(const std::string& dir, const std::string& path);

// Mapping attributes: each key has a normalizer; a key missing from the
// table is an error with a "did you mean"; `honoured == false` keeps the
// value but warns that stack ignores it.
using Normalizer = std::function<std::optional<Node>(const Node&, const std::string&, NormalizeContext&)>;
struct Field {
  std::string_view key;
  Normalizer normalize;
  bool honoured = true;
};

// Normalizes a mapping by its field table. Returns nullopt when `v` is not a mapping.
std::optional<Node> check_object(const Node& v, const std::string& path, NormalizeContext& cx,
                                 const std::vector<Field>& fields);

// A normalizer that keeps the value as written (for attributes stack ignores).
std::optional<Node> keep_as_is(const Node& v, const std::string& path, NormalizeContext& cx);

// Reports an unknown key with the closest known one.
void report_unknown_key(const Mark& mark, const std::string& parent_path, const std::string& key,
                        const std::vector<std::string_view>& known, NormalizeContext& cx);

// Splits a command string the way a POSIX shell splits words (quotes, backslashes).
std::optional<std::vector<std::string>> split_shell_words(std::string_view text, std::string* error);

}  // namespace stack::schema
