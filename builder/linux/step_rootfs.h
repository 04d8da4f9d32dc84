// StepRootfs: a build step's root filesystem (the image so far, a writable layer on top) mounted for a forked child alone.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::builder::linux_ {

using runtime::Status;

// Runs `body` in a forked child with a mount namespace of its own, in
// which `lower_dirs` (unpacked layers, top first; none for scratch) are
// mounted as an overlay at SCRATCH/merged that writes into SCRATCH/upper,
// and each of `sources` (other images' layers, top first) read-only at a
// directory of its own. `body` gets those roots. Whatever happens, nothing
// stays mounted once this returns: the namespace ends with the child.
// Returns `body`'s status.
Status in_step_rootfs(const std::string& scratch, const std::vector<std::string>& lower_dirs,
                      const std::vector<std::vector<std::string>>& sources,
                      const std::function<Status(const std::string& rootfs, const std::vector<std::string>& source_roots)>& body);

}  // namespace stack::builder::linux_
