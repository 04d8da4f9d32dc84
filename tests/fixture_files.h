// Fixture files: reading a fixture's files whole, for the fixture and manifest tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fixture_files {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace fixture_files
