#include "ui/console_listener.h"

#include "compose/host.h"
#include "runtime/container_store.h"

namespace stack::ui {

ProgressDisplay& ConsoleListener::rows() {
  if (!rows_) rows_.emplace(out_, terminal_);
  return *rows_;
}

void ConsoleListener::step(const std::string& object, const std::string& status, bool done) {
  rows().update(object, status, done);
}

void ConsoleListener::step_since(const std::string& object, const std::string& status, bool done,
                                 std::chrono::steady_clock::time_point since) {
  rows().update(object, status, done, since);
}

void ConsoleListener::steps_done() { rows_.reset(); }

void ConsoleListener::say(const std::string& line) {
  steps_done();
  out_ << line << std::endl;
}

void ConsoleListener::attach(const std::vector<std::pair<std::string, std::string>>& containers) {
  if (!logs_) logs_ = std::make_unique<ProjectLogs>(runtime::ContainerStore(compose::runtime_paths().containers), view_);
  for (const auto& [name, label] : containers) logs_->add(name, label);
}

void ConsoleListener::print_attached() {
  if (logs_) logs_->print_new();
}

}  // namespace stack::ui
