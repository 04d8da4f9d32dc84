#include "runtime/layer_unpacker.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "runtime/sha256.h"

namespace stack::runtime {
namespace {

struct ArchiveReader {
  archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

struct ArchiveWriter {
  archive* a = archive_write_disk_new();
  ~ArchiveWriter() { archive_write_free(a); }
};

Status archive_error(archive* a, const std::string& what) {
  const char* message = archive_error_string(a);
  std::string text = message ? message : "unknown archive error";
  // libarchive's own words for a failed write ("Write failed") leave out
  // why: the disk filled, say.
  int e = archive_errno(a);
  if (e > 0 && text.find(std::strerror(e)) == std::string::npos) text += std::string(" (") + std::strerror(e) + ")";
  return Status::error(what + ": " + text);
}

// "./a/b/" -> "a/b"; empty when the path leaves the root.
std::string clean_path(std::string path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    std::string part = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part == "..") return {};
    if (!part.empty() && part != ".") parts.push_back(part);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

// The compressions image layers and rootfs archives come in. Named rather
// than "all": each filter links its library, and this keeps the binary free
// of the ones no image uses (see cmake/Dependencies.cmake).
void support_layer_filters(archive* a) {
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_bzip2(a);
}

// The calling thread with `dir` as its root and working directory, and
// back: unshare(CLONE_FS) gives the thread a root and working directory
// of its own, so the process's other threads are not moved. Only as root
// (chroot needs CAP_SYS_CHROOT); otherwise inside() stays false.
class ChrootedThread {
 public:
  Status enter(const std::string& dir) {
    if (::geteuid() != 0) return Status::ok();
    // Refused (a seccomp profile that blocks unshare): libarchive's checks.
    if (::unshare(CLONE_FS) != 0) return errno == EPERM ? Status::ok() : Status::from_errno("unshare(CLONE_FS)");
    old_root_ = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    old_cwd_ = ::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (old_root_ < 0 || old_cwd_ < 0) return Status::from_errno("opening / and .");
    if (::chdir(dir.c_str()) != 0) return Status::from_errno("entering " + dir);
    if (::chroot(".") != 0) {
      int e = errno;
      Status s = Status::from_errno("chroot into " + dir);
      (void)!::fchdir(old_cwd_);
      return e == EPERM ? Status::ok() : s;
    }
    inside_ = true;
    return Status::ok();
  }
  bool inside() const { return inside_; }
  ~ChrootedThread() {
    // The saved root is outside this one: back to it, then to where we were.
    if (inside_ && (::fchdir(old_root_) != 0 || ::chroot(".") != 0 || ::fchdir(old_cwd_) != 0)) std::abort();
    for (int fd : {old_root_, old_cwd_})
      if (fd >= 0) ::close(fd);
  }

