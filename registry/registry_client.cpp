#include "registry/registry_client.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "registry/registry_json.h"
#include "runtime/http_request.h"
#include "runtime/sha256.h"

namespace stack::registry {
namespace {

const char* kAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

std::string escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// key="value" pairs of a WWW-Authenticate challenge after its scheme.
std::map<std::string, std::string> challenge_params(const std::string& challenge) {
  std::map<std::string, std::string> out;
  size_t i = challenge.find(' ');
  while (i != std::string::npos && i < challenge.size()) {
    size_t eq = challenge.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = challenge.substr(i, eq - i);
    key.erase(0, key.find_first_not_of(" ,"));
    std::string value;
    size_t next;
    if (eq + 1 < challenge.size() && challenge[eq + 1] == '"') {
      size_t close = challenge.find('"', eq + 2);
      value = challenge.substr(eq + 2, close == std::string::npos ? std::string::npos : close - eq - 2);
      next = close == std::string::npos ? std::string::npos : close + 1;
    } else {
      size_t comma = challenge.find(',', eq);
      value = challenge.substr(eq + 1, comma == std::string::npos ? std::string::npos : comma - eq - 1);
      next = comma;
    }
    out[key] = value;
    i = next;
  }
  return out;
}

// host[:port], an IPv6 address in brackets.
bool loopback(const std::string& host) {
  size_t end = host[0] == '[' ? host.find(']') + 1 : host.find(':');
  std::string name = host.substr(0, end);
  return name == "localhost" || name.rfind("127.", 0) == 0 || name == "[::1]";
}

}  // namespace

RegistryLocation locate(const runtime::ImageReference& ref, const std::vector<std::string>& insecure) {
  RegistryLocation out;
  size_t slash = ref.name.find('/');
  std::string first = ref.name.substr(0, slash);
  if (slash != std::string::npos &&
      (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost")) {
    out.host = first;
    out.repository = ref.name.substr(slash + 1);
  } else {
    out.host = "docker.io";
    out.repository = slash == std::string::npos ? "library/" + ref.name : ref.name;
  }
  if (out.host == "docker.io" || out.host == "index.docker.io") out.host = "registry-1.docker.io";
  out.plain_http = loopback(out.host) || std::find(insecure.begin(), insecure.end(), out.host) != insecure.end();
  return out;
}

RegistryLocation locate_registry(const std::string& server, const std::vector<std::string>& insecure) {
  RegistryLocation out;
  out.host = server;
  if (size_t scheme = out.host.find("://"); scheme != std::string::npos) out.host.erase(0, scheme + 3);
  out.host = out.host.substr(0, out.host.find('/'));
  if (out.host.empty() || out.host == "docker.io" || out.host == "index.docker.io") out.host = "registry-1.docker.io";
  out.plain_http = loopback(out.host) || std::find(insecure.begin(), insecure.end(), out.host) != insecure.end();
  return out;
}

Status RegistryClient::authenticate(const std::string& challenge) {
  std::string scheme = challenge.substr(0, challenge.find(' '));
  std::string login = credentials_ ? base64_encode(credentials_->username + ":" + credentials_->password) : "";
  if (scheme == "Basic") {
    if (!credentials_)
      return Status::error("registry " + location_.host + " asks for a login; run `stack login " + location_.host + "`");
    std::lock_guard lock(mu_);
    authorization_ = "Basic " + login;
    return Status::ok();
  }
  if (scheme != "Bearer")
    return Status::error("registry " + location_.host + " asks for a login stack does not speak (" + scheme + ")");
  std::map<std::string, std::string> params = challenge_params(challenge);
  if (params["realm"].empty()) return Status::error("registry " + location_.host + ": a Bearer challenge without a realm");
  // A login check (no repository) asks for a token of no scope, as Docker's does.
  std::string scope = params.count("scope")         ? params["scope"]
                      : location_.repository.empty() ? ""
                                                     : "repository:" + location_.repository + ":pull";
  std::string url = params["realm"] + (params["realm"].find('?') == std::string::npos ? "?" : "&") +
                    "service=" + escape(params["service"]) + (scope.empty() ? "" : "&scope=" + escape(scope));
  runtime::HttpResponse response;
  runtime::HttpRequest request;
  request.url = url;
  if (credentials_) request.headers.push_back("Authorization: Basic " + login);
  if (Status s = runtime::http_request(request, &response); !s) return s.with_context("getting a token");
  if (response.status == 401 || response.status == 403)
    return Status::error("registry " + location_.host + ": the token service " + params["realm"] + " refused " +
                         (credentials_ ? "the login of " + credentials_->username : std::string("an anonymous token")) +
                         " (HTTP " + std::to_string(response.status) + ")");
  if (response.status != 200)
    return Status::error("registry " + location_.host + ": the token service " + params["realm"] + " answered HTTP " +
                         std::to_string(response.status));
  std::string token = token_of_response(response.body);
  if (token.empty()) return Status::error("registry " + location_.host + ": the token service gave no token");
  std::lock_guard lock(mu_);
  authorization_ = "Bearer " + token;
  return Status::ok();
}

Status RegistryClient::send(runtime::HttpRequest request, HttpResult* out) {
  std::vector<std::string> headers = request.headers;
  for (int attempt = 0; attempt < 2; ++attempt) {
    request.headers = headers;
    {
      std::lock_guard lock(mu_);
      if (!authorization_.empty()) request.headers.push_back("Authorization: " + authorization_);
    }
    runtime::HttpResponse response;
    if (Status s = runtime::http_request(request, &response); !s) {
      // A status line came: the registry was reached, and the transfer broke off.
      if (response.status != 0) {
        out->broke_off = true;
        return Status::error("registry " + location_.host + ": " + s.message());
      }
      return Status::error("registry " + location_.host + " is unreachable: " + s.message());
    }
    // A 401 asks for a login or a token, or for a token of a wider scope (push after pull).
    if (response.status == 401 && attempt == 0) {
      if (Status s = authenticate(response.headers["www-authenticate"]); !s) return s;
      continue;
    }
    if (response.status == 401) break;
    out->status = response.status;
    out->headers = std::move(response.headers);
    out->body = std::move(response.body);
    out->sha256 = response.sha256;
    return Status::ok();
  }
  if (credentials_)
    return Status::error("registry " + location_.host + " refused the login of " + credentials_->username +
                         (location_.repository.empty() ? std::string() : " for " + location_.repository));
  return Status::error("registry " + location_.host + ": access to " + location_.repository + " refused with the token it gave");
}

Status RegistryClient::check_login() {
  runtime::HttpRequest request;
  request.url = (location_.plain_http ? "http://" : "https://") + location_.host + "/v2/";
  HttpResult r;
  if (Status s = send(request, &r); !s) return s;
  if (r.status == 401 || r.status == 403) return Status::error("registry " + location_.host + " refused the login");
  if (r.status != 200) return Status::error("registry " + location_.host + " answered HTTP " + std::to_string(r.status) + " at /v2/");
  return Status::ok();
}

Status RegistryClient::get(const std::string& url, const std::vector<std::string>& headers, const std::string& path,
                           HttpResult* out) {
  runtime::HttpRequest request;
  request.url = url;
  request.headers = headers;
  request.output_path = path;
  return send(request, out);
}

Status RegistryClient::get_manifest(const std::string& reference, std::string* body, std::string* media_type,
                                    std::string* digest) {
  HttpResult r;
  if (Status s = get(location_.base_url() + "/manifests/" + reference, {kAccept}, "", &r); !s) return s;
  std::string what = location_.host + "/" + location_.repository + (reference.rfind("sha256:", 0) == 0 ? "@" : ":") + reference;
  if (r.status == 404) return Status::error("no such image: " + what);
  if (r.status == 401 || r.status == 403) return Status::error("access to " + what + " refused (HTTP " + std::to_string(r.status) + ")");
  if (r.status != 200) return Status::error(what + ": the registry answered HTTP " + std::to_string(r.status));
  *digest = "sha256:" + runtime::Sha256::of(r.body);
  if (reference.rfind("sha256:", 0) == 0 && reference != *digest)
    return Status::error(what + ": the manifest's digest is " + *digest + "; discarded");
  *media_type = manifest_media_type(r.body, r.headers["content-type"]);
  *body = std::move(r.body);
  return Status::ok();
}

Status RegistryClient::get_blob(const std::string& digest, const std::string& path,
                                const std::function<void(std::int64_t, std::int64_t)>& progress) {
  std::string what = "blob " + digest + " of " + location_.host + "/" + location_.repository;
  constexpr int kTries = 4;
  Status broken = Status::ok();
  for (int attempt = 0; attempt < kTries; ++attempt) {
    if (attempt > 0) ::usleep(static_cast<useconds_t>(250000 * attempt));
    runtime::HttpRequest request;
    request.url = location_.base_url() + "/blobs/" + digest;
    request.output_path = path;
    request.resume = true;
    request.keep_partial = true;
    request.on_progress = progress;
    HttpResult r;
    broken = send(request, &r);
    if (!broken) {
      if (!r.broke_off) return broken;  // unreachable or refused: trying again changes nothing
      continue;
    }
    if (r.status == 416) {  // what was kept is the whole blob, or more: start over
      ::unlink(path.c_str());
      continue;
    }
    if (r.status != 200 && r.status != 206) {
      ::unlink(path.c_str());
      return Status::error(what + ": the registry answered HTTP " + std::to_string(r.status));
    }
    if ("sha256:" + r.sha256 != digest) {
      ::unlink(path.c_str());
      return Status::error(what + ": what arrived has the digest sha256:" + r.sha256 + "; discarded");
    }
    return Status::ok();
  }
  struct stat st {};
  std::int64_t kept = ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
  return Status::error(broken.message() + " (tried " + std::to_string(kTries) + " times; the " + std::to_string(kept) +
                       " bytes that arrived are kept, and the next pull goes on from there)");
}

Status RegistryClient::has_blob(const std::string& digest, bool* exists) {
  runtime::HttpRequest request;
  request.url = location_.base_url() + "/blobs/" + digest;
  request.method = "HEAD";
  HttpResult r;
  if (Status s = send(request, &r); !s) return s;
  *exists = r.status == 200;
  return Status::ok();
}

std::string RegistryClient::absolute(const std::string& url) const {
  return url[0] == '/' ? (location_.plain_http ? "http://" : "https://") + location_.host + url : url;
}

Status RegistryClient::put_blob(const std::string& digest, const std::string& path, std::int64_t chunk,
                                const std::function<void(std::int64_t, std::int64_t)>& progress) {
  std::string what = "uploading " + digest + " to " + location_.host + "/" + location_.repository;
  runtime::HttpRequest start;
  start.url = location_.base_url() + "/blobs/uploads/";
  start.method = "POST";
  HttpResult r;
  if (Status s = send(start, &r); !s) return s;
  if (r.status != 202 || r.headers["location"].empty())
    return Status::error(what + ": the registry answered HTTP " + std::to_string(r.status) + " to the upload's start");
  std::string url = absolute(r.headers["location"]);
  runtime::HttpRequest put;
  put.method = "PUT";
  put.headers = {"Content-Type: application/octet-stream"};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::from_errno(what + ": " + path);
  if (st.st_size > chunk) {
    // Chunks in order, each PATCHed to where the registry said the upload now is.
    std::ifstream in(path, std::ios::binary);
    std::string data(static_cast<size_t>(chunk), '\0');
    for (std::int64_t sent = 0; sent < st.st_size;) {
      in.read(data.data(), chunk);
      std::streamsize n = in.gcount();
      if (n <= 0) return Status::error(what + ": reading " + path + " failed");
      runtime::HttpRequest patch;
      patch.url = url;
      patch.method = "PATCH";
      patch.headers = {"Content-Type: application/octet-stream",
                       "Content-Range: " + std::to_string(sent) + "-" + std::to_string(sent + n - 1)};
      patch.body = data.substr(0, static_cast<size_t>(n));
      if (Status s = send(patch, &r); !s) return s;
      if (r.status != 202 || r.headers["location"].empty())
        return Status::error(what + ": the registry answered HTTP " + std::to_string(r.status) + " to the chunk at byte " +
                             std::to_string(sent));
      url = absolute(r.headers["location"]);
      sent += n;
      if (progress) progress(sent, st.st_size);
    }
  } else {
    put.body_path = path;
  }
  put.url = url + (url.find('?') == std::string::npos ? "?" : "&") + "digest=" + digest;
  if (Status s = send(put, &r); !s) return s;
  if (r.status != 201) return Status::error(what + ": the registry answered HTTP " + std::to_string(r.status));
  if (progress) progress(st.st_size, st.st_size);
  return Status::ok();
}

Status RegistryClient::put_manifest(const std::string& tag, const std::string& body, const std::string& media_type) {
  runtime::HttpRequest put;
  put.url = location_.base_url() + "/manifests/" + tag;
  put.method = "PUT";
  put.headers = {"Content-Type: " + media_type};
  put.body = body;
  HttpResult r;
  if (Status s = send(put, &r); !s) return s;
  if (r.status != 201)
    return Status::error("putting the manifest " + location_.host + "/" + location_.repository + ":" + tag +
                         ": the registry answered HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200));
  return Status::ok();
}

}  // namespace stack::registry
