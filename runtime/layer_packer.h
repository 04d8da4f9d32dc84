// LayerPacker: an overlay upper directory -> an OCI layer tar (the diff, deletions as whiteouts), the reverse of LayerUnpacker.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/status.h"

namespace stack::runtime {

// Writes the tree under `dir` (a container's or a build step's writable
// layer) as an uncompressed tar at `tar_path`, in name order so that the
// same tree gives the same bytes: files with their mode, owner, mtime,
// hard links kept as links, symlinks, devices, fifos and the file
// capability xattr. Overlay's deletions become OCI whiteouts: a 0:0
// character device NAME is `.wh.NAME`; a directory marked opaque
// (trusted.overlay.opaque=y) is followed by its `.wh..wh..opq`. Sets
// `diff_id` to "sha256:" and the tar's digest.
Status pack_layer(const std::string& dir, const std::string& tar_path, std::string* diff_id);

// The diff ID and size of the tar pack_layer would write for `dir`,
// without writing it: what a layer kept only unpacked is known by, and is
// checked against when its tar is made again.
Status digest_layer(const std::string& dir, std::string* diff_id, std::int64_t* size);

// Compresses the layer tar at `tar_path` to `gz_path` with gzip (the
// default level, as Docker pushes layers; no time in the header, so the
// same tar always gives the same bytes). Sets `digest` ("sha256:...") and
// `size` of the compressed bytes.
Status gzip_layer(const std::string& tar_path, const std::string& gz_path, std::string* digest, std::int64_t* size);

}  // namespace stack::runtime
