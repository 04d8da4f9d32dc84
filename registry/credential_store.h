// CredentialStore: registry logins in a Docker config.json (`auths`), read by pulls and pushes, written by `stack login`.
#pragma once

#include <optional>
#include <string>

#include "runtime/status.h"

namespace stack::registry {

using runtime::Status;

struct Credentials {
  std::string username, password;
};

// The file is Docker's: {"auths": {"HOST": {"auth": base64("user:pass")}}},
// other keys kept as they are, so that `docker login` and `stack login`
// share it. Docker Hub is filed under "https://index.docker.io/v1/", as
// Docker files it.
class CredentialStore {
 public:
  // Where Docker keeps it: DOCKER_CONFIG/config.json when that is set
  // (not empty), else HOME/.docker/config.json (HOME empty: root's).
  static std::string path_for(const std::string& docker_config, const std::string& home);

  explicit CredentialStore(std::string path) : path_(std::move(path)) {}

  // The login for a registry host ("127.0.0.1:5000", "registry-1.docker.io");
  // none when the file or the entry is missing. A file that cannot be read
  // as Docker's config is an error naming it.
  Status find(const std::string& host, std::optional<Credentials>* out) const;
  // Records a login (the file made 0600, its directory 0700 when new).
  Status store(const std::string& host, const Credentials& credentials) const;
  // Forgets a login; `removed` says whether there was one.
  Status remove(const std::string& host, bool* removed) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The key a host is filed under ("https://index.docker.io/v1/" for Docker Hub).
std::string auths_key(const std::string& host);

std::string base64_encode(const std::string& data);
std::optional<std::string> base64_decode(const std::string& text);

}  // namespace stack::registry
