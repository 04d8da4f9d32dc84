// DockerIgnore: a build context's .dockerignore patterns, and whether a path of the context is left out.
#pragma once

#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::builder {

class DockerIgnore {
 public:
  // Reads the file's text: one pattern a line, `#` comments, `!` for an
  // exception, paths relative to the context (a leading / is dropped),
  // `*`, `?`, `[a-z]` within a path segment, `**` for any number of
  // segments, the escape character `\`. An error names the line of a
  // malformed pattern (an unclosed `[`).
  static runtime::Status parse(const std::string& text, const std::string& file, DockerIgnore* out);

  // Whether `path` (relative to the context, '/'-separated) is excluded:
  // the last pattern that matches it or one of its parent directories
  // decides, as Docker's pattern matcher does.
  bool excluded(const std::string& path) const;

  // Whether some pattern is an exception (`!`): a walk of the context must
  // then look inside an excluded directory rather than skip it.
  bool has_exceptions() const { return has_exceptions_; }

  // Whether `pattern` matches `path` as a whole (both cleaned), with ** .
  static bool matches(const std::string& pattern, const std::string& path);

 private:
  struct Pattern {
    std::string text;
    bool exception = false;
  };
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

}  // namespace stack::builder
