#include "registry/image_push.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "registry/registry_client.h"
#include "runtime/layer_packer.h"
#include "runtime/on_disk.h"
#include "runtime/sha256.h"

namespace stack::registry {
namespace {

// Compressed copies left by pushes that were killed: NAME.PID.gz whose
// process is gone.
void remove_abandoned_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() < 4 || name.compare(name.size() - 3, 3, ".gz") != 0) continue;
    std::string stem = name.substr(0, name.size() - 3);
    size_t dot = stem.rfind('.');
    if (dot == std::string::npos) continue;
    int pid = std::atoi(stem.c_str() + dot + 1);
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) ::unlink(e.path().c_str());
  }
}

// A layer kept as a plain tar (the store keeps every layer so).
bool uncompressed_layer(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.layer.v1.tar" ||
         media_type == "application/vnd.docker.image.rootfs.diff.tar";
}

std::string gzip_media_type(const std::string& media_type) {
  return media_type == "application/vnd.docker.image.rootfs.diff.tar" ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
                                                                      : "application/vnd.oci.image.layer.v1.tar+gzip";
}

}  // namespace

Status push_image(const std::string& reference, const std::vector<std::string>& insecure_registries,
                  const std::string& credentials_path, const runtime::ImageStore& store,
                  const std::function<void(const TransferProgress&)>& progress) {
  runtime::Image image;
  if (Status s = store.find(reference, &image); !s) return s;
  std::string error;
  std::optional<runtime::ImageReference> ref = runtime::parse_image_reference(image.reference, &error);
  if (!ref) return Status::error(error);
  RegistryLocation location = locate(*ref, insecure_registries);
  std::optional<Credentials> credentials;
  if (!credentials_path.empty())
    if (Status s = CredentialStore(credentials_path).find(location.host, &credentials); !s) return s;
  RegistryClient client(location, credentials);
  std::optional<std::string> manifest = runtime::read_whole_file(store.blob_path(image.manifest_digest));
  if (!manifest) return Status::error("image " + image.reference + ": its manifest is missing");
  nlohmann::json m = nlohmann::json::parse(*manifest, nullptr, false);
  if (!m.is_object() || !m.contains("layers") || !m["layers"].is_array())
    return Status::error("image " + image.reference + ": its manifest is not an image manifest");
  std::vector<std::string> blobs;
  for (const auto& layer : m["layers"]) blobs.push_back(layer.value("digest", ""));
  blobs.push_back(image.config_digest);
  progress({"Image " + image.reference, "Pushing", 0, 0, false});
  auto id_of = [&](size_t i) { return (i + 1 == blobs.size() ? "Config " : "Layer ") + blobs[i].substr(7, 12); };
  for (size_t i = 0; i < blobs.size(); ++i) progress({id_of(i), "Waiting", 0, 0, false});
  // The manifest that goes up names the compressed layers: its digest is
  // not the local one, so a push by digest cannot be what it says.
  if (!ref->digest.empty())
    return Status::error("image " + image.reference + ": a push by digest is refused; its layers go up compressed, "
                         "which changes the manifest's digest (push a tag)");
  std::string scratch = store.root() + "/.pushes";
  if (Status s = runtime::make_directories(scratch); !s) return s;
  remove_abandoned_files(scratch);
  for (size_t i = 0; i < blobs.size(); ++i) {
    std::string id = id_of(i);
    bool layer = i + 1 < blobs.size();
    std::string digest = blobs[i], path = store.blob_path(blobs[i]);
    std::string compressed;  // the gzip copy of an uncompressed layer, while it goes up
    std::string asked;       // a digest the registry was asked for already
    bool exists = false;
    if (layer && uncompressed_layer(m["layers"][i].value("mediaType", ""))) {
      // As Docker pushes: gzip. The digest a layer compressed to before is
      // kept, so that a registry that has it is seen to without
      // compressing it again.
      std::string known = scratch + "/" + digest.substr(7) + ".digest";
      std::int64_t size = 0;
      std::string gz_digest;
      if (std::optional<std::string> text = runtime::read_whole_file(known)) {
        std::istringstream words(*text);
        if (!(words >> gz_digest >> size) || gz_digest.size() != 71 || size <= 0) gz_digest.clear();
      }
      if (!gz_digest.empty()) {
        if (Status s = client.has_blob(gz_digest, &exists); !s) return s;
        asked = gz_digest;
      }
      if (!exists) {
        progress({id, "Compressing", 0, 0, false});
        compressed = scratch + "/" + digest.substr(7) + "." + std::to_string(::getpid()) + ".gz";
        // A layer kept only unpacked has its tar made again, for the while.
        std::string tar;
        bool made = false;
        if (Status s = store.layer_tar(digest, &tar, &made); !s) return s.with_context(id);
        Status s = runtime::gzip_layer(tar, compressed, &gz_digest, &size);
        if (made) ::unlink(tar.c_str());
        if (!s) return s.with_context(id);
        runtime::write_file_atomically(known, gz_digest + " " + std::to_string(size) + "\n");
      }
      nlohmann::json& descriptor = m["layers"][i];
      descriptor["mediaType"] = gzip_media_type(descriptor.value("mediaType", ""));
      descriptor["digest"] = gz_digest;
      descriptor["size"] = size;
      digest = gz_digest;
      path = compressed;
    }
    struct Scratch {
      std::string path;
      ~Scratch() {
        if (!path.empty()) ::unlink(path.c_str());
      }
    } remove_after{compressed};
    if (!exists && digest != asked)
      if (Status s = client.has_blob(digest, &exists); !s) return s;
    if (exists) {
      progress({id, "Already exists", 0, 0, true});
      continue;
    }
    auto pushing = [&](std::int64_t done, std::int64_t total) { progress({id, "Pushing", done, total, false}); };
    if (Status s = client.put_blob(digest, path, RegistryClient::kUploadChunk, pushing); !s) return s;
    progress({id, "Pushed", 0, 0, true});
  }
  std::string text = m.dump();
  if (Status s = client.put_manifest(ref->tag, text, m.value("mediaType", "application/vnd.oci.image.manifest.v1+json")); !s)
    return s;
  progress({"Image " + image.reference, "Pushed sha256:" + runtime::Sha256::of(text), 0, 0, true});
  return Status::ok();
}

}  // namespace stack::registry
