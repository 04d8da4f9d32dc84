// Dotenv: parses `.env` / `--env-file` / `env_file:` content into ordered KEY=VALUE pairs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/diagnostics.h"
#include "schema/interpolation.h"

namespace stack::schema {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// Parses dotenv text: comments, blank lines, `export KEY=...`, single quotes
// (literal), double quotes (escapes, multi-line, interpolation), unquoted
// values (inline ` #` comments, interpolation). A bare `KEY` takes its value
// from `lookup` and is skipped when unset. Interpolation looks first in
// `lookup` (the shell environment), then at the keys defined above it.
EnvList parse_dotenv(std::string_view text, const std::string& file, const VariableLookup& lookup,
                     Diagnostics& diags);

}  // namespace stack::schema
