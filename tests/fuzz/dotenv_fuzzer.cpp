// libFuzzer target: any bytes as a .env file (quotes, escapes, multi-line values, interpolation of the shell's and earlier keys), and every diagnostic formatted.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schema/diagnostics.h"
#include "schema/dotenv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // A shell environment with a set, an empty and (every other name) an unset variable.
  stack::schema::VariableLookup lookup = [](std::string_view name) -> std::optional<std::string> {
    if (name == "SET") return std::string("value");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
  };
  stack::schema::Diagnostics diags;
  (void)stack::schema::parse_dotenv(text, ".env", lookup, diags);
  for (const auto& d : diags.all()) (void)d.format();
  return 0;
}
