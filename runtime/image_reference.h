// ImageReference: NAME[:TAG] or NAME@sha256:..., normalized the way Docker names local images.
#pragma once

#include <optional>
#include <string>

namespace stack::runtime {

struct ImageReference {
  std::string name;  // "busybox", "registry.local:5000/team/app"
  std::string tag;   // "latest" when none was given
  std::string digest;  // "sha256:..." for NAME@DIGEST

  std::string str() const { return digest.empty() ? name + ":" + tag : name + "@" + digest; }
};

// Parses and validates a reference; nullopt with `error` set when it is malformed.
std::optional<ImageReference> parse_image_reference(const std::string& text, std::string* error);

}  // namespace stack::runtime
