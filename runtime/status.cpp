#include "runtime/status.h"

#include <cerrno>
#include <cstring>

namespace stack::runtime {

Status Status::from_errno(const std::string& what) { return from_errno(what, errno); }

Status Status::from_errno(const std::string& what, int err) { return Status(what + ": " + std::strerror(err)); }

}  // namespace stack::runtime
