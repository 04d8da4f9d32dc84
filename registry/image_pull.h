// ImagePull: an image fetched from a registry into the local store: index resolved to a platform, layers fetched in parallel and resumably, verified, stored once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "registry/registry_client.h"
#include "runtime/image_store.h"
#include "runtime/status.h"

namespace stack::registry {

using runtime::Status;

struct PullOptions {
  std::vector<std::string> insecure_registries;  // host[:port] over plain HTTP (loopback always is)
  // Tried in order before Docker Hub for its images ("http://host:port"
  // or "https://host"), as Docker's registry-mirrors; a mirror that fails
  // or lacks the image is passed over.
  std::vector<std::string> mirrors;
  std::string os = "linux", architecture = "amd64", variant;
  // Where blobs land before they are stored; a download that broke off
  // stays here (DIGEST.partial) for the next pull to go on with.
  std::string scratch;
  std::string credentials_path;  // a Docker config.json; empty: anonymous
  int parallel_downloads = 3;
};

// Pulls `reference` (NAME[:TAG] or NAME@DIGEST) and names it so in the
// store. An index picks the manifest of the options' platform. Every blob
// is checked against its digest, and each layer's diff ID against the
// config's, before anything is named; a layer the store has is not
// fetched again.
Status pull_image(const std::string& reference, const PullOptions& options, runtime::ImageStore& store,
                  const std::function<void(const TransferProgress&)>& progress, runtime::Image* out);

// "linux/arm64/v8" into the options' os, architecture and variant.
Status parse_platform(const std::string& platform, PullOptions* options);

}  // namespace stack::registry
