// libFuzzer target: any bytes as each JSON document a pull reads from a registry (an image index, a manifest and its media type, an image config and its diff IDs, a token service's answer).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry/registry_json.h"
#include "runtime/image_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stack::registry;
  std::string body(reinterpret_cast<const char*>(data), size);
  (void)manifest_media_type(body, "application/vnd.oci.image.manifest.v1+json");
  std::string digest;
  (void)choose_platform("fuzz", body, "linux", "amd64", "", &digest);
  (void)choose_platform("fuzz", body, "linux", "arm64", "v8", &digest);
  ImageManifest manifest;
  (void)parse_image_manifest("fuzz", body, &manifest);
  std::vector<std::string> diff_ids;
  (void)parse_diff_ids("fuzz", body, &diff_ids);
  (void)token_of_response(body);
  // The config's `config` object, typed as a container's defaults are read from it.
  nlohmann::json config = nlohmann::json::parse(body, nullptr, false);
  if (config.is_object() && config.contains("config")) {
    stack::runtime::ImageConfig typed = stack::runtime::ImageConfig::from_json(config["config"]);
    (void)typed.to_json().dump();
  }
  return 0;
}
