#include "ui/console_image_progress.h"

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <iostream>

#include "ui/build_progress.h"
#include "ui/progress_display.h"
#include "ui/transfer_progress.h"

namespace stack::ui {
namespace {

class ConsolePullView : public compose::PullView {
 public:
  explicit ConsolePullView(bool quiet)
      : display_(std::cerr, !quiet && ::isatty(STDERR_FILENO)), show_(show_transfer(display_, quiet)) {}
  ~ConsolePullView() override { display_.finish(); }
  void progress(const registry::TransferProgress& p) override { show_(p); }

 private:
  ProgressDisplay display_;
  std::function<void(const registry::TransferProgress&)> show_;
};

}  // namespace

std::unique_ptr<builder::BuildObserver> ConsoleImageProgress::build(const std::string& progress, bool quiet) {
  const char* term = std::getenv("TERM");
  bool terminal = progress == "tty" || (progress == "auto" && ::isatty(STDERR_FILENO) && !(term && std::string(term) == "dumb"));
  return std::make_unique<BuildProgress>(std::cerr, terminal, quiet);
}

std::unique_ptr<compose::PullView> ConsoleImageProgress::pull(bool quiet) { return std::make_unique<ConsolePullView>(quiet); }

}  // namespace stack::ui
