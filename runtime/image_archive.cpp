// ImageStore's archives: `docker save` and OCI image archives in, OCI image archives out.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <vector>

#include "runtime/image_store.h"
#include "runtime/layer_unpacker.h"
#include "runtime/on_disk.h"
#include "runtime/sha256.h"

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

std::optional<nlohmann::json> read_json(const fs::path& path) {
  std::optional<std::string> text = read_whole_file(path.string());
  if (!text) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// An image of an archive, before it is stored: its config and layer files.
struct ArchivedImage {
  std::vector<std::string> references;
  std::string config_text;
  std::vector<fs::path> layers;
};

Status read_docker_save(const fs::path& dir, std::vector<ArchivedImage>* out) {
  auto manifest = read_json(dir / "manifest.json");
  if (!manifest || !manifest->is_array()) return Status::error("manifest.json is not a list");
  for (const auto& entry : *manifest) {
    ArchivedImage image;
    std::optional<std::string> config = read_whole_file((dir / entry.value("Config", "")).string());
    if (!config) return Status::error("config " + entry.value("Config", "") + " is missing");
    image.config_text = *config;
    for (const auto& tag : entry.value("RepoTags", nlohmann::json::array())) image.references.push_back(tag.get<std::string>());
    for (const auto& layer : entry.value("Layers", nlohmann::json::array())) image.layers.push_back(dir / layer.get<std::string>());
    out->push_back(std::move(image));
  }
  return Status::ok();
}

fs::path oci_blob(const fs::path& dir, const std::string& digest) {
  return dir / "blobs" / "sha256" / (digest.size() > 7 ? digest.substr(7) : std::string("-"));
}

Status read_oci_manifest(const fs::path& dir, const nlohmann::json& descriptor, std::vector<std::string> references,
                         std::vector<ArchivedImage>* out, int depth) {
  std::string digest = descriptor.value("digest", "");
  std::optional<std::string> text = read_whole_file(oci_blob(dir, digest).string());
  if (!text || "sha256:" + Sha256::of(*text) != digest) return Status::error("blob " + digest + " is missing or corrupt");
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
  std::string type = doc.value("mediaType", descriptor.value("mediaType", ""));
  if (doc.contains("manifests")) {
    // An index (multi-platform): this host's image.
    if (depth > 4) return Status::error("image indexes nest too deep");
    for (const auto& m : doc["manifests"]) {
      const auto platform = m.value("platform", nlohmann::json::object());
      if (platform.value("os", "linux") == "linux" && platform.value("architecture", "amd64") == "amd64")
        return read_oci_manifest(dir, m, references, out, depth + 1);
    }
    return Status::error("no linux/amd64 image in index " + digest);
  }
  ArchivedImage image;
  image.references = std::move(references);
  std::string config_digest = doc["config"].value("digest", "");
  std::optional<std::string> config = read_whole_file(oci_blob(dir, config_digest).string());
  if (!config || "sha256:" + Sha256::of(*config) != config_digest)
    return Status::error("config " + config_digest + " is missing or corrupt");
  image.config_text = *config;
  for (const auto& layer : doc.value("layers", nlohmann::json::array())) {
    fs::path blob = oci_blob(dir, layer.value("digest", ""));
    if (!fs::exists(blob)) return Status::error("layer " + layer.value("digest", "") + " is missing");
    image.layers.push_back(blob);
  }
  out->push_back(std::move(image));
  return Status::ok();
}

Status read_oci_layout(const fs::path& dir, std::vector<ArchivedImage>* out) {
  auto index = read_json(dir / "index.json");
  if (!index || !index->contains("manifests")) return Status::error("index.json has no manifests");
  for (const auto& m : (*index)["manifests"]) {
    const auto annotations = m.value("annotations", nlohmann::json::object());
    // containerd and docker write the full name here; plain OCI tools only a tag.
    std::string name = annotations.value("io.containerd.image.name", annotations.value("org.opencontainers.image.ref.name", ""));
    std::vector<std::string> refs;
    if (!name.empty()) refs.push_back(name);
    if (Status s = read_oci_manifest(dir, m, refs, out, 0); !s) return s;
  }
  return Status::ok();
}

struct ArchiveWriter {
  archive* a = archive_write_new();
  ~ArchiveWriter() { archive_write_free(a); }
};

Status add_file(archive* a, const std::string& name, const std::string& content) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
  bool ok = archive_write_header(a, e) == ARCHIVE_OK &&
            archive_write_data(a, content.data(), content.size()) == static_cast<la_ssize_t>(content.size());
  archive_entry_free(e);
  if (!ok) return Status::error(std::string("writing ") + name + ": " + (archive_error_string(a) ? archive_error_string(a) : "?"));
  return Status::ok();
}

// The file at `path` as entry `name`, streamed: a layer may be gigabytes.
Status add_file_from(archive* a, const std::string& name, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::from_errno("opening " + path);
  struct stat st {};
  ::fstat(fd, &st);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, static_cast<la_int64_t>(st.st_size));
  bool ok = archive_write_header(a, e) == ARCHIVE_OK;
  archive_entry_free(e);
  std::vector<char> buffer(1 << 20);
  for (ssize_t n; ok && (n = ::read(fd, buffer.data(), buffer.size())) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0 && archive_write_data(a, buffer.data(), static_cast<size_t>(n)) == n;
  }
  ::close(fd);
  if (!ok) return Status::error(std::string("writing ") + name + ": " + (archive_error_string(a) ? archive_error_string(a) : "read error"));
  return Status::ok();
}

