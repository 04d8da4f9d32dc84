#include "runtime/layer_packer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "runtime/sha256.h"

namespace stack::runtime {
namespace {

// The tar's bytes go through the digest on their way to the file.
struct DigestingFile {
  int fd = -1;
  Sha256 digest;
  std::int64_t written = 0;
  bool failed = false;
};

la_ssize_t write_digested(archive*, void* data, const void* buffer, size_t size) {
  auto* f = static_cast<DigestingFile*>(data);
  const char* p = static_cast<const char*>(buffer);
  // No file: the digest only (digest_layer).
  for (size_t left = f->fd < 0 ? 0 : size; left > 0;) {
    ssize_t n = ::write(f->fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      f->failed = true;
      return -1;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  f->digest.update(buffer, size);
  f->written += static_cast<std::int64_t>(size);
  return static_cast<la_ssize_t>(size);
}

struct Packer {
  archive* a;
  std::string root;
  std::map<std::pair<dev_t, ino_t>, std::string> links;  // first path of each multiply-linked file

  Status fail(const std::string& what) {
    const char* message = archive_error_string(a);
    return Status::error("packing " + what + ": " + (message ? message : "write error"));
  }

  Status empty_file(const std::string& name, const struct stat& like) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0);
    archive_entry_set_mtime(e.get(), like.st_mtim.tv_sec, like.st_mtim.tv_nsec);
    archive_entry_set_size(e.get(), 0);
    return archive_write_header(a, e.get()) == ARCHIVE_OK ? Status::ok() : fail(name);
  }

  Status entry(const std::string& rel, const std::string& path, const struct stat& st) {
    std::string name = rel;
    size_t slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return empty_file(parent + ".wh." + base, st);

    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), (S_ISDIR(st.st_mode) ? name + "/" : name).c_str());
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = links.try_emplace({st.st_dev, st.st_ino}, name);
      if (!first) {
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        return archive_write_header(a, e.get()) == ARCHIVE_OK ? Status::ok() : fail(name);
      }
    }
    char capability[256];
    ssize_t cap = ::lgetxattr(path.c_str(), "security.capability", capability, sizeof capability);
    if (cap > 0) archive_entry_xattr_add_entry(e.get(), "security.capability", capability, static_cast<size_t>(cap));
    if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFDIR);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
      if (n < 0) return Status::from_errno("reading the link " + path);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), target.c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_filetype(e.get(), S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
      archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
    } else if (S_ISFIFO(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFIFO);
    } else if (S_ISREG(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), st.st_size);
    } else {
      return Status::ok();  // sockets do not belong in a layer
    }
    if (archive_write_header(a, e.get()) != ARCHIVE_OK) return fail(name);
    if (S_ISREG(st.st_mode)) {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) return Status::from_errno("reading " + path);
      char buffer[1 << 16];
      Status s;
      for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          s = Status::from_errno("reading " + path);
          break;
        }
        if (archive_write_data(a, buffer, static_cast<size_t>(n)) != n) {
          s = fail(name);
          break;
        }
      }
      ::close(fd);
      if (!s) return s;
    }
    if (S_ISDIR(st.st_mode)) {
      char opaque[2];
      if (::lgetxattr(path.c_str(), "trusted.overlay.opaque", opaque, sizeof opaque) == 1 && opaque[0] == 'y')
        if (Status s = empty_file(name + "/.wh..wh..opq", st); !s) return s;
      return walk(name + "/", path);
    }
    return Status::ok();
  }

  Status walk(const std::string& prefix, const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return Status::from_errno("reading " + dir);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d))
      if (std::string n = e->d_name; n != "." && n != "..") names.push_back(n);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      std::string path = dir + "/" + n;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) return Status::from_errno("reading " + path);
      if (Status s = entry(prefix + n, path, st); !s) return s;
    }
    return Status::ok();
  }
};

}  // namespace

namespace {

// Packs `dir` into `file` (its fd -1: into the digest alone).
Status pack_into(const std::string& dir, DigestingFile& file, const std::string& what) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_per_block(a, 0);  // no padding to a block size: the digest is of what the tar is
  Status s;
  if (archive_write_open(a, &file, nullptr, write_digested, nullptr) != ARCHIVE_OK) s = Status::error("opening " + what);
  if (s) s = Packer{a, dir, {}}.walk("", dir);
  if (archive_write_close(a) != ARCHIVE_OK && s) s = Status::error("finishing " + what);
  archive_write_free(a);
  if (s && file.failed) s = Status::error("writing " + what);
  return s;
}

}  // namespace

Status digest_layer(const std::string& dir, std::string* diff_id, std::int64_t* size) {
  DigestingFile sink;
  if (Status s = pack_into(dir, sink, "the layer of " + dir); !s) return s;
  *diff_id = "sha256:" + sink.digest.hex();
  *size = sink.written;
  return Status::ok();
}

Status pack_layer(const std::string& dir, const std::string& tar_path, std::string* diff_id) {
  DigestingFile file;
  file.fd = ::open(tar_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (file.fd < 0) return Status::from_errno("creating " + tar_path);
  Status s = pack_into(dir, file, tar_path);
  ::close(file.fd);
  if (!s) {
    ::unlink(tar_path.c_str());
    return s;
  }
  *diff_id = "sha256:" + file.digest.hex();
  return Status::ok();
}

Status gzip_layer(const std::string& tar_path, const std::string& gz_path, std::string* digest, std::int64_t* size) {
  int in = ::open(tar_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::from_errno("opening " + tar_path);
  DigestingFile file;
  file.fd = ::open(gz_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (file.fd < 0) {
    Status s = Status::from_errno("creating " + gz_path);
    ::close(in);
    return s;
  }
  // A raw stream through gzip, without the time in its header: the same
  // layer compresses to the same bytes, so a registry that has it already
  // is seen to (its digest is the same on every push).
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  archive_write_add_filter_gzip(a);
  archive_write_set_filter_option(a, "gzip", "timestamp", nullptr);
  archive_write_set_bytes_per_block(a, 0);
  Status s;
  if (archive_write_open(a, &file, nullptr, write_digested, nullptr) != ARCHIVE_OK) s = Status::error("opening " + gz_path);
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(e.get(), "layer.tar");
  archive_entry_set_filetype(e.get(), AE_IFREG);
  if (s && archive_write_header(a, e.get()) != ARCHIVE_OK) s = Status::error("compressing " + tar_path);
  std::vector<char> buffer(1 << 20);
  for (ssize_t n; s && (n = ::read(in, buffer.data(), buffer.size())) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Status::from_errno("reading " + tar_path);
    else if (archive_write_data(a, buffer.data(), static_cast<size_t>(n)) != n) s = Status::error("compressing " + tar_path);
  }
  if (archive_write_close(a) != ARCHIVE_OK && s) s = Status::error("finishing " + gz_path);
  archive_write_free(a);
  ::close(in);
  ::close(file.fd);
  if (s && file.failed) s = Status::error("writing " + gz_path);
  if (!s) {
    ::unlink(gz_path.c_str());
    return s;
  }
  *digest = "sha256:" + file.digest.hex();
  *size = file.written;
  return Status::ok();
}

}  // namespace stack::runtime
