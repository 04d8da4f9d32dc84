// libFuzzer target: any bytes as a .dockerignore file and the paths of a build context (the lines after a line `%%`), each path matched against the file and against each pattern alone.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "builder/dockerignore.h"

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find("\n%%\n");
  std::string patterns = input.substr(0, split);
  std::vector<std::string> paths =
      split == std::string::npos ? std::vector<std::string>{"a", "a/b", "x/y/z.txt"} : lines_of(input.substr(split + 4));
  stack::builder::DockerIgnore ignore;
  if (!stack::builder::DockerIgnore::parse(patterns, ".dockerignore", &ignore)) return 0;
  (void)ignore.has_exceptions();
  std::vector<std::string> pattern_lines = lines_of(patterns);
  for (const std::string& path : paths) {
    (void)ignore.excluded(path);
    for (const std::string& pattern : pattern_lines) (void)stack::builder::DockerIgnore::matches(pattern, path);
  }
  return 0;
}
