// Diagnostics: errors and warnings about a stack file, each at a file:line:col and key path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/node.h"

namespace stack::schema {

struct Diagnostic {
  enum class Severity { Warning, Error };
  Severity severity = Severity::Error;
  Mark mark;
  std::string path;  // "services.web.ports[0]"; empty for file-level problems
  std::string message;
  bool ignored_key = false;  // a key stack accepts and does not apply (Diagnostics::ignored)

  // "compose.yaml:12:7: services.web.ports[0]: message"
  std::string format() const;
};

// At most `max` bytes of `text` for a message: longer text keeps its start
// and its end around a "…", cut at UTF-8 character boundaries.
std::string excerpt(std::string_view text, size_t max = 80);

// The lines of one file, indexed once, and the excerpt under a mark of it.
class SourceLines {
 public:
  explicit SourceLines(std::string text);
  // "    <line>\n    <caret>\n" for `mark`: a line longer than the width
  // shows only the part around the column. Empty when the line is not in
  // the file, or the file may hold secrets (see file_is_confidential).
  std::string excerpt(const Mark& mark) const;

 private:
  std::string text_;
  std::vector<size_t> line_starts_;
};

// Collects what the loader's stages find. Stages keep going after an error
// so that one run reports every problem it can, and stop between stages.
class Diagnostics {
 public:
  void error(const Mark& mark, std::string path, std::string message);
  void warning(const Mark& mark, std::string path, std::string message);
  // A key stack accepts and does not apply: a warning, and an error under
  // `--strict`, which fails on these and on nothing else (an unset
  // variable or the obsolete `version:` stay warnings, as in Compose).
  void ignored(const Mark& mark, std::string path, std::string message);
  void set_strict(bool strict) { strict_ = strict; }

  bool has_errors() const { return errors_ > 0; }
  const std::vector<Diagnostic>& all() const { return items_; }
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
  size_t errors_ = 0;
  bool strict_ = false;
};

// A key path kept on the stack while a walk descends; it becomes text only
// when something is reported, so walking a large file allocates no paths.
struct PathRef {
  const PathRef* parent = nullptr;
  std::string_view key;  // must outlive the PathRef
  size_t index = 0;
  bool is_index = false;

  PathRef child(std::string_view k) const { return {this, k, 0, false}; }
  PathRef item(size_t i) const { return {this, {}, i, true}; }
  std::string str() const;
};

// Key-path helpers: "services" + "web" -> "services.web"; + 0 -> "services.web[0]".
std::string path_key(std::string_view parent, std::string_view key);
std::string path_index(std::string_view parent, size_t index);

// The known name closest to `word`, for "did you mean" hints; empty when none is close.
std::string closest_name(std::string_view word, const std::vector<std::string_view>& names);

}  // namespace stack::schema
