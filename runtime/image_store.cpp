#include "runtime/image_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include "runtime/layer_packer.h"
#include "runtime/layer_unpacker.h"
#include "runtime/on_disk.h"
#include "runtime/sha256.h"

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr const char* kLayerType = "application/vnd.oci.image.layer.v1.tar";
constexpr const char* kRefAnnotation = "org.opencontainers.image.ref.name";

std::string random_suffix() { return std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()); }

bool is_hex_digest(const std::string& digest) {
  if (digest.size() != 71 || digest.rfind("sha256:", 0) != 0) return false;
  return digest.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
}

}  // namespace

std::string ImageStore::platform(const Image& image) const {
  nlohmann::json config =
      nlohmann::json::parse(read_whole_file(blob_path(image.config_digest)).value_or("{}"), nullptr, false);
  if (!config.is_object()) config = nlohmann::json::object();
  std::string variant = config.value("variant", "");
  return config.value("os", "linux") + "/" + config.value("architecture", "amd64") + (variant.empty() ? "" : "/" + variant);
}

std::string ImageStore::blob_path(const std::string& digest) const {
  return root_ + "/blobs/sha256/" + digest.substr(7);
}

std::string ImageStore::layer_dir(const std::string& diff_id) const { return root_ + "/layers/" + diff_id.substr(7); }

std::vector<std::string> ImageStore::lower_dirs(const std::vector<std::string>& diff_ids) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto it = diff_ids.rbegin(); it != diff_ids.rend(); ++it)
    if (seen.insert(*it).second) out.push_back(layer_dir(*it));
  return out;
}

Status ImageStore::prepare() const {
  if (Status s = make_private_directory(root_, 0700); !s) return s;
  std::error_code ec;
  for (const char* sub : {"/blobs/sha256", "/layers", "/pins", "/sizes"}) {
    fs::create_directories(root_ + sub, ec);
    if (ec) return Status::error("creating " + root_ + sub + ": " + ec.message());
  }
  return Status::ok();
}

Status ImageStore::write_blob(const std::string& content, std::string* digest) const {
  *digest = "sha256:" + Sha256::of(content);
  if (::access(blob_path(*digest).c_str(), F_OK) == 0) return Status::ok();
  return write_file_atomically(blob_path(*digest), content);
}

Status ImageStore::read_index(nlohmann::json* index) const {
  std::optional<std::string> text = read_whole_file(root_ + "/index.json");
  if (!text) {
    *index = {{"schemaVersion", 2}, {"manifests", nlohmann::json::array()}};
    return Status::ok();
  }
  *index = nlohmann::json::parse(*text, nullptr, false);
  if (!index->is_object() || !(*index)["manifests"].is_array())
    return Status::error(root_ + "/index.json is corrupt");
  return Status::ok();
}

Status ImageStore::add_layer(const std::string& tarball, std::string* diff_id, std::int64_t* size) const {
  // Decompressed to a blob named by its diff ID and unpacked once: layers
  // shared by images are not unpacked again. A failure leaves neither the
  // blob nor a partial directory behind.
  std::string tmp_blob = root_ + "/blobs/sha256/.import-" + random_suffix();
  std::string hex;
  if (Status s = decompress_layer(tarball, tmp_blob, &hex); !s) return s;
  *diff_id = "sha256:" + hex;
  struct stat st {};
  ::stat(tmp_blob.c_str(), &st);
  *size = st.st_size;
  std::string dir = layer_dir(*diff_id);
  if (::access(dir.c_str(), F_OK) != 0) {
    std::string tmp_dir = root_ + "/layers/.unpack-" + random_suffix();
    std::error_code ec;
    fs::create_directories(tmp_dir, ec);
    Status s = unpack_layer(tmp_blob, tmp_dir);
    if (s && ::rename(tmp_dir.c_str(), dir.c_str()) != 0) s = Status::from_errno("renaming " + tmp_dir);
    if (!s) {
      fs::remove_all(tmp_dir, ec);
      ::unlink(tmp_blob.c_str());
      return s;
    }
  }
  if (::rename(tmp_blob.c_str(), blob_path(*diff_id).c_str()) != 0) {
    Status s = Status::from_errno("storing layer " + *diff_id);
    ::unlink(tmp_blob.c_str());
    return s;
  }
  return Status::ok();
}

std::string ImageStore::size_path(const std::string& diff_id) const { return root_ + "/sizes/" + diff_id.substr(7); }

Status ImageStore::mark_unpacked_only(const std::string& diff_id, std::int64_t size) const {
  return write_file_atomically(size_path(diff_id), std::to_string(size) + "\n");
}

