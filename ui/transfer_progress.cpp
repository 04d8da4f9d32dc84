#include "ui/transfer_progress.h"

#include <algorithm>
#include <cstdio>

namespace stack::ui {
namespace {

std::string megabytes(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fMB", static_cast<double>(bytes) / 1e6);
  return buf;
}

}  // namespace

std::string describe_transfer(const registry::TransferProgress& p) {
  if (p.status != "Downloading" && p.status != "Pushing") return p.status;
  if (p.total <= 0) return p.status + "  " + megabytes(p.done);
  constexpr int kWidth = 20;
  int filled = static_cast<int>(kWidth * std::min(p.done, p.total) / p.total);
  std::string bar = std::string(static_cast<size_t>(filled), '=') + (filled < kWidth ? ">" : "") +
                    std::string(static_cast<size_t>(std::max(0, kWidth - filled - 1)), ' ');
  return p.status + " [" + bar + "]  " + megabytes(p.done) + "/" + megabytes(p.total);
}

std::function<void(const registry::TransferProgress&)> show_transfer(ProgressDisplay& display, bool quiet) {
  return [&display, quiet](const registry::TransferProgress& p) {
    if (!quiet) display.update(p.object, describe_transfer(p), p.finished);
  };
}

}  // namespace stack::ui
