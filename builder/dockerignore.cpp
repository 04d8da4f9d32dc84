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

// Whether glob element `g` (? [set] \x or a character; not *) matches `c`;
// `next` is where the element after it starts.
bool element_matches(const std::string& glob, size_t g, char c, size_t* next) {
  if (glob[g] == '?') {
    *next = g + 1;
    return true;
  }
  if (glob[g] == '[') {
    size_t close = glob.find(']', g + 1);
    if (close == std::string::npos) return false;
    bool negate = g + 1 < close && (glob[g + 1] == '^' || glob[g + 1] == '!');
    bool found = false;
    for (size_t k = g + 1 + (negate ? 1 : 0); k < close; ++k) {
      if (k + 2 < close && glob[k + 1] == '-') {
        if (c >= glob[k] && c <= glob[k + 2]) found = true;
        k += 2;
      } else if (glob[k] == c) {
        found = true;
      }
    }
    *next = close + 1;
    return found != negate;
  }
  if (glob[g] == '\\' && g + 1 < glob.size()) ++g;
  *next = g + 1;
  return glob[g] == c;
}

// Wildcard matching of a sequence where `is_star(g)` matches any run of
// items and every other glob item matches one item. On a mismatch only the
// last star takes one more item: time |glob| x |items|. (Trying every star
// at every length took exponential time: `****...b` against a long name
// hung a build; found by dockerignore_fuzzer.)
template <typename IsStar, typename ItemMatches>
bool wildcard_match(size_t glob_size, size_t items, IsStar is_star, ItemMatches item_matches) {
  size_t g = 0, i = 0;
  size_t star = glob_size, star_i = 0;  // the last star seen, and where its run ends
  while (i < items) {
    size_t next = 0;
    if (g < glob_size && is_star(g)) {
      star = g++;
      star_i = i;
    } else if (g < glob_size && item_matches(g, i, &next)) {
      g = next;
      ++i;
    } else if (star < glob_size) {
      g = star + 1;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (g < glob_size && is_star(g)) ++g;
  return g == glob_size;
}

// One segment against one glob segment: * ? [set] and \ escapes.
bool segment_matches(const std::string& glob, const std::string& name) {
  return wildcard_match(
      glob.size(), name.size(), [&](size_t g) { return glob[g] == '*'; },
      [&](size_t g, size_t n, size_t* next) { return element_matches(glob, g, name[n], next); });
}

// A path's segments against a pattern's, where ** stands for any number of segments.
bool segments_match(const std::vector<std::string>& glob, const std::vector<std::string>& path) {
  return wildcard_match(
      glob.size(), path.size(), [&](size_t g) { return glob[g] == "**"; },
      [&](size_t g, size_t p, size_t* next) {
        *next = g + 1;
        return segment_matches(glob[g], path[p]);
      });
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
  return segments_match(segments(pattern), segments(path));
}

bool DockerIgnore::excluded(const std::string& path) const {
  std::vector<std::string> parts = segments(path);
  bool out = false;
  for (const Pattern& p : patterns_) {
    std::vector<std::string> glob = segments(p.text);
    // The path itself, or a directory it is in.
    for (size_t n = 1; n <= parts.size(); ++n)
      if (segments_match(glob, std::vector<std::string>(parts.begin(), parts.begin() + static_cast<long>(n)))) {
        out = !p.exception;
        break;
      }
  }
  return out;
}

}  // namespace stack::builder