Status ImageStore::add_unpacked_layer(const std::string& tarball, std::string* diff_id, std::int64_t* size) const {
  // Unpacked straight from the tarball (any compression); then the tree is
  // read once more for the digest of its tar, which costs a read of what
  // was just written (in the page cache) instead of a second copy on disk.
  std::string tmp_dir = root_ + "/layers/.unpack-" + random_suffix();
  std::error_code ec;
  fs::create_directories(tmp_dir, ec);
  Status s = unpack_layer(tarball, tmp_dir);
  if (s) s = digest_layer(tmp_dir, diff_id, size);
  if (s) s = mark_unpacked_only(*diff_id, *size);
  if (s && ::access(layer_dir(*diff_id).c_str(), F_OK) == 0) {
    fs::remove_all(tmp_dir, ec);  // the same tree is stored already
    return Status::ok();
  }
  if (s && ::rename(tmp_dir.c_str(), layer_dir(*diff_id).c_str()) != 0) s = Status::from_errno("renaming " + tmp_dir);
  if (!s) {
    fs::remove_all(tmp_dir, ec);
    if (!diff_id->empty() && ::access(layer_dir(*diff_id).c_str(), F_OK) != 0) ::unlink(size_path(*diff_id).c_str());
  }
  return s;
}

Status ImageStore::layer_tar(const std::string& diff_id, std::string* path, bool* scratch) const {
  *scratch = false;
  *path = blob_path(diff_id);
  if (::access(path->c_str(), F_OK) == 0) return Status::ok();
  if (::access(size_path(diff_id).c_str(), F_OK) != 0 || ::access(layer_dir(diff_id).c_str(), F_OK) != 0)
    return Status::error("layer " + diff_id + " is missing");
  *path = root_ + "/blobs/sha256/.tar-" + random_suffix();
  std::string made;
  if (Status s = pack_layer(layer_dir(diff_id), *path, &made); !s) return s.with_context("layer " + diff_id);
  if (made != diff_id) {
    ::unlink(path->c_str());
    return Status::error("layer " + diff_id + " has changed on disk: its tree now makes " + made);
  }
  *scratch = true;
  return Status::ok();
}

Status ImageStore::commit_image(const ImageReference& ref, const std::string& config_text,
                                const std::vector<std::pair<std::string, std::int64_t>>& layers, Image* out) {
  std::string config_digest;
  if (Status s = write_blob(config_text, &config_digest); !s) return s;
  nlohmann::json layer_list = nlohmann::json::array();
  for (const auto& [diff_id, size] : layers)
    layer_list.push_back({{"mediaType", kLayerType}, {"digest", diff_id}, {"size", size}});
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", kManifestType},
      {"config", {{"mediaType", kConfigType}, {"digest", config_digest}, {"size", config_text.size()}}},
      {"layers", layer_list},
  };
  std::string manifest_text = manifest.dump();
  std::string manifest_digest;
  if (Status s = write_blob(manifest_text, &manifest_digest); !s) return s;

  // The name, replacing whatever image had it.
  nlohmann::json index;
  if (Status s = read_index(&index); !s) return s;
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& m : index["manifests"])
    if (m.value("annotations", nlohmann::json::object()).value(kRefAnnotation, "") != ref.str()) manifests.push_back(m);
  manifests.push_back({{"mediaType", kManifestType},
                       {"digest", manifest_digest},
                       {"size", manifest_text.size()},
                       {"annotations", {{kRefAnnotation, ref.str()}}}});
  index["manifests"] = manifests;
  if (Status s = write_file_atomically(root_ + "/index.json", index.dump(2) + "\n"); !s) return s;
  if (Status s = collect_garbage(index); !s) return s;
  return load_image(ref.str(), manifest_digest, out);
}

std::string ImageStore::pin_path(const std::string& diff_id) const { return root_ + "/pins/" + diff_id.substr(7); }

bool ImageStore::has_layer(const std::string& diff_id) const {
  return is_hex_digest(diff_id) && ::access(layer_dir(diff_id).c_str(), F_OK) == 0 &&
         (::access(blob_path(diff_id).c_str(), F_OK) == 0 || ::access(size_path(diff_id).c_str(), F_OK) == 0);
}

Status ImageStore::store_layer(const std::string& tarball, bool pin, std::string* diff_id, std::int64_t* size) {
  if (Status s = prepare(); !s) return s;
  FileLock lock;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  if (Status s = add_layer(tarball, diff_id, size); !s) return s;
  if (!pin) return Status::ok();
  if (Status s = write_file_atomically(pin_path(*diff_id), *diff_id + "\n"); !s) return s;
  // A build's layer is pack_layer's tar of its step's tree: where the
  // unpacked tree makes the same tar again (checked here, once), it is
  // kept once, as an imported one is, and its tar made again on demand.
  std::string again;
  std::int64_t again_size = 0;
  if (::access(blob_path(*diff_id).c_str(), F_OK) == 0 && digest_layer(layer_dir(*diff_id), &again, &again_size) &&
      again == *diff_id && mark_unpacked_only(*diff_id, again_size))
    ::unlink(blob_path(*diff_id).c_str());
  return Status::ok();
}