 private:
  int old_root_ = -1, old_cwd_ = -1;
  bool inside_ = false;
};

}  // namespace

Status decompress_layer(const std::string& source, const std::string& blob_path, std::string* digest_hex) {
  ArchiveReader reader;
  support_layer_filters(reader.a);
  archive_read_support_format_raw(reader.a);
  if (archive_read_open_filename(reader.a, source.c_str(), 1 << 16) != ARCHIVE_OK)
    return archive_error(reader.a, "opening " + source);
  archive_entry* entry = nullptr;
  if (archive_read_next_header(reader.a, &entry) != ARCHIVE_OK) return archive_error(reader.a, "reading " + source);
  int fd = ::open(blob_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::from_errno("creating " + blob_path);
  Sha256 hash;
  std::vector<char> buf(1 << 16);
  Status status;
  while (true) {
    la_ssize_t n = archive_read_data(reader.a, buf.data(), buf.size());
    if (n < 0) {
      status = archive_error(reader.a, "reading " + source);
      break;
    }
    if (n == 0) break;
    hash.update(buf.data(), static_cast<size_t>(n));
    for (la_ssize_t done = 0; done < n;) {
      ssize_t w = ::write(fd, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        status = Status::from_errno("writing " + blob_path);
        break;
      }
      done += w;
    }
    if (!status) break;
  }
  if (status && ::fsync(fd) != 0) status = Status::from_errno("syncing " + blob_path);
  ::close(fd);
  if (!status) {
    ::unlink(blob_path.c_str());
    return status;
  }
  *digest_hex = hash.hex();
  return Status::ok();
}

namespace {

// Extracts a tar into `dest`; in a layer, whiteouts become overlay's.
// `not_a_tar` (when given) is set, with nothing extracted, when the file
// is not a tar at all.
Status extract_tar(const std::string& tar_path, const std::string& dest, bool layer, bool* not_a_tar) {
  ArchiveReader reader;
  support_layer_filters(reader.a);
  archive_read_support_format_tar(reader.a);
  archive_read_support_format_gnutar(reader.a);
  if (archive_read_open_filename(reader.a, tar_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    if (not_a_tar) {
      *not_a_tar = true;
      return Status::ok();
    }
    return archive_error(reader.a, "opening " + tar_path);
  }
  // As root, this thread works inside `dest` as its root (ChrootedThread):
  // an archive's links resolve within it, as Docker's chrooted unpack, so
  // libarchive need not check each path component of each entry for links
  // (an lstat per component of the absolute path: most of an unpack's
  // system calls). Otherwise, its checks.
  // Not for an ADD's archive: its links belong to the image it lands in,
  // not to its target directory; libarchive's checks refuse them instead.
  ChrootedThread chroot;
  if (layer)
    if (Status s = chroot.enter(dest); !s) return s;
  const std::string root = chroot.inside() ? "." : dest;
  // After the chroot, and so closed (its deferred directory times and
  // modes set) before it ends: those paths are relative to it.
  ArchiveWriter writer;
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS |
              ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK;
  if (!chroot.inside()) flags |= ARCHIVE_EXTRACT_SECURE_SYMLINKS;
  if (::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
  archive_write_disk_set_options(writer.a, flags);
  // No lookup of owner names (libarchive's default): the numeric ids are
  // kept, as Docker keeps them; a name would be looked up in the host's
  // /etc/passwd (or, chrooted, the image's, through its NSS modules).

  archive_entry* entry = nullptr;
  for (bool first = true;; first = false) {
    int r = archive_read_next_header(reader.a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN && first && not_a_tar) {
      *not_a_tar = true;
      return Status::ok();
    }
    if (r < ARCHIVE_WARN) return archive_error(reader.a, "reading " + tar_path);
    const char* raw = archive_entry_pathname(entry);
    std::string path = clean_path(raw ? raw : "");
    if (path.empty()) {
      if (raw && clean_path(std::string(raw) + "/x") == "x") continue;  // the root "./" itself
      return Status::error((layer ? "layer " : "archive ") + tar_path + ": entry \"" + (raw ? raw : "") + "\" leaves the layer");
    }
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    std::string dir_abs = dir.empty() ? root : root + "/" + dir;
    if (layer && base.rfind(".wh.", 0) == 0) {
      ::mkdir(dir_abs.c_str(), 0755);  // a whiteout may come before its directory's entry
      if (base == ".wh..wh..opq") {
        if (::setxattr(dir_abs.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
          return Status::from_errno("marking " + dir_abs + " opaque");
      } else {
        std::string target = dir_abs + "/" + base.substr(4);
        if (::mknod(target.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0 && errno != EEXIST)
          return Status::from_errno("creating whiteout " + target);
      }
      continue;
    }
    archive_entry_set_pathname(entry, (root + "/" + path).c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      std::string target = clean_path(link);
      if (target.empty()) return Status::error((layer ? "layer " : "archive ") + tar_path + ": hard link \"" + link + "\" leaves the layer");
      archive_entry_set_hardlink(entry, (root + "/" + target).c_str());
    }
    r = archive_write_header(writer.a, entry);
    if (r < ARCHIVE_WARN) return archive_error(writer.a, "extracting " + path);
    if (archive_entry_size(entry) > 0) {
      const void* block;
      size_t size;
      la_int64_t offset;
      while ((r = archive_read_data_block(reader.a, &block, &size, &offset)) == ARCHIVE_OK)
        // Not even a warning: libarchive says a failed write (ENOSPC) so.
        if (archive_write_data_block(writer.a, block, size, offset) != ARCHIVE_OK)
          return archive_error(writer.a, "writing " + path);
      if (r < ARCHIVE_WARN) return archive_error(reader.a, "reading " + path);
    }
    if (archive_write_finish_entry(writer.a) < ARCHIVE_WARN) return archive_error(writer.a, "finishing " + path);
  }
  if (archive_write_close(writer.a) < ARCHIVE_WARN) return archive_error(writer.a, "closing " + dest);
  if (not_a_tar) *not_a_tar = false;
  return Status::ok();
}

}  // namespace

Status unpack_layer(const std::string& tar_path, const std::string& dest) {
  return extract_tar(tar_path, dest, true, nullptr);
}

Status extract_archive(const std::string& archive, const std::string& dest, bool* not_an_archive) {
  return extract_tar(archive, dest, false, not_an_archive);
}

}  // namespace stack::runtime
