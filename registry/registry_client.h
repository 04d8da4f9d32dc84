// RegistryClient: the OCI distribution API of one repository over HTTP(S) (libcurl): manifests and blobs, token auth.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/credential_store.h"
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

// What a pull or push is doing to one object: "Image REF" or a layer's short ID.
struct TransferProgress {
  std::string object;
  std::string status;  // "Waiting", "Downloading", "Extracting", "Pull complete", "Pushing", "Pushed", "Already exists", ...
  std::int64_t done = 0, total = 0;  // bytes, while moving
  bool finished = false;
};

// `insecure` lists the registries (host[:port]) reached over plain HTTP;
// loopback registries always are.
RegistryLocation locate(const runtime::ImageReference& ref, const std::vector<std::string>& insecure);

// A registry by itself, as `stack login` names it: "host[:port]", a URL
// ("https://index.docker.io/v1/"), or empty for Docker Hub. No repository.
RegistryLocation locate_registry(const std::string& server, const std::vector<std::string>& insecure);

struct HttpResult {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;  // unless written to a file
  std::string sha256;  // hex, of the body
  bool broke_off = false;  // the registry answered, then the transfer broke (worth resuming)
};

// Thread-safe: blobs are fetched in parallel through one client.
class RegistryClient {
 public:
  // `credentials` answer a Basic challenge, and ask a token service for a
  // token (a Bearer challenge); without them both are anonymous.
  explicit RegistryClient(RegistryLocation location, std::optional<Credentials> credentials = std::nullopt)
      : location_(std::move(location)), credentials_(std::move(credentials)) {}

  // GET /v2/ with the credentials (what `stack login` checks): an error
  // says the registry refused them, or is unreachable.
  Status check_login();

  // GETs a manifest (tag or digest) accepting OCI and Docker manifests and
  // indexes; sets its media type and digest (the header's, else computed).
  Status get_manifest(const std::string& reference, std::string* body, std::string* media_type, std::string* digest);

  // GETs a blob into `path`, checking its sha256 against `digest`; a
  // mismatch removes the file and says so. What is at `path` already is
  // kept and only the rest asked for (a Range request); a transfer that
  // breaks is tried again from where it broke, up to 3 times, and what
  // arrived is left at `path` for a later pull to resume. `progress`
  // gets the bytes so far and the blob's size.
  Status get_blob(const std::string& digest, const std::string& path,
                  const std::function<void(std::int64_t, std::int64_t)>& progress = nullptr);

  // Whether the repository has the blob (HEAD).
  Status has_blob(const std::string& digest, bool* exists);
  // Uploads the file at `path` as blob `digest`: in one PUT, or when
  // larger than `chunk` bytes, in PATCHes of that size and a closing PUT.
  Status put_blob(const std::string& digest, const std::string& path, std::int64_t chunk = kUploadChunk,
                  const std::function<void(std::int64_t, std::int64_t)>& progress = nullptr);
  static constexpr std::int64_t kUploadChunk = 16 << 20;
  // PUTs a manifest under `tag` (or a digest).
  Status put_manifest(const std::string& tag, const std::string& body, const std::string& media_type);

  const RegistryLocation& location() const { return location_; }

 private:
  // Sends with the token (fetched on a Bearer challenge, then kept).
  Status send(runtime::HttpRequest request, HttpResult* out);
  // A GET; the body goes to `path` when given. An error names the URL and what failed.
  Status get(const std::string& url, const std::vector<std::string>& headers, const std::string& path, HttpResult* out);
  // Answers a 401's challenge: a token fetched (Bearer) or the login sent (Basic).
  Status authenticate(const std::string& challenge);
  // An upload URL the registry gave (maybe relative) made absolute.
  std::string absolute(const std::string& url) const;

  RegistryLocation location_;
  std::optional<Credentials> credentials_;
  std::mutex mu_;
  std::string authorization_;  // "Bearer ..." or "Basic ..." once a challenge was answered
};

}  // namespace stack::registry
