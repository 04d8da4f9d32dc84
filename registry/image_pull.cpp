#include "registry/image_pull.h"

#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "registry/registry_client.h"
#include "runtime/on_disk.h"

namespace stack::registry {
namespace {

bool is_index(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

bool is_manifest(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.manifest.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.v2+json";
}

// Removes the blobs a pull fetched, whatever way it ends.
struct ScratchDirectory {
  std::string path;
  ~ScratchDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

Status pull_image(const std::string& text, const PullOptions& options, runtime::ImageStore& store,
                  const std::function<void(const std::string&)>& progress, runtime::Image* out) {
  std::string error;
  std::optional<runtime::ImageReference> ref = runtime::parse_image_reference(text, &error);
  if (!ref) return Status::error(error);
  RegistryClient client(locate(*ref, options.insecure_registries));
  ScratchDirectory scratch{options.scratch + "/pull-" + std::to_string(::getpid())};
  if (Status s = runtime::make_directories(scratch.path); !s) return s;

  std::string body, media_type, digest;
  if (Status s = client.get_manifest(ref->digest.empty() ? ref->tag : ref->digest, &body, &media_type, &digest); !s) return s;
  if (is_index(media_type)) {
    nlohmann::json index = nlohmann::json::parse(body, nullptr, false);
    std::string chosen;
    for (const auto& m : index.value("manifests", nlohmann::json::array())) {
      nlohmann::json platform = m.value("platform", nlohmann::json::object());
      if (platform.value("os", "") == options.os && platform.value("architecture", "") == options.architecture) {
        chosen = m.value("digest", "");
        break;
      }
    }
    if (chosen.empty())
      return Status::error(text + ": the image has no " + options.os + "/" + options.architecture + " variant");
    progress("Resolved " + options.os + "/" + options.architecture + " to " + chosen.substr(0, 19));
    if (Status s = client.get_manifest(chosen, &body, &media_type, &digest); !s) return s;
  }
  if (!is_manifest(media_type))
    return Status::error(text + ": unsupported manifest type \"" + media_type + "\" (OCI and Docker v2 schema 2 are read)");
  nlohmann::json manifest = nlohmann::json::parse(body, nullptr, false);
  std::string config_digest = manifest.value("config", nlohmann::json::object()).value("digest", "");
  nlohmann::json layers = manifest.value("layers", nlohmann::json::array());

  std::string config_path = scratch.path + "/config";
  if (Status s = client.get_blob(config_digest, config_path); !s) return s;
  std::string config_text = runtime::read_whole_file(config_path).value_or("");
  nlohmann::json config = nlohmann::json::parse(config_text, nullptr, false);
  nlohmann::json diff_ids = config.is_object() ? config["rootfs"].value("diff_ids", nlohmann::json::array()) : nlohmann::json();
  if (!diff_ids.is_array() || diff_ids.size() != layers.size())
    return Status::error(text + ": its config lists " + std::to_string(diff_ids.is_array() ? diff_ids.size() : 0) +
                         " layers, its manifest " + std::to_string(layers.size()));
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string diff_id = diff_ids[i].get<std::string>();
    std::string blob = layers[i].value("digest", "");
    std::string label = "Layer " + std::to_string(i + 1) + "/" + std::to_string(layers.size()) + " " + blob.substr(7, 12);
    if (store.has_layer(diff_id)) {
      progress(label + "  Already exists");
      continue;
    }
    std::string path = scratch.path + "/layer";
    if (Status s = client.get_blob(blob, path); !s) return s;
    std::string stored;
    std::int64_t size = 0;
    if (Status s = store.store_layer(path, false, &stored, &size); !s) return s.with_context(text + ": " + label);
    ::unlink(path.c_str());
    if (stored != diff_id)
      return Status::error(text + ": layer " + blob + " unpacks to " + stored + ", not the config's " + diff_id);
    progress(label + "  Pull complete");
  }
  if (Status s = store.commit(*ref, config_text, out); !s) return s;
  progress("Digest: " + digest);
  return Status::ok();
}

}  // namespace stack::registry
