#include "registry/image_push.h"

#include <nlohmann/json.hpp>

#include "registry/registry_client.h"
#include "runtime/on_disk.h"

namespace stack::registry {

Status push_image(const std::string& reference, const std::vector<std::string>& insecure_registries,
                  const runtime::ImageStore& store, const std::function<void(const std::string&)>& progress) {
  runtime::Image image;
  if (Status s = store.find(reference, &image); !s) return s;
  std::string error;
  std::optional<runtime::ImageReference> ref = runtime::parse_image_reference(image.reference, &error);
  if (!ref) return Status::error(error);
  RegistryClient client(locate(*ref, insecure_registries));
  std::optional<std::string> manifest = runtime::read_whole_file(store.blob_path(image.manifest_digest));
  if (!manifest) return Status::error("image " + image.reference + ": its manifest is missing");
  nlohmann::json m = nlohmann::json::parse(*manifest, nullptr, false);
  std::vector<std::string> blobs;
  for (const auto& layer : m.value("layers", nlohmann::json::array())) blobs.push_back(layer.value("digest", ""));
  blobs.push_back(image.config_digest);
  for (size_t i = 0; i < blobs.size(); ++i) {
    std::string label = (i + 1 == blobs.size() ? std::string("Config ") : "Layer " + std::to_string(i + 1) + "/" +
                                                                            std::to_string(blobs.size() - 1) + " ") +
                        blobs[i].substr(7, 12);
    bool exists = false;
    if (Status s = client.has_blob(blobs[i], &exists); !s) return s;
    if (exists) {
      progress(label + "  Already exists");
      continue;
    }
    if (Status s = client.put_blob(blobs[i], store.blob_path(blobs[i])); !s) return s;
    progress(label + "  Pushed");
  }
  std::string tag = ref->digest.empty() ? ref->tag : ref->digest;
  if (Status s = client.put_manifest(tag, *manifest, m.value("mediaType", "application/vnd.oci.image.manifest.v1+json")); !s)
    return s;
  progress("Digest: " + image.manifest_digest);
  return Status::ok();
}

}  // namespace stack::registry