Status ImageStore::unpin_all(int* freed) {
  if (Status s = prepare(); !s) return s;
  FileLock lock;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  std::error_code ec;
  int before = 0, after = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ + "/layers", ec)) ++before;
  fs::remove_all(root_ + "/pins", ec);
  if (ec) return Status::error("removing " + root_ + "/pins: " + ec.message());
  nlohmann::json index;
  if (Status s = read_index(&index); !s) return s;
  if (Status s = collect_garbage(index); !s) return s;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ + "/layers", ec)) ++after;
  *freed = before - after;
  return Status::ok();
}

Status ImageStore::commit(const ImageReference& ref, const std::string& config_text, Image* out) {
  if (Status s = prepare(); !s) return s;
  FileLock lock;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  nlohmann::json config = nlohmann::json::parse(config_text, nullptr, false);
  if (!config.is_object() || !config["rootfs"].is_object() || !config["rootfs"]["diff_ids"].is_array())
    return Status::error("image " + ref.str() + ": the configuration has no rootfs.diff_ids");
  std::vector<std::pair<std::string, std::int64_t>> layers;
  for (const auto& d : config["rootfs"]["diff_ids"]) {
    std::string diff_id = d.is_string() ? d.get<std::string>() : "";
    if (!has_layer(diff_id)) return Status::error("image " + ref.str() + ": layer " + diff_id + " is not stored");
    struct stat st {};
    std::int64_t size = ::stat(blob_path(diff_id).c_str(), &st) == 0
                            ? st.st_size
                            : std::atoll(read_whole_file(size_path(diff_id)).value_or("0").c_str());
    layers.emplace_back(diff_id, size);
  }
  return commit_image(ref, config_text, layers, out);
}

Status ImageStore::read_config(const Image& image, nlohmann::json* out) const {
  std::optional<std::string> text = read_whole_file(blob_path(image.config_digest));
  if (!text) return Status::error("image " + image.reference + ": config " + image.config_digest + " is missing");
  *out = nlohmann::json::parse(*text, nullptr, false);
  if (!out->is_object()) return Status::error("image " + image.reference + ": config " + image.config_digest + " is corrupt");
  return Status::ok();
}

Status ImageStore::tag(const std::string& name_or_id, const ImageReference& ref, Image* out) {
  if (Status s = prepare(); !s) return s;
  FileLock lock;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  Image source;
  if (Status s = find(name_or_id, &source); !s) return s;
  std::optional<std::string> config_text = read_whole_file(blob_path(source.config_digest));
  if (!config_text) return Status::error("image " + source.reference + ": config is missing");
  std::vector<std::pair<std::string, std::int64_t>> layers;
  nlohmann::json manifest = nlohmann::json::parse(read_whole_file(blob_path(source.manifest_digest)).value_or(""), nullptr, false);
  for (const auto& l : manifest.value("layers", nlohmann::json::array()))
    layers.emplace_back(l.value("digest", ""), l.value("size", std::int64_t{0}));
  return commit_image(ref, *config_text, layers, out);
}

Status ImageStore::import_rootfs(const std::string& tarball, const ImageReference& ref, const ImageConfig& config,
                                 Image* out) {
  if (Status s = prepare(); !s) return s;
  FileLock lock;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  std::string diff_id;
  std::int64_t size = 0;
  if (Status s = add_unpacked_layer(tarball, &diff_id, &size); !s) return s.with_context("importing " + tarball);
  std::string created = timestamp_now();
  nlohmann::json image_config = {
      {"created", created},
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", config.to_json()},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}},
      {"history", {{{"created", created}, {"created_by", "stack image import " + tarball}}}},
  };
  Status s = commit_image(ref, image_config.dump(), {{diff_id, size}}, out);
  if (!s) {
    // A disk that filled at the config or the manifest: the layer no image
    // uses goes now, not at the next removal.
    nlohmann::json index;
    if (read_index(&index)) collect_garbage(index);
  }
  return s.with_context("importing " + tarball);
}

