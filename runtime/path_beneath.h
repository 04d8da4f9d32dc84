// PathBeneath: paths under the state root made from names users give, refused when they would leave it.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace stack::runtime {

// `root` joined with `names`, each of which must be one plain path component:
// not empty, not "." or "..", without '/' or NUL. The one way a name that
// came from a stack file, a command line or another store (a volume, a
// network, a project) becomes a path under STACK_ROOT, so that no name can
// point `up` or `down -v` at a directory outside it.
Status path_beneath(const std::string& root, std::initializer_list<std::string_view> names, std::string* out);

// Whether `path` (which must start with `root`) stays beneath `root` when
// every symbolic link on the way is followed, as the kernel resolves it
// (openat2 with RESOLVE_BENEATH). The part of `path` that does not exist yet
// is fine: what is made there later is made beneath the part that does.
Status resolves_beneath(const std::string& root, const std::string& path);

}  // namespace stack::runtime
