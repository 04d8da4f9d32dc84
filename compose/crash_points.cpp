#include "compose/crash_points.h"

#include <cstdlib>
#include <string>

#include "runtime/linux/this_process.h"

namespace stack::compose {
namespace {

// Set once, before anything forks: every launch reads the same.
const std::string& crash_step() {
  static const std::string step = [] {
    const char* at = std::getenv("STACK_TEST_CRASH_AT");
    return std::string(at ? at : "");
  }();
  return step;
}

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
