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
// Layers go up compressed with gzip, as Docker pushes them (the store keeps
// them as plain tars): the manifest pushed names the compressed blobs, so
// its digest is not the local one; the config, and so the image ID, is
// the same. A layer larger than RegistryClient::kUploadChunk goes in
// chunks. Where a layer compressed to is kept (images/.pushes), so that
// pushing it again to a registry that has it compresses nothing. The login for
// the registry comes from the Docker config.json at `credentials_path`
// (none when empty).
Status push_image(const std::string& reference, const std::vector<std::string>& insecure_registries,
                  const std::string& credentials_path, const runtime::ImageStore& store,
                  const std::function<void(const TransferProgress&)>& progress);

}  // namespace stack::registry
