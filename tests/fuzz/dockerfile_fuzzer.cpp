// libFuzzer target: any bytes as a Dockerfile through the reader, then each instruction's arguments through word splitting, KEY=VALUE pairs and expansion, as a build reads them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "builder/dockerfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  stack::builder::Dockerfile dockerfile;
  if (!stack::builder::parse_dockerfile(text, "Dockerfile", &dockerfile)) return 0;
  // Set, empty and unset variables, so every modifier takes each branch.
  auto lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "EMPTY") return std::string();
    if (name.empty() || name[0] == 'U') return std::nullopt;
    return "v-" + name;
  };
  for (const stack::builder::Instruction& instruction : dockerfile.instructions) {
    std::string expanded;
    if (stack::builder::expand_words(instruction.text, dockerfile.escape, lookup, &expanded))
      (void)stack::builder::split_words(expanded, dockerfile.escape);
    (void)stack::builder::split_words(instruction.text, dockerfile.escape);
    std::vector<std::pair<std::string, std::string>> pairs;
    (void)stack::builder::parse_pairs(instruction.text, dockerfile.escape, true, &pairs);
  }
  return 0;
}
