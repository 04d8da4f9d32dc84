// RegistryJson: what a pull reads from a registry's JSON documents (image indexes, manifests, image configs, token responses), without I/O.
#pragma once

#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::registry {

using runtime::Status;

// Whether `digest` is "sha256:" and 64 lower-case hex digits, the only
// digest a pull checks blobs against. Digests from a registry become file
// names in the scratch directory, so nothing else may pass.
bool is_sha256_digest(const std::string& digest);

// The manifest's media type: its own `mediaType` field when it has one,
// else what the registry's Content-Type header said.
std::string manifest_media_type(const std::string& body, const std::string& content_type);

// The digest of the manifest an image index lists for os/architecture
// (and variant, when not empty). An error names `reference` and the
// platform it lacks, or says the index is not a JSON object.
Status choose_platform(const std::string& reference, const std::string& index_body, const std::string& os,
                       const std::string& architecture, const std::string& variant, std::string* digest);

// What a pull fetches of an image manifest: its config blob and its layer
// blobs, in order (a layer may be listed twice).
struct ImageManifest {
  std::string config_digest;
  std::vector<std::string> layer_digests;
};

// Reads an OCI or Docker v2 manifest. An error (prefixed by `reference`)
// says it is not a JSON object or which digest is not a sha256 digest.
Status parse_image_manifest(const std::string& reference, const std::string& body, ImageManifest* out);

// The image config's rootfs.diff_ids. An error (prefixed by `reference`)
// says the list is missing or which entry is not a sha256 digest.
Status parse_diff_ids(const std::string& reference, const std::string& config_text, std::vector<std::string>* out);

// The token of a token service's answer: `token`, else `access_token`
// (OAuth's name); empty when it has neither as a string.
std::string token_of_response(const std::string& body);

}  // namespace stack::registry
