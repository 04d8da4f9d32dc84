#include "runtime/image_reference.h"

#include <cctype>

namespace stack::runtime {
namespace {

// A path component: lowercase letters and digits, separated by '.', '_', '__' or '-'.
bool valid_component(const std::string& c) {
  if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) ||
      !std::isalnum(static_cast<unsigned char>(c.back())))
    return false;
  for (char ch : c) {
    if (std::isupper(static_cast<unsigned char>(ch))) return false;
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') return false;
  }
  return true;
}

bool valid_tag(const std::string& t) {
  if (t.empty() || t.size() > 128 || t[0] == '.' || t[0] == '-') return false;
  for (char ch : t)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') return false;
  return true;
}

}  // namespace

std::optional<ImageReference> parse_image_reference(const std::string& text, std::string* error) {
  ImageReference ref;
  std::string rest = text;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    if (ref.digest.rfind("sha256:", 0) != 0 || ref.digest.size() != 71) {
      *error = "invalid digest in image reference \"" + text + "\" (expected sha256: and 64 hex digits)";
      return std::nullopt;
    }
  }
  // A ':' after the last '/' starts the tag; one before it is a registry port.
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!valid_tag(ref.tag)) {
      *error = "invalid tag \"" + ref.tag + "\" in image reference \"" + text + "\"";
      return std::nullopt;
    }
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  ref.name = rest;
  size_t start = 0;
  bool first = true;
  while (start <= rest.size()) {
    size_t end = rest.find('/', start);
    std::string component = rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
    // The first component may be a registry host with a port.
    bool registry = first && end != std::string::npos &&
                    (component.find('.') != std::string::npos || component.find(':') != std::string::npos ||
                     component == "localhost");
    if (!(registry || valid_component(component))) {
      *error = "invalid image name \"" + text + "\" (lowercase letters, digits, '.', '_', '-' and '/')";
      return std::nullopt;
    }
    first = false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return ref;
}

}  // namespace stack::runtime
