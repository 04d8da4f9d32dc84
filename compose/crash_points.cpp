#include "compose/crash_points.h"

#include <string>

#include "compose/host.h"
#include "runtime/linux/this_process.h"

namespace stack::compose {
namespace {

// Installed before anything forks: every launch reads the same.
const std::string& crash_step() { return host().crash_at; }

}  // namespace

void arm_crash_point() {
  if (crash_step().empty()) return;
  runtime::linux_::lead_own_process_group();
}

void crash_point(std::string_view step) {
  if (crash_step().empty() || step != crash_step()) return;
  runtime::linux_::kill_own_process_group();
}

}  // namespace stack::compose
