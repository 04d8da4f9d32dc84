#include "builder/source_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "runtime/sha256.h"

namespace stack::builder {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") out.push_back(part);
    start = slash + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

// The source as a relative path, `..` kept from leaving the tree.
std::string clean(const std::string& path) {
  std::vector<std::string> out;
  for (const std::string& part : split_path(path)) {
    if (part == "..") {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(part);
    }
  }
  return join(out);
}

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> sorted_names(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool read_entry(const std::string& host_path, bool follow, SourceEntry* e) {
  if ((follow ? ::stat(host_path.c_str(), &e->st) : ::lstat(host_path.c_str(), &e->st)) != 0) return false;
  e->host_path = host_path;
  if (S_ISLNK(e->st.st_mode)) {
    char buf[4096];
    ssize_t n = ::readlink(host_path.c_str(), buf, sizeof buf);
    if (n > 0) e->link_target.assign(buf, static_cast<size_t>(n));
  }
  return true;
}

std::string child_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "/" + name;
}

// Everything under a matched directory, in name order. Returns whether
// something under it was kept (an excluded directory stays only then).
bool collect_contents(const std::string& host_dir, const std::string& tree_path, const std::string& match_path,
                      const DockerIgnore* ignore, std::vector<SourceEntry>* out) {
  bool kept = false;
  for (const std::string& name : sorted_names(host_dir)) {
    SourceEntry e;
    if (!read_entry(host_dir + "/" + name, false, &e)) continue;
    std::string tree = child_path(tree_path, name);
    e.path = child_path(match_path, name);
    bool excluded = ignore && ignore->excluded(tree);
    if (excluded && !(S_ISDIR(e.st.st_mode) && ignore->has_exceptions())) continue;
    size_t at = out->size();
    out->push_back(e);
    if (S_ISDIR(e.st.st_mode)) {
      bool inner = collect_contents(e.host_path, tree, e.path, ignore, out);
      if (excluded && !inner) {
        out->erase(out->begin() + static_cast<std::ptrdiff_t>(at), out->end());
        continue;
      }
    }
    kept = true;
  }
  return kept;
}

void add_match(const std::string& host_path, const std::string& tree_path, bool follow, const DockerIgnore* ignore,
               std::vector<SourceMatch>* out) {
  SourceMatch m;
  m.path = tree_path;
  SourceEntry self;
  if (!read_entry(host_path, follow, &self)) return;
  m.entries.push_back(self);
  if (S_ISDIR(self.st.st_mode)) {
    bool inner = collect_contents(host_path, tree_path, "", ignore, &m.entries);
    if (!inner && ignore && ignore->excluded(tree_path)) return;
  }
  out->push_back(std::move(m));
}

// Walks the tree from `dir` for paths the pattern matches; a matched
// directory is not looked into for more.
void walk_matches(const std::string& root, const std::string& dir, const std::string& pattern, size_t depth_limit,
                  const DockerIgnore* ignore, std::vector<SourceMatch>* out) {
  std::string host_dir = resolve_in_root(root, dir, true);
  for (const std::string& name : sorted_names(host_dir)) {
    std::string tree = child_path(dir, name);
    SourceEntry e;
    if (!read_entry(host_dir + "/" + name, false, &e)) continue;
    bool excluded = ignore && ignore->excluded(tree);
    if (DockerIgnore::matches(pattern, tree)) {
      if (!excluded || (S_ISDIR(e.st.st_mode) && ignore->has_exceptions())) add_match(e.host_path, tree, false, ignore, out);
      continue;
    }
    if (excluded && !ignore->has_exceptions()) continue;
    if (S_ISDIR(e.st.st_mode) && split_path(tree).size() < depth_limit) walk_matches(root, tree, pattern, depth_limit, ignore, out);
  }
}

}  // namespace

std::string resolve_in_root(const std::string& root, const std::string& path, bool follow_last) {
  std::vector<std::string> done;  // resolved components, below root
  std::vector<std::string> todo = split_path(path);
  std::reverse(todo.begin(), todo.end());
  int links = 0;
  while (!todo.empty()) {
    std::string part = todo.back();
    todo.pop_back();
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string host = root + "/" + join(done) + (done.empty() ? "" : "/") + part;
    struct stat st {};
    bool last = todo.empty();
    if ((!last || follow_last) && links < 40 && ::lstat(host.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = ::readlink(host.c_str(), buf, sizeof buf);
      if (n > 0) {
        ++links;
        std::string target(buf, static_cast<size_t>(n));
        if (target[0] == '/') done.clear();
        std::vector<std::string> parts = split_path(target);
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
        continue;
      }
    }
    done.push_back(part);
  }
  return done.empty() ? root : root + "/" + join(done);
}

Status match_sources(const std::string& root, const std::string& source, const DockerIgnore* ignore,
                     std::vector<SourceMatch>* out) {
  std::string path = clean(source);
  size_t before = out->size();
  if (!has_wildcard(path)) {
    std::string host = resolve_in_root(root, path, true);
    struct stat st {};
    // An excluded directory may still hold exceptions; an excluded file is gone.
    bool directory = ::stat(host.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (ignore && !path.empty() && ignore->excluded(path) && !(directory && ignore->has_exceptions()))
      return Status::error(source + " is excluded by .dockerignore");
    add_match(host, path, true, ignore, out);
    if (out->size() == before)
      return Status::error(source + ": no such file or directory" +
                           (ignore && ignore->excluded(path) ? " (it is excluded by .dockerignore)" : ""));
    return Status::ok();
  }
  // The walk starts below the pattern's literal directories.
  std::vector<std::string> parts = split_path(path);
  std::vector<std::string> literal;
  for (const std::string& p : parts) {
    if (has_wildcard(p)) break;
    literal.push_back(p);
  }
  bool deep = std::find(parts.begin(), parts.end(), "**") != parts.end();
  walk_matches(root, join(literal), path, deep ? SIZE_MAX : parts.size(), ignore, out);
  if (out->size() == before) return Status::error(source + ": no file matches");
  return Status::ok();
}

Status digest_sources(const std::vector<SourceMatch>& matches, std::string* hex) {
  runtime::Sha256 digest;
  char buf[1 << 16];
  for (const SourceMatch& m : matches) {
    digest.update("match " + m.path + "\n");
    for (const SourceEntry& e : m.entries) {
      digest.update(e.path + "\n" + std::to_string(e.st.st_mode) + " " + std::to_string(e.st.st_size) + " " +
                    e.link_target + "\n");
      if (!S_ISREG(e.st.st_mode)) continue;
      int fd = ::open(e.host_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Status::from_errno("reading " + e.host_path);
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) digest.update(buf, static_cast<size_t>(n));
      ::close(fd);
      if (n < 0) return Status::from_errno("reading " + e.host_path);
    }
  }
  *hex = digest.hex();
  return Status::ok();
}

}  // namespace stack::builder
