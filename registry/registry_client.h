// RegistryClient: the OCI distribution API of one repository over HTTP(S) (libcurl): manifests and blobs, token auth.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/http_request.h"
#include "runtime/image_reference.h"
#include "runtime/status.h"

namespace stack::registry {

using runtime::Status;

// Where a reference lives, as Docker reads it: a first component with a
// '.' or ':' (or "localhost") is the registry; otherwise Docker Hub, with
// "library/" in front of a one-component name.
struct RegistryLocation {
  std::string host;        // "registry-1.docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/busybox", "team/app"
  bool plain_http = false;  // loopback, or listed as insecure

  std::string base_url() const { return (plain_http ? "http://" : "https://") + host + "/v2/" + repository; }
};

// `insecure` lists the registries (host[:port]) reached over plain HTTP;
// loopback registries always are.
RegistryLocation locate(const runtime::ImageReference& ref, const std::vector<std::string>& insecure);

struct HttpResult {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;  // unless written to a file
  std::string sha256;  // hex, of the body
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryLocation location) : location_(std::move(location)) {}

  // GETs a manifest (tag or digest) accepting OCI and Docker manifests and
  // indexes; sets its media type and digest (the header's, else computed).
  Status get_manifest(const std::string& reference, std::string* body, std::string* media_type, std::string* digest);

  // GETs a blob into `path`, checking its sha256 against `digest`; a
  // mismatch removes the file and says so.
  Status get_blob(const std::string& digest, const std::string& path);

  // Whether the repository has the blob (HEAD).
  Status has_blob(const std::string& digest, bool* exists);
  // Uploads the file at `path` as blob `digest`, in one PUT.
  Status put_blob(const std::string& digest, const std::string& path);
  // PUTs a manifest under `tag` (or a digest).
  Status put_manifest(const std::string& tag, const std::string& body, const std::string& media_type);

  const RegistryLocation& location() const { return location_; }

 private:
  // Sends with the token (fetched on a Bearer challenge, then kept).
  Status send(runtime::HttpRequest request, HttpResult* out);
  // A GET; the body goes to `path` when given. An error names the URL and what failed.
  Status get(const std::string& url, const std::vector<std::string>& headers, const std::string& path, HttpResult* out);
  Status authenticate(const std::string& challenge);

  RegistryLocation location_;
  std::string token_;
};

}  // namespace stack::registry
