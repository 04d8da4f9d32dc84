// Merge: combines stack files (-f a -f b) and `extends` bases by the Compose merge rules.
#pragma once

#include "schema/diagnostics.h"
#include "schema/node.h"

namespace stack::schema {

// Merges `override` into `base` (both whole stack files): mappings merge
// deeply, lists append, and services follow the per-attribute rules.
// Values tagged `!reset` remove what the base had; `!override` replaces it.
void merge_project(Node& base, const Node& override, Diagnostics& diags);

// Merges one service definition over another (used by `extends` too).
void merge_service(Node& base, const Node& override, const std::string& path, Diagnostics& diags);

// Removes the `!reset` entries an unmerged file may carry and clears tags.
void strip_merge_tags(Node& node);

}  // namespace stack::schema