Status ImageStore::load_image(const std::string& reference, const std::string& manifest_digest, Image* out) const {
  if (!is_hex_digest(manifest_digest)) return Status::error("invalid manifest digest " + manifest_digest);
  std::optional<std::string> manifest_text = read_whole_file(blob_path(manifest_digest));
  if (!manifest_text) return Status::error("image " + reference + ": manifest " + manifest_digest + " is missing");
  if (Sha256::of(*manifest_text) != manifest_digest.substr(7))
    return Status::error("image " + reference + ": manifest " + manifest_digest + " does not match its digest");
  nlohmann::json manifest = nlohmann::json::parse(*manifest_text, nullptr, false);
  std::string config_digest = manifest.is_object() ? manifest["config"].value("digest", "") : "";
  if (!is_hex_digest(config_digest)) return Status::error("image " + reference + ": manifest has no valid config");
  std::optional<std::string> config_text = read_whole_file(blob_path(config_digest));
  if (!config_text || Sha256::of(*config_text) != config_digest.substr(7))
    return Status::error("image " + reference + ": config " + config_digest + " is missing or corrupt");
  nlohmann::json config = nlohmann::json::parse(*config_text, nullptr, false);
  Image image;
  image.reference = reference;
  image.manifest_digest = manifest_digest;
  image.config_digest = config_digest;
  image.config = ImageConfig::from_json(config.value("config", nlohmann::json::object()));
  image.created = config.value("created", "");
  for (const auto& d : config["rootfs"].value("diff_ids", nlohmann::json::array())) {
    std::string id = d.get<std::string>();
    if (!is_hex_digest(id)) return Status::error("image " + reference + ": invalid diff ID " + id);
    image.diff_ids.push_back(id);
  }
  for (const auto& layer : manifest.value("layers", nlohmann::json::array()))
    image.size += layer.value("size", std::int64_t{0});
  *out = std::move(image);
  return Status::ok();
}

Status ImageStore::list(std::vector<Image>* out) const {
  nlohmann::json index;
  if (Status s = read_index(&index); !s) return s;
  out->clear();
  for (const auto& m : index["manifests"]) {
    Image image;
    std::string ref = m.value("annotations", nlohmann::json::object()).value(kRefAnnotation, "");
    if (Status s = load_image(ref, m.value("digest", ""), &image); !s) return s;
    out->push_back(std::move(image));
  }
  return Status::ok();
}

Status ImageStore::find(const std::string& name_or_id, Image* out) const {
  std::vector<Image> images;
  if (Status s = list(&images); !s) return s;
  std::string error;
  std::optional<ImageReference> ref = parse_image_reference(name_or_id, &error);
  for (const Image& image : images) {
    if (ref && (image.reference == ref->str() ||
                (!ref->digest.empty() && image.manifest_digest == ref->digest))) {
      *out = image;
      return Status::ok();
    }
  }
  // An image ID (or a prefix of at least 4 digits) names an image too.
  std::vector<const Image*> by_id;
  std::string id = name_or_id.rfind("sha256:", 0) == 0 ? name_or_id.substr(7) : name_or_id;
  if (id.size() >= 4 && id.find_first_not_of("0123456789abcdef") == std::string::npos)
    for (const Image& image : images)
      if (image.config_digest.compare(7, id.size(), id) == 0) by_id.push_back(&image);
  if (by_id.size() == 1) {
    *out = *by_id[0];
    return Status::ok();
  }
  if (by_id.size() > 1) return Status::error("image ID " + name_or_id + " is ambiguous");
  return Status::error("no such image: " + name_or_id);
}

Status ImageStore::remove(const std::string& name_or_id, Image* removed) {
  FileLock lock;
  if (Status s = prepare(); !s) return s;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  if (Status s = find(name_or_id, removed); !s) return s;
  nlohmann::json index;
  if (Status s = read_index(&index); !s) return s;
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& m : index["manifests"])
    if (m.value("annotations", nlohmann::json::object()).value(kRefAnnotation, "") != removed->reference)
      manifests.push_back(m);
  index["manifests"] = manifests;
  if (Status s = write_file_atomically(root_ + "/index.json", index.dump(2) + "\n"); !s) return s;
  return collect_garbage(index);
}

Status ImageStore::collect_garbage(const nlohmann::json& index) const {
  std::set<std::string> keep;  // hex digests
  for (const auto& m : index["manifests"]) {
    Image image;
    std::string ref = m.value("annotations", nlohmann::json::object()).value(kRefAnnotation, "");
    if (Status s = load_image(ref, m.value("digest", ""), &image); !s) return s;
    keep.insert(image.manifest_digest.substr(7));
    keep.insert(image.config_digest.substr(7));
    for (const auto& d : image.diff_ids) keep.insert(d.substr(7));
  }
  std::error_code ec;
  for (const auto& pin : fs::directory_iterator(root_ + "/pins", ec)) keep.insert(pin.path().filename().string());
  for (const char* sub : {"/blobs/sha256", "/layers", "/sizes"}) {
    for (const auto& entry : fs::directory_iterator(root_ + sub, ec)) {
      std::string name = entry.path().filename().string();
      if (name[0] == '.' || keep.count(name)) continue;  // temporaries belong to a running import
      fs::remove_all(entry.path(), ec);
      if (ec) return Status::error("removing " + entry.path().string() + ": " + ec.message());
    }
  }
  return Status::ok();
}

}  // namespace stack::runtime
