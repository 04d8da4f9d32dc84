// ImagePush: a local image uploaded to a registry: blobs the repository lacks, then the manifest.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "registry/registry_client.h"
#include "runtime/image_store.h"
#include "runtime/status.h"

namespace stack::registry {

using runtime::Status;

// Pushes the local image named `reference` to the registry and repository
// its name says, under its tag (or digest): each layer and the config
// unless the repository has it already (HEAD), then the manifest, last.
// Layers go up as the store keeps them, uncompressed OCI layer tars;
// one larger than RegistryClient::kUploadChunk in chunks. The login for
// the registry comes from the Docker config.json at `credentials_path`
// (none when empty).
Status push_image(const std::string& reference, const std::vector<std::string>& insecure_registries,
                  const std::string& credentials_path, const runtime::ImageStore& store,
                  const std::function<void(const TransferProgress&)>& progress);

}  // namespace stack::registry
