// LayerUnpacker: a layer tar -> a directory overlayfs can stack, OCI whiteouts turned into overlay whiteouts.
#pragma once

#include <string>

#include "runtime/status.h"

namespace stack::runtime {

// Copies `source` (a tar, plain or compressed with any filter libarchive
// reads) to `blob_path` uncompressed, and sets `digest_hex` to the sha256 of
// those bytes: the layer's diff ID.
Status decompress_layer(const std::string& source, const std::string& blob_path, std::string* digest_hex);

// Extracts the uncompressed tar at `tar_path` into the empty directory
// `dest`. `.wh.NAME` becomes a 0:0 character device NAME and `.wh..wh..opq`
// marks its directory opaque (trusted.overlay.opaque=y), which is how
// overlayfs spells deletions. Entries that would land outside `dest`
// (absolute paths, `..`, links out) are refused.
Status unpack_layer(const std::string& tar_path, const std::string& dest);

// Extracts a tar archive (plain, gzip, bzip2, xz or zstd) into the
// existing directory `dest`, as Dockerfile's ADD does: entries kept inside
// `dest`, owners and modes as archived, `.wh.` names as they are. A file
// that is no tar sets `not_an_archive` and extracts nothing.
Status extract_archive(const std::string& archive, const std::string& dest, bool* not_an_archive);

}  // namespace stack::runtime
