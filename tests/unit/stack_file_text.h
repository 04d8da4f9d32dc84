// Projects for unit tests, loaded from a stack file's text as if it were /p/compose.yaml.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "schema/loader.h"

namespace stack::test_support {

class OneStackFile : public schema::StackFileSource {
 public:
  explicit OneStackFile(std::string text) : text_(std::move(text)) {}
  std::optional<std::string> read(const std::string& path) override {
    if (path == "/p/compose.yaml") return text_;
    return std::nullopt;
  }
  bool exists(const std::string& path) override { return path == "/p/compose.yaml"; }

 private:
  std::string text_;
};

// The typed project of `text` (project name "p"); a load error fails the test.
inline schema::Project project_from_text(const std::string& text) {
  OneStackFile files(text);
  schema::LoadOptions o;
  o.working_dir = "/p";
  schema::LoadedProject p = schema::load_project(o, files);
  EXPECT_TRUE(p.ok()) << (p.diags.all().empty() ? "" : p.diags.all()[0].format());
  return schema::build_project(p.tree, p.project_dir);
}

}  // namespace stack::test_support
