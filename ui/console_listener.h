// ConsoleListener: what the engine does, shown on the terminal as Compose shows it: progress rows, warnings on stderr, builds, pulls and attached output.
#pragma once

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compose/compose.h"
#include "ui/console_image_progress.h"
#include "ui/progress_display.h"
#include "ui/project_logs.h"

namespace stack::ui {

// Attached `up`'s view of its containers' output: prefixed, colored on a terminal.
inline LogView attached_view(bool terminal) {
  LogView view;
  view.color = terminal;
  return view;
}

class ConsoleListener : public compose::Listener {
 public:
  // Rows go to `out`, redrawn in place when it is a terminal; attached
  // containers' output as `logs` says (colored on a terminal).
  ConsoleListener(std::ostream& out, bool terminal, std::optional<LogView> logs = std::nullopt)
      : out_(out), terminal_(terminal), view_(logs.value_or(attached_view(terminal))) {}

  void step(const std::string& object, const std::string& status, bool done) override;
  void step_since(const std::string& object, const std::string& status, bool done,
                  std::chrono::steady_clock::time_point since) override;
  void warning(const std::string& message) override { std::cerr << "warning: " << message << "\n"; }
  void steps_done() override;
  void say(const std::string& line) override;
  void error(const std::string& message) override { std::cerr << "error: " << message << "\n"; }
  void attach(const std::vector<std::pair<std::string, std::string>>& containers) override;
  void print_attached() override;

  std::unique_ptr<builder::BuildObserver> build(const std::string& progress, bool quiet) override {
    return images_.build(progress, quiet);
  }
  std::unique_ptr<compose::PullView> pull(bool quiet) override { return images_.pull(quiet); }
  void note(const std::string& line) override { images_.note(line); }

 private:
  ProgressDisplay& rows();

  std::ostream& out_;
  bool terminal_;
  LogView view_;
  std::optional<ProgressDisplay> rows_;  // made at the first row after steps_done()
  std::unique_ptr<ProjectLogs> logs_;
  ConsoleImageProgress images_;
};

}  // namespace stack::ui
