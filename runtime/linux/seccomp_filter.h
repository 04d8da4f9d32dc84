// SeccompFilter: the default syscall filter (Docker's default profile, built with libseccomp) and JSON profiles.
#pragma once

#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Loads Docker's default policy into the calling process: EPERM for what
// it does not list, an allowlist of ordinary syscalls, namespace and mount
// syscalls only with CAP_SYS_ADMIN among `capabilities`, clone without
// namespace flags, no AF_ALG/AF_VSOCK sockets, ENOSYS for syscall numbers
// newer than the filter knows (so that libc falls back, as for clone3).
Status load_default_seccomp(const std::vector<std::string>& capabilities);

// Loads a profile in Docker's JSON format (defaultAction, syscalls[].names,
// action, errnoRet, args).
Status load_seccomp_profile(const std::string& json_text);

}  // namespace stack::runtime::linux_
