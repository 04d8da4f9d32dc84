// BuildProgress: a build's steps as it goes: each step's line and its RUN output, "CACHED" or its time once done.
#pragma once

#include <mutex>
#include <ostream>
#include <string>

#include "builder/image_builder.h"

namespace stack::ui {

class BuildProgress : public builder::BuildObserver {
 public:
  // `terminal`: a step's line is printed as it starts, bold, and its
  // output dimmed and indented beneath it; otherwise a step's line is
  // printed when it has output or is done, and output as it comes.
  BuildProgress(std::ostream& out, bool terminal, bool quiet) : out_(out), terminal_(terminal), quiet_(quiet) {}

  void started(const builder::BuildStep& step) override;
  void output(const builder::BuildStep& step, std::string_view text) override;
  void finished(const builder::BuildStep& step, bool cached, double seconds) override;
  void warning(const std::string& text) override;

  // How a step's line reads: "[build 2/4] RUN make".
  static std::string step_line(const builder::BuildStep& step);

 private:
  void open_step_locked();
  void flush_partial_locked();

  std::ostream& out_;
  bool terminal_, quiet_;
  std::mutex mu_;
  builder::BuildStep step_;
  bool header_printed_ = false, line_open_ = false;  // line_open_: the header waits for its outcome on the same line
  std::string partial_;  // output after the last newline
};

}  // namespace stack::ui
