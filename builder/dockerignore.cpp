#include "builder/dockerignore.h"

#include <sstream>

namespace stack::builder {
namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(path);
  while (std::getline(in, part, '/'))
    if (!part.empty() && part != ".") {
      if (part == ".." && !out.empty()) out.pop_back();
      else if (part != "..") out.push_back(part);
    }
  return out;
}

// One segment against one glob segment: * ? [set] and \ escapes.
bool segment_matches(const std::string& glob, size_t g, const std::string& name, size_t n) {
  while (g < glob.size()) {
    char c = glob[g];
    if (c == '*') {
      for (size_t k = n; k <= name.size(); ++k)
        if (segment_matches(glob, g + 1, name, k)) return true;
      return false;
    }
    if (n == name.size()) return false;
    if (c == '?') {
      ++g, ++n;
      continue;
    }
    if (c == '[') {
      size_t close = glob.find(']', g + 1);
      if (close == std::string::npos) return false;
      bool negate = g + 1 < close && (glob[g + 1] == '^' || glob[g + 1] == '!');
      bool found = false;
      for (size_t k = g + 1 + (negate ? 1 : 0); k < close; ++k) {
        if (k + 2 < close && glob[k + 1] == '-') {
          if (name[n] >= glob[k] && name[n] <= glob[k + 2]) found = true;
          k += 2;
        } else if (glob[k] == name[n]) {
          found = true;
        }
      }
      if (found == negate) return false;
      g = close + 1, ++n;
      continue;
    }
    if (c == '\\' && g + 1 < glob.size()) c = glob[++g];
    if (c != name[n]) return false;
    ++g, ++n;
  }
  return n == name.size();
}

bool segments_match(const std::vector<std::string>& glob, size_t g, const std::vector<std::string>& path, size_t p) {
  if (g == glob.size()) return p == path.size();
  if (glob[g] == "**") {
    for (size_t k = p; k <= path.size(); ++k)
      if (segments_match(glob, g + 1, path, k)) return true;
    return false;
  }
  return p < path.size() && segment_matches(glob[g], 0, path[p], 0) && segments_match(glob, g + 1, path, p + 1);
}

}  // namespace

runtime::Status DockerIgnore::parse(const std::string& text, const std::string& file, DockerIgnore* out) {
  DockerIgnore ignore;
  std::istringstream in(text);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    size_t b = line.find_first_not_of(" \t\r");
    size_t e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    line = line.substr(b, e - b + 1);
    Pattern p;
    if (line[0] == '!') {
      p.exception = true;
      line = line.substr(1);
    }
    std::string cleaned;
    for (const std::string& s : segments(line)) cleaned += (cleaned.empty() ? "" : "/") + s;
    if (cleaned.empty()) continue;  // "/" or "." alone: Docker ignores them too
    // An unclosed [ would never match: say so rather than ignore it.
    for (size_t k = 0; k < cleaned.size(); ++k) {
      if (cleaned[k] == '\\') ++k;
      else if (cleaned[k] == '[' && cleaned.find(']', k) == std::string::npos)
        return runtime::Status::error(file + ":" + std::to_string(number) + ": \"" + line + "\": [ is not closed");
    }
    p.text = cleaned;
    ignore.has_exceptions_ = ignore.has_exceptions_ || p.exception;
    ignore.patterns_.push_back(std::move(p));
  }
  *out = std::move(ignore);
  return runtime::Status::ok();
}

bool DockerIgnore::matches(const std::string& pattern, const std::string& path) {
  return segments_match(segments(pattern), 0, segments(path), 0);
}

bool DockerIgnore::excluded(const std::string& path) const {
  std::vector<std::string> parts = segments(path);
  bool out = false;
  for (const Pattern& p : patterns_) {
    std::vector<std::string> glob = segments(p.text);
    // The path itself, or a directory it is in.
    for (size_t n = 1; n <= parts.size(); ++n)
      if (segments_match(glob, 0, std::vector<std::string>(parts.begin(), parts.begin() + static_cast<long>(n)), 0)) {
        out = !p.exception;
        break;
      }
  }
  return out;
}

}  // namespace stack::builder
