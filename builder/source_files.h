// SourceFiles: what a COPY or ADD source names in a tree (a build context, another stage's root), .dockerignore applied.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "builder/dockerignore.h"
#include "runtime/status.h"

namespace stack::builder {

using runtime::Status;

struct SourceEntry {
  std::string path;       // relative to the match: "" for the match itself, else "sub/file"
  std::string host_path;  // where it is read from
  struct stat st {};      // lstat's
  std::string link_target;  // a symlink's
};

// One file or directory a source names, with everything under it.
struct SourceMatch {
  std::string path;  // relative to the tree's root ("" for the root itself)
  std::vector<SourceEntry> entries;  // the match first, then its contents in name order
  bool downloaded = false;  // ADD's URL: copied as it is, never unpacked
  bool directory() const { return S_ISDIR(entries.front().st.st_mode); }
};

// `path` inside the tree at `root` as the host sees it, each symlink on the
// way followed as if `root` were `/` (`..` and absolute targets stay in
// it); the last component too when `follow_last`. No component need exist.
std::string resolve_in_root(const std::string& root, const std::string& path, bool follow_last);

// What `source` (relative to `root`; `*`, `?`, `[...]` within a segment,
// `**` across) names, in name order: the path itself, symlinks followed
// inside the tree, or every path its pattern matches. Left out: what
// `ignore` (may be null) excludes, then a directory excluded with nothing
// under it kept by an exception. A source naming nothing is an error
// naming it.
Status match_sources(const std::string& root, const std::string& source, const DockerIgnore* ignore,
                     std::vector<SourceMatch>* out);

// A digest of what the matches hold: paths, types, modes, sizes, link
// targets and file contents (read), so that a build cache keyed on it
// misses exactly when a copied file changed.
Status digest_sources(const std::vector<SourceMatch>& matches, std::string* hex);

}  // namespace stack::builder
