// ImagePull: an image fetched from a registry into the local store: index resolved to a platform, blobs verified, layers stored once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/image_store.h"
#include "runtime/status.h"

namespace stack::registry {

using runtime::Status;

struct PullOptions {
  std::vector<std::string> insecure_registries;  // host[:port] over plain HTTP (loopback always is)
  std::string os = "linux", architecture = "amd64";
  std::string scratch;  // where blobs land before they are stored
};

// Pulls `reference` (NAME[:TAG] or NAME@DIGEST) and names it so in the
// store. An index picks the manifest of the options' platform. Every blob
// is checked against its digest, and each layer's diff ID against the
// config's, before anything is named; a layer the store has is not
// fetched again. `progress` gets a line per step.
Status pull_image(const std::string& reference, const PullOptions& options, runtime::ImageStore& store,
                  const std::function<void(const std::string&)>& progress, runtime::Image* out);

}  // namespace stack::registry