Status add_dir(archive* a, const std::string& name) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFDIR);
  archive_entry_set_perm(e, 0755);
  bool ok = archive_write_header(a, e) == ARCHIVE_OK;
  archive_entry_free(e);
  if (!ok) return Status::error("writing " + name);
  return Status::ok();
}

}  // namespace

Status ImageStore::load_archive(const std::string& path, std::vector<Image>* loaded) {
  if (Status s = prepare(); !s) return s;
  FileLock lock;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  fs::path tmp = root_ + "/.load-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  std::error_code ec;
  fs::create_directories(tmp, ec);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } cleanup{tmp};
  if (Status s = unpack_layer(path, tmp.string()); !s) return s.with_context("reading " + path);
  std::vector<ArchivedImage> images;
  Status read = fs::exists(tmp / "manifest.json") ? read_docker_save(tmp, &images)
                : fs::exists(tmp / "index.json")  ? read_oci_layout(tmp, &images)
                                                  : Status::error("neither a docker save archive (manifest.json) nor an OCI archive (index.json)");
  if (!read) return read.with_context("reading " + path);
  for (const ArchivedImage& archived : images) {
    nlohmann::json config = nlohmann::json::parse(archived.config_text, nullptr, false);
    auto diff_ids = config.is_object() ? config.value("rootfs", nlohmann::json::object()).value("diff_ids", nlohmann::json::array())
                                       : nlohmann::json::array();
    if (diff_ids.size() != archived.layers.size())
      return Status::error(path + ": the config lists " + std::to_string(diff_ids.size()) + " layers, the archive has " +
                           std::to_string(archived.layers.size()));
    std::vector<std::pair<std::string, std::int64_t>> layers;
    for (size_t i = 0; i < archived.layers.size(); ++i) {
      std::string diff_id;
      std::int64_t size = 0;
      if (Status s = add_layer(archived.layers[i].string(), &diff_id, &size); !s) return s.with_context("loading " + path);
      if (diff_id != diff_ids[i].get<std::string>())
        return Status::error(path + ": layer " + std::to_string(i) + " has diff ID " + diff_id + ", the config says " +
                             diff_ids[i].get<std::string>());
      layers.emplace_back(diff_id, size);
    }
    std::vector<std::string> refs = archived.references;
    // An archive that names no image: "untagged:ID" (the first 12 digits of its ID).
    if (refs.empty()) refs.push_back("untagged:" + Sha256::of(archived.config_text).substr(0, 12));
    for (const std::string& r : refs) {
      std::string error;
      std::optional<ImageReference> ref = parse_image_reference(r, &error);
      if (!ref) return Status::error(path + ": " + error);
      Image image;
      if (Status s = commit_image(*ref, archived.config_text, layers, &image); !s) return s;
      loaded->push_back(std::move(image));
    }
  }
  return Status::ok();
}

Status ImageStore::save_archive(const std::string& name_or_id, const std::string& path) const {
  Image image;
  if (Status s = find(name_or_id, &image); !s) return s;
  ArchiveWriter w;
  archive_write_set_format_pax_restricted(w.a);
  if (archive_write_open_filename(w.a, path.c_str()) != ARCHIVE_OK)
    return Status::error("creating " + path + ": " + (archive_error_string(w.a) ? archive_error_string(w.a) : "?"));
  std::optional<std::string> manifest = read_whole_file(blob_path(image.manifest_digest));
  std::optional<std::string> config = read_whole_file(blob_path(image.config_digest));
  if (!manifest || !config) return Status::error("image " + image.reference + " is incomplete");
  size_t colon = image.reference.rfind(':');
  nlohmann::json index = {
      {"schemaVersion", 2},
      {"manifests",
       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
         {"digest", image.manifest_digest},
         {"size", manifest->size()},
         {"annotations",
          {{"org.opencontainers.image.ref.name", image.reference.substr(colon + 1)},
           {"io.containerd.image.name", image.reference}}}}}},
  };
  Status s = add_file(w.a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
  if (s) s = add_file(w.a, "index.json", index.dump());
  if (s) s = add_dir(w.a, "blobs");
  if (s) s = add_dir(w.a, "blobs/sha256");
  if (s) s = add_file(w.a, "blobs/sha256/" + image.manifest_digest.substr(7), *manifest);
  if (s) s = add_file(w.a, "blobs/sha256/" + image.config_digest.substr(7), *config);
  for (const std::string& diff_id : image.diff_ids) {
    if (!s) break;
    std::string tar;
    bool scratch = false;
    s = layer_tar(diff_id, &tar, &scratch);
    if (s) s = add_file_from(w.a, "blobs/sha256/" + diff_id.substr(7), tar);
    if (scratch) ::unlink(tar.c_str());
  }
  if (s && archive_write_close(w.a) != ARCHIVE_OK) s = Status::error("finishing " + path);
  if (!s) ::unlink(path.c_str());
  return s;
}

}  // namespace stack::runtime
