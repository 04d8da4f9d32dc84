// MemoryFiles: stack files held in memory, so that loader tests touch no disk.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "schema/loader.h"

namespace stack::test_support {

class MemoryFiles : public schema::StackFileSource {
 public:
  std::map<std::string, std::string> files;
  std::optional<std::string> read(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  bool exists(const std::string& path) override { return files.count(path) > 0; }
};

}  // namespace stack::test_support
