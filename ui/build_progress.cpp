#include "ui/build_progress.h"

#include <cstdio>

namespace stack::ui {
namespace {

constexpr const char* kBold = "\033[1m";
constexpr const char* kDim = "\033[2m";
constexpr const char* kBlue = "\033[34m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kReset = "\033[0m";

std::string seconds_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

}  // namespace

std::string BuildProgress::step_line(const builder::BuildStep& step) { return step.label() + " " + step.instruction; }

void BuildProgress::started(const builder::BuildStep& step) {
  std::lock_guard lock(mu_);
  step_ = step;
  header_printed_ = line_open_ = false;
  partial_.clear();
  if (quiet_) return;
  if (terminal_) {
    out_ << kBold << step_line(step) << kReset << std::flush;
    header_printed_ = line_open_ = true;
  }
}

void BuildProgress::open_step_locked() {
  if (line_open_) {
    out_ << "\n";
    line_open_ = false;
  }
  if (!header_printed_) {
    out_ << step_line(step_) << "\n";
    header_printed_ = true;
  }
}

void BuildProgress::output(const builder::BuildStep&, std::string_view text) {
  std::lock_guard lock(mu_);
  if (quiet_) return;
  open_step_locked();
  partial_.append(text);
  size_t start = 0;
  for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = partial_.substr(start, nl - start);
    if (terminal_) out_ << kDim << "  " << line << kReset << "\n";
    else out_ << line << "\n";
  }
  partial_.erase(0, start);
  out_ << std::flush;
}

void BuildProgress::flush_partial_locked() {
  if (partial_.empty()) return;
  if (terminal_) out_ << kDim << "  " << partial_ << kReset << "\n";
  else out_ << partial_ << "\n";
  partial_.clear();
}

void BuildProgress::finished(const builder::BuildStep& step, bool cached, double seconds) {
  std::lock_guard lock(mu_);
  if (quiet_) return;
  flush_partial_locked();
  std::string outcome = cached ? "CACHED" : "DONE " + seconds_text(seconds);
  if (terminal_) {
    const char* colour = cached ? kBlue : kGreen;
    if (line_open_) out_ << "  " << colour << outcome << kReset << "\n";
    else out_ << colour << "  => " << outcome << kReset << "\n";
  } else if (header_printed_) {
    out_ << step_line(step) << " " << outcome << "\n";
  } else {
    out_ << step_line(step) << "  " << outcome << "\n";
  }
  header_printed_ = line_open_ = false;
  out_ << std::flush;
}

void BuildProgress::warning(const std::string& text) {
  std::lock_guard lock(mu_);
  if (line_open_) out_ << "\n";
  line_open_ = false;
  if (terminal_) out_ << kYellow << "warning: " << text << kReset << "\n";
  else out_ << "warning: " << text << "\n";
  out_ << std::flush;
}

}  // namespace stack::ui
