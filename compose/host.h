// Host: where stack keeps its state on this machine (STACK_ROOT) and the programs a container's shim runs, read once per process.
#pragma once

#include <string>

#include "runtime/container_runner.h"

namespace stack::compose {

// STACK_ROOT, or /var/lib/stack: where images, volumes and project state
// live. Read from the environment once; the first call in a process makes
// it (0711) and its stores' directories (0700), and tightens those an
// older stack left looser.
std::string stack_root();
std::string images_root();
// Where containers' layers, cgroups and compiled seccomp filters live, and
// the shim's programs (installed beside this one).
runtime::RuntimePaths runtime_paths();

}  // namespace stack::compose
