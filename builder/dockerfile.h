// Dockerfile: a Dockerfile read into instructions (directives, comments, continuations, heredocs, exec and shell forms), and word expansion.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::builder {

using runtime::Status;

// A here-document of an instruction: `<<EOF` ... `EOF`.
struct Heredoc {
  std::string name;     // the delimiter word
  std::string content;  // its lines, each ending in a newline
  bool strip_tabs = false;  // <<-: leading tabs removed from its lines
  bool expand = true;       // a quoted delimiter ('EOF' or "EOF") turns expansion off
};

struct Instruction {
  std::string keyword;  // upper case: FROM, RUN, COPY, ...
  int line = 0;         // where it starts, 1-based
  std::map<std::string, std::string> flags;  // --from=build, --chown=1:1, --mount=... (the last of each)
  std::vector<std::string> mounts;           // every --mount, in order (RUN)
  // The arguments after the flags, as written (continuations joined).
  std::string text;
  // The exec (JSON array) form, when the arguments are one: RUN, CMD,
  // ENTRYPOINT, COPY, ADD, VOLUME, SHELL, HEALTHCHECK CMD.
  std::optional<std::vector<std::string>> exec_form;
  std::vector<Heredoc> heredocs;
  std::string original;  // the whole instruction as written, for cache keys and messages
};

struct Dockerfile {
  std::string file;  // its name, for messages
  char escape = '\\';
  std::vector<Instruction> instructions;
};

// Reads `text`. Errors say `file:line: what`: an unknown instruction (with
// a "did you mean"), a continuation or heredoc left open, a flag an
// instruction does not take, arguments missing, a bad escape directive,
// no FROM before the first instruction that needs one.
Status parse_dockerfile(const std::string& text, const std::string& file, Dockerfile* out);

// Splits shell-form words as Docker does for COPY, EXPOSE, VOLUME, ...:
// whitespace separates, quotes group, the escape character escapes.
std::vector<std::string> split_words(const std::string& text, char escape = '\\');

// KEY=VALUE pairs (ENV, LABEL, ARG), quotes removed; the legacy `ENV KEY
// VALUE` form when `legacy_allowed` and there is no '='. An error names
// the pair that is not KEY=VALUE.
Status parse_pairs(const std::string& text, char escape, bool legacy_allowed,
                   std::vector<std::pair<std::string, std::string>>* out);

// Expands $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:+alt} and
// ${VAR+alt} with `lookup` (nullopt: unset), as Docker expands ARG and ENV
// values in FROM, COPY, ENV, WORKDIR, USER, ...; the escape character
// keeps a '$' literal. Quotes are kept for split_words to remove. An error
// names an unterminated ${ or an unsupported modifier.
Status expand_words(const std::string& text, char escape,
                    const std::function<std::optional<std::string>(const std::string&)>& lookup, std::string* out);

}  // namespace stack::builder
