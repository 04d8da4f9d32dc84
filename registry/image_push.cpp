#include "registry/image_push.h"

#include <nlohmann/json.hpp>

#include "registry/registry_client.h"
#include "runtime/on_disk.h"

namespace stack::registry {

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
  std::vector<std::string> blobs;
  for (const auto& layer : m.value("layers", nlohmann::json::array())) blobs.push_back(layer.value("digest", ""));
  blobs.push_back(image.config_digest);
  progress({"Image " + image.reference, "Pushing", 0, 0, false});
  for (size_t i = 0; i < blobs.size(); ++i) {
    std::string id = (i + 1 == blobs.size() ? "Config " : "Layer ") + blobs[i].substr(7, 12);
    progress({id, "Waiting", 0, 0, false});
  }
  for (size_t i = 0; i < blobs.size(); ++i) {
    std::string id = (i + 1 == blobs.size() ? "Config " : "Layer ") + blobs[i].substr(7, 12);
    bool exists = false;
    if (Status s = client.has_blob(blobs[i], &exists); !s) return s;
    if (exists) {
      progress({id, "Already exists", 0, 0, true});
      continue;
    }
    auto pushing = [&](std::int64_t done, std::int64_t total) { progress({id, "Pushing", done, total, false}); };
    if (Status s = client.put_blob(blobs[i], store.blob_path(blobs[i]), RegistryClient::kUploadChunk, pushing); !s) return s;
    progress({id, "Pushed", 0, 0, true});
  }
  std::string tag = ref->digest.empty() ? ref->tag : ref->digest;
  if (Status s = client.put_manifest(tag, *manifest, m.value("mediaType", "application/vnd.oci.image.manifest.v1+json")); !s)
    return s;
  progress({"Image " + image.reference, "Pushed " + image.manifest_digest, 0, 0, true});
  return Status::ok();
}

}  // namespace stack::registry
