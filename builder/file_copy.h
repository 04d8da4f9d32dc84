// FileCopy: COPY and ADD's effect on a root filesystem: sources placed at a destination, owners set, archives unpacked.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "builder/source_files.h"

namespace stack::builder {

struct CopyOwnership {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;  // --chown; unset: root, or the source's own with keep_source_owner
  bool keep_source_owner = false;  // COPY --from keeps owners; a build context's files become root's
  std::optional<mode_t> mode;      // --chmod
};

// Copies `matches` to `dest` (absolute, inside the tree at `rootfs`;
// symlinks on the way resolved inside it) as COPY does: a directory's
// contents go into `dest`; a file goes into `dest` when it is a directory
// or ends in '/', else becomes `dest`; several sources need a directory.
// Missing directories of `dest` are made (0755, owned as the files are).
// Modes, mtimes and symlinks are kept; with `unpack`, as ADD does, a local
// tar archive (any compression) is extracted into `dest` instead (a
// downloaded one is not).
Status copy_sources(const std::vector<SourceMatch>& matches, const std::string& rootfs, const std::string& dest,
                    const CopyOwnership& owner, bool unpack);

// Makes `path` (absolute, inside `rootfs`) a directory, as WORKDIR does,
// with its missing parents (0755, owned by uid:gid).
Status make_directory_in(const std::string& rootfs, const std::string& path, uid_t uid, gid_t gid);

}  // namespace stack::builder
