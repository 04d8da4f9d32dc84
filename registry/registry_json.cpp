#include "registry/registry_json.h"

#include <nlohmann/json.hpp>

namespace stack::registry {
namespace {

using nlohmann::json;

// A registry's JSON is the other side's to get wrong: nlohmann's value()
// and get() throw on a type they did not expect, so every field is read
// through these, and a field of the wrong type reads as absent.
std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const json* object_field(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

const json* array_field(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it != object.end() && it->is_array() ? &*it : nullptr;
}

}  // namespace

bool is_sha256_digest(const std::string& digest) {
  if (digest.size() != 71 || digest.compare(0, 7, "sha256:") != 0) return false;
  for (size_t i = 7; i < digest.size(); ++i) {
    char c = digest[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string manifest_media_type(const std::string& body, const std::string& content_type) {
  std::string own = string_field(json::parse(body, nullptr, false), "mediaType");
  return own.empty() ? content_type : own;
}

Status choose_platform(const std::string& reference, const std::string& index_body, const std::string& os,
                       const std::string& architecture, const std::string& variant, std::string* digest) {
  json index = json::parse(index_body, nullptr, false);
  if (!index.is_object()) return Status::error(reference + ": the image index is not a JSON object");
  std::string wanted = os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
  if (const json* manifests = array_field(index, "manifests")) {
    for (const json& m : *manifests) {
      const json* platform = object_field(m, "platform");
      if (!platform || string_field(*platform, "os") != os || string_field(*platform, "architecture") != architecture)
        continue;
      if (!variant.empty() && string_field(*platform, "variant") != variant) continue;
      *digest = string_field(m, "digest");
      if (!is_sha256_digest(*digest))
        return Status::error(reference + ": the image index's " + wanted + " entry has no sha256 digest");
      return Status::ok();
    }
  }
  return Status::error(reference + ": the image has no " + wanted + " variant");
}

Status parse_image_manifest(const std::string& reference, const std::string& body, ImageManifest* out) {
  json manifest = json::parse(body, nullptr, false);
  if (!manifest.is_object()) return Status::error(reference + ": the manifest is not a JSON object");
  const json* config = object_field(manifest, "config");
  out->config_digest = config ? string_field(*config, "digest") : "";
  if (!is_sha256_digest(out->config_digest)) return Status::error(reference + ": the manifest's config has no sha256 digest");
  out->layer_digests.clear();
  if (const json* layers = array_field(manifest, "layers")) {
    for (const json& layer : *layers) {
      std::string digest = string_field(layer, "digest");
      if (!is_sha256_digest(digest))
        return Status::error(reference + ": layer " + std::to_string(out->layer_digests.size() + 1) + " has no sha256 digest");
      out->layer_digests.push_back(digest);
    }
  }
  return Status::ok();
}

Status parse_diff_ids(const std::string& reference, const std::string& config_text, std::vector<std::string>* out) {
  json config = json::parse(config_text, nullptr, false);
  const json* rootfs = object_field(config, "rootfs");
  const json* diff_ids = rootfs ? array_field(*rootfs, "diff_ids") : nullptr;
  if (!diff_ids) return Status::error(reference + ": its config has no rootfs.diff_ids");
  out->clear();
  for (const json& d : *diff_ids) {
    std::string id = d.is_string() ? d.get<std::string>() : "";
    if (!is_sha256_digest(id))
      return Status::error(reference + ": its config's diff ID " + std::to_string(out->size() + 1) + " is not a sha256 digest");
    out->push_back(id);
  }
  return Status::ok();
}

std::string token_of_response(const std::string& body) {
  json answer = json::parse(body, nullptr, false);
  std::string token = string_field(answer, "token");
  return token.empty() ? string_field(answer, "access_token") : token;
}

}  // namespace stack::registry
