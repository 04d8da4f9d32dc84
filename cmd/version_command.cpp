// `stack version`.
#include <iostream>
#include <memory>

#include "cmd/commands.h"

#ifndef STACK_VERSION
#define STACK_VERSION "0.0.0-dev"
#endif

namespace stack::cmd {

void add_version_command(CLI::App& app, int& exit_code) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* sub = app.add_subcommand("version", "Print the version of stack");
  sub->add_option("--format", *format, "Output format")->check(CLI::IsMember({"text", "json"}));
  sub->callback([format, &exit_code] {
    if (*format == "json") std::cout << "{\"version\":\"" STACK_VERSION "\"}\n";
    else std::cout << "stack version " STACK_VERSION "\n";
    exit_code = 0;
  });
}

}  // namespace stack::cmd
