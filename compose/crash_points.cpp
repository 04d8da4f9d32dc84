#include "compose/crash_points.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

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
  if (::getpgrp() != ::getpid()) ::setpgid(0, 0);
}

void crash_point(std::string_view step) {
  if (crash_step().empty() || step != crash_step()) return;
  ::kill(0, SIGKILL);
  ::raise(SIGKILL);
}

}  // namespace stack::compose
