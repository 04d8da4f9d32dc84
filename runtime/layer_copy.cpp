#include "runtime/layer_copy.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

bool is_opaque(const std::string& dir) {
  char value[2];
  return ::getxattr(dir.c_str(), "trusted.overlay.opaque", value, sizeof value) == 1 && value[0] == 'y';
}

void clear_directory(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
}

// One entry of a layer onto `to`.
Status copy_entry(const fs::path& from, const struct stat& st, const fs::path& to) {
  std::error_code ec;
  if (is_whiteout(st)) {
    fs::remove_all(to, ec);
    return Status::ok();
  }
  struct stat existing {};
  bool exists = ::lstat(to.c_str(), &existing) == 0;
  if (S_ISDIR(st.st_mode)) {
    if (exists && !S_ISDIR(existing.st_mode)) fs::remove_all(to, ec);
    if (!exists || !S_ISDIR(existing.st_mode))
      if (::mkdir(to.c_str(), st.st_mode & 07777) != 0) return Status::from_errno("creating " + to.string());
    if (is_opaque(from)) clear_directory(to);
  } else if (S_ISREG(st.st_mode)) {
    if (exists) fs::remove_all(to, ec);
    fs::copy_file(from, to, ec);
    if (ec) return Status::error("copying " + from.string() + ": " + ec.message());
  } else if (S_ISLNK(st.st_mode)) {
    if (exists) fs::remove_all(to, ec);
    fs::copy_symlink(from, to, ec);
    if (ec) return Status::error("copying " + from.string() + ": " + ec.message());
  } else {
    return Status::ok();  // devices, fifos, sockets: not volume content
  }
  if (::lchown(to.c_str(), st.st_uid, st.st_gid) != 0) return Status::from_errno("chown " + to.string());
  if (!S_ISLNK(st.st_mode) && ::chmod(to.c_str(), st.st_mode & 07777) != 0) return Status::from_errno("chmod " + to.string());
  return Status::ok();
}

// Whether `relative` under `layer` meets a symbolic link of the layer on
// the way (its last part included): followed there, an image's `/var/lib
// -> /etc` would copy the host's /etc into the volume.
bool through_symlink(const fs::path& layer, const fs::path& relative) {
  fs::path at = layer;
  for (const fs::path& part : relative) {
    at /= part;
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0) return false;
    if (S_ISLNK(st.st_mode)) return true;
  }
  return false;
}

}  // namespace

Status copy_image_directory(const std::vector<std::string>& layer_dirs, const std::string& path, const std::string& dest) {
  for (auto layer = layer_dirs.rbegin(); layer != layer_dirs.rend(); ++layer) {
    fs::path top = fs::path(*layer) / fs::path(path).relative_path();
    struct stat st {};
    // A link on the way replaces the directory, as a file there would:
    // what it points at is not copied (never the host's).
    bool linked = through_symlink(*layer, fs::path(path).relative_path());
    if (!linked && ::lstat(top.c_str(), &st) != 0) continue;
    if (linked || is_whiteout(st) || !S_ISDIR(st.st_mode)) {
      clear_directory(dest);  // this layer deleted the directory, or replaced it
      continue;
    }
    if (is_opaque(top.string())) clear_directory(dest);
    // As Docker: the volume's own directory takes the owner and mode the
    // image gives the path, so that the image's user can write to it.
    if (::chown(dest.c_str(), st.st_uid, st.st_gid) != 0) return Status::from_errno("chown " + dest);
    if (::chmod(dest.c_str(), st.st_mode & 07777) != 0) return Status::from_errno("chmod " + dest);
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      struct stat entry {};
      if (::lstat(it->path().c_str(), &entry) != 0) continue;
      fs::path to = fs::path(dest) / it->path().lexically_relative(top);  // not relative(): it follows symlinks
      if (Status s = copy_entry(it->path(), entry, to); !s) return s;
      if (S_ISLNK(entry.st_mode)) it.disable_recursion_pending();
    }
    if (ec) return Status::error("reading " + top.string() + ": " + ec.message());
  }
  return Status::ok();
}

}  // namespace stack::runtime
