// ConsoleImageProgress: builds and pulls shown on stderr as Compose shows them: build steps with their output, a pull's layers as redrawn rows.
#pragma once

#include <iostream>

#include "compose/image_progress.h"

namespace stack::ui {

class ConsoleImageProgress : public compose::ImageProgress {
 public:
  // A build's steps are drawn for a terminal with "tty", or with "auto"
  // when stderr is one (and TERM is not dumb); "plain" prints them as lines.
  std::unique_ptr<builder::BuildObserver> build(const std::string& progress, bool quiet) override;
  // Rows redrawn per layer on a terminal, a line per finished step otherwise.
  std::unique_ptr<compose::PullView> pull(bool quiet) override;
  // Both on stderr, with the builds' and pulls' progress: stdout stays the command's output.
  void note(const std::string& line) override { std::cerr << line << "\n"; }
  void warning(const std::string& message) override { std::cerr << "warning: " << message << "\n"; }
};

}  // namespace stack::ui
