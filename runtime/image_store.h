// ImageStore: local images under STACK_ROOT/images in the OCI layout (blobs by sha256, an index of name:tag).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/image_config.h"
#include "runtime/image_reference.h"
#include "runtime/status.h"

namespace stack::runtime {

struct Image {
  std::string reference;        // "busybox:latest"
  std::string manifest_digest;  // "sha256:..."
  std::string config_digest;    // "sha256:..."; its first 12 hex digits are the image ID
  std::vector<std::string> diff_ids;  // "sha256:...", bottom layer first
  ImageConfig config;
  std::string created;          // RFC 3339
  std::int64_t size = 0;        // bytes of the uncompressed layers

  std::string id() const { return config_digest.substr(7, 12); }
};

// Layout:
//   blobs/sha256/HEX   manifests, configs and uncompressed layer tars
//                      (not of imported layers: see sizes/)
//   layers/HEX/        each layer unpacked once, named by its diff ID
//   sizes/HEX          the tar size of a layer kept only unpacked (an
//                      imported one): its tar is made again from the
//                      tree when needed (layer_tar), and checked
//   index.json         an OCI image index; each manifest is annotated
//                      with the reference it is known by
//   pins/HEX           layers kept while no image uses them (a build cache's)
//   lock               serializes writers across stack processes
class ImageStore {
 public:
  explicit ImageStore(std::string root) : root_(std::move(root)) {}

  // Makes an image of one layer from a root filesystem tarball (plain, gzip,
  // zstd, ...), with `config` as its configuration, and names it `ref`
  // (replacing an image of that name).
  Status import_rootfs(const std::string& tarball, const ImageReference& ref, const ImageConfig& config,
                       Image* out);

  // Loads every image of a `docker save` archive or an OCI image archive
  // (tar, plain or compressed; layers plain, gzip or zstd). Layers are
  // checked against the config's diff IDs. `loaded` gets their references.
  Status load_archive(const std::string& archive, std::vector<Image>* loaded);
  // Writes `name_or_id` as an OCI image archive (oci-layout, index.json,
  // blobs) that skopeo and other OCI tools read.
  Status save_archive(const std::string& name_or_id, const std::string& archive) const;

  // Stores a layer tarball (any compression; a pulled blob, a build
  // step's pack_layer tar), unpacked once, for commit(). Pinned, it stays
  // while no image uses it (a build cache's layer); otherwise the next
  // garbage collection frees it unless an image uses it by then. A pinned
  // (built) layer whose tree makes its tar again byte for byte is kept
  // only unpacked, as an imported one. Sets its diff ID and uncompressed
  // size.
  Status store_layer(const std::string& tarball, bool pin, std::string* diff_id, std::int64_t* size);
  // Whether a layer is stored and unpacked.
  bool has_layer(const std::string& diff_id) const;
  // Drops every pin, then every blob and layer no image uses; `freed` gets
  // how many layers went.
  Status unpin_all(int* freed);
  // Names an image made of layers already stored: `config_text` is its OCI
  // image configuration, whose rootfs.diff_ids lists them bottom first.
  Status commit(const ImageReference& ref, const std::string& config_text, Image* out);
  // Gives an existing image another name (`image tag`).
  Status tag(const std::string& name_or_id, const ImageReference& ref, Image* out);
  // The image's whole configuration (history, rootfs, ...), as stored.
  Status read_config(const Image& image, nlohmann::json* out) const;

  // By reference ("busybox", "busybox:1", "x@sha256:...") or image ID prefix.
  Status find(const std::string& name_or_id, Image* out) const;
  Status list(std::vector<Image>* out) const;
  // Removes the name, then every blob and layer no remaining image uses.
  Status remove(const std::string& name_or_id, Image* removed);

  // Where a blob (manifest, config, uncompressed layer tar) is stored.
  std::string blob_path(const std::string& digest) const;
  // A layer's uncompressed tar, for `save` and `push`: its blob, or, for a
  // layer kept only unpacked, a scratch file made from its tree and checked
  // against its diff ID (`*scratch` set: the caller removes it).
  Status layer_tar(const std::string& diff_id, std::string* path, bool* scratch) const;
  // The platform its configuration names: "linux/amd64", "linux/arm64/v8".
  std::string platform(const Image& image) const;
  // Where a layer is unpacked, for overlayfs' lowerdir.
  std::string layer_dir(const std::string& diff_id) const;
  // The unpacked layers of `diff_ids` (bottom first) as overlayfs stacks
  // them: top first, a layer that comes again only where it is topmost
  // (overlayfs refuses a directory twice; the lower copy changes nothing,
  // as the upper one sets every path it has again).
  std::vector<std::string> lower_dirs(const std::vector<std::string>& diff_ids) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;

  Status prepare() const;
  Status write_blob(const std::string& content, std::string* digest) const;
  Status read_index(nlohmann::json* index) const;
  Status load_image(const std::string& reference, const std::string& manifest_digest, Image* out) const;
  Status collect_garbage(const nlohmann::json& index) const;
  std::string pin_path(const std::string& diff_id) const;
  // Stores one layer tarball (any compression): its diff ID and uncompressed size.
  Status add_layer(const std::string& tarball, std::string* diff_id, std::int64_t* size) const;
  // Stores a root filesystem tarball as a layer kept only unpacked, in one
  // pass: its diff ID is that of the tar pack_layer makes of the tree (so
  // the tar can be made again, and checked), not that of the tarball.
  Status add_unpacked_layer(const std::string& tarball, std::string* diff_id, std::int64_t* size) const;
  std::string size_path(const std::string& diff_id) const;
  // Marks a layer as one whose tar is made again from its tree (layer_tar).
  Status mark_unpacked_only(const std::string& diff_id, std::int64_t size) const;
  // Writes config and manifest blobs and names the image. Caller holds the lock.
  Status commit_image(const ImageReference& ref, const std::string& config_text,
                      const std::vector<std::pair<std::string, std::int64_t>>& layers, Image* out);
};

}  // namespace stack::runtime
