#include "schema/names.h"

namespace stack::schema {
namespace {

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

constexpr size_t kMaxFileName = 255;  // NAME_MAX: the name becomes one directory or file
constexpr size_t kMaxNetworkName = 64;
constexpr size_t kMaxImageName = 255;
constexpr size_t kMaxTag = 128;

// lowercase letters and digits, separated by '.', '_', '__' or one or more '-'.
bool path_component(std::string_view c) {
  if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < c.size() && !lower_alnum(c[i])) ++i;
    std::string_view sep = c.substr(start, i - start);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
  }
  return true;
}

// host[:port], the host a DNS name of [a-zA-Z0-9-] labels, or [IPv6].
bool registry_host(std::string_view d) {
  std::string_view host = d;
  bool ipv6 = !d.empty() && d.front() == '[';
  if (ipv6) {
    size_t close = d.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (char c : d.substr(1, close - 1))
      if (!hex(c) && c != ':' && c != '.') return false;
    host = {};
    d.remove_prefix(close + 1);
    if (d.empty()) return true;
    if (d.front() != ':') return false;
  } else if (size_t colon = d.find(':'); colon != std::string_view::npos) {
    host = d.substr(0, colon);
    d.remove_prefix(colon);
  } else {
    d = {};
  }
  if (!d.empty()) {  // ":port"
    std::string_view port = d.substr(1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (!digit(c)) return false;
  }
  if (ipv6) return true;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !alnum(label.front()) || !alnum(label.back())) return false;
    for (char c : label)
      if (!alnum(c) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > kMaxTag || t[0] == '.' || t[0] == '-') return false;
  for (char c : t)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

}  // namespace

std::optional<std::string> resource_key_problem(std::string_view key) {
  if (key.empty()) return "is empty";
  if (key == "." || key == "..") return "is not a name (it means a directory)";
  for (char c : key)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return "may hold only letters, digits, '_', '.' and '-'";
  return std::nullopt;
}

std::optional<std::string> object_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (!alnum(name[0])) return "must start with a letter or a digit";
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return "may hold only letters, digits, '_', '.' and '-'";
  if (name.size() > kMaxFileName)
    return "is longer than " + std::to_string(kMaxFileName) + " characters, the most a file name can have";
  return std::nullopt;
}

std::optional<std::string> network_name_problem(std::string_view name) {
  if (auto problem = object_name_problem(name)) return problem;
  if (name.size() > kMaxNetworkName)
    return "is longer than " + std::to_string(kMaxNetworkName) + " characters, the most stack keeps for a network";
  return std::nullopt;
}

std::optional<std::string> image_reference_problem(std::string_view reference) {
  if (reference.empty()) return "is empty";
  std::string_view rest = reference;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    bool ok = digest.size() == 71 && digest.substr(0, 7) == "sha256:";
    for (char c : digest.substr(std::min<size_t>(7, digest.size()))) ok = ok && hex(c);
    if (!ok) return "has an invalid digest (expected @sha256: and 64 hex digits)";
  }
  // A ':' after the last '/' starts the tag; one before it is a registry port.
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    if (!valid_tag(rest.substr(colon + 1)))
      return "has an invalid tag (at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-')";
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return "has no name";
  if (rest.size() > kMaxImageName)
    return "has a name longer than " + std::to_string(kMaxImageName) + " characters";
  size_t first_slash = rest.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, first_slash);
    // The first component is a registry when it looks like a host, as Docker decides.
    if (first.find_first_of(".:[") != std::string_view::npos || first == "localhost") {
      if (!registry_host(first)) return "has an invalid registry host";
      rest = rest.substr(first_slash + 1);
    }
  }
  size_t start = 0;
  while (true) {
    size_t end = rest.find('/', start);
    std::string_view component = rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!path_component(component)) {
      for (char c : component)
        if (c >= 'A' && c <= 'Z') return "must be lowercase";
      return "has an invalid name (lowercase letters and digits separated by '.', '_', '__' or '-', "
             "components joined by '/')";
    }
    if (end == std::string_view::npos) return std::nullopt;
    start = end + 1;
  }
}

namespace {

bool has_parent_component(std::string_view path) {
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find('/', start);
    if (path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start) == "..") return true;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::optional<std::string> subpath_problem(std::string_view subpath) {
  if (subpath.empty()) return std::nullopt;
  if (subpath.front() == '/') return "must be a path relative to the volume";
  if (has_parent_component(subpath)) return "must stay inside the volume (no \"..\")";
  return std::nullopt;
}

std::optional<std::string> container_path_problem(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must be absolute";
  if (has_parent_component(path)) return "must not climb with \"..\"";
  return std::nullopt;
}

}  // namespace stack::schema
