#include "registry/registry_client.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

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

Status RegistryClient::authenticate(const std::string& challenge) {
  if (challenge.rfind("Bearer ", 0) != 0)
    return Status::error("registry " + location_.host + " asks for a login (" + challenge.substr(0, challenge.find(' ')) +
                         "), and stack has no credentials for it");
  std::map<std::string, std::string> params = challenge_params(challenge);
  if (params["realm"].empty()) return Status::error("registry " + location_.host + ": a Bearer challenge without a realm");
  std::string scope = params.count("scope") ? params["scope"] : "repository:" + location_.repository + ":pull";
  std::string url = params["realm"] + (params["realm"].find('?') == std::string::npos ? "?" : "&") +
                    "service=" + escape(params["service"]) + "&scope=" + escape(scope);
  runtime::HttpResponse response;
  runtime::HttpRequest request;
  request.url = url;
  if (Status s = runtime::http_request(request, &response); !s) return s.with_context("getting a token");
  if (response.status != 200)
    return Status::error("registry " + location_.host + ": the token service " + params["realm"] + " refused (HTTP " +
                         std::to_string(response.status) + ")");
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  token_ = j.is_object() ? j.value("token", j.value("access_token", "")) : "";
  if (token_.empty()) return Status::error("registry " + location_.host + ": the token service gave no token");
  return Status::ok();
}

Status RegistryClient::send(runtime::HttpRequest request, HttpResult* out) {
  std::vector<std::string> headers = request.headers;
  for (int attempt = 0; attempt < 2; ++attempt) {
    request.headers = headers;
    if (!token_.empty()) request.headers.push_back("Authorization: Bearer " + token_);
    runtime::HttpResponse response;
    if (Status s = runtime::http_request(request, &response); !s)
      return Status::error("registry " + location_.host + " is unreachable: " + s.message());
    // A 401 asks for a token, or for one of a wider scope (push after pull).
    if (response.status == 401 && attempt == 0) {
      if (Status s = authenticate(response.headers["www-authenticate"]); !s) return s;
      continue;
    }
    out->status = response.status;
    out->headers = std::move(response.headers);
    out->body = std::move(response.body);
    out->sha256 = response.sha256;
    return Status::ok();
  }
  return Status::error("registry " + location_.host + ": access to " + location_.repository + " refused with the token it gave");
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
  *media_type = r.headers["content-type"];
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("mediaType")) *media_type = j.value("mediaType", *media_type);
  *body = std::move(r.body);
  return Status::ok();
}

Status RegistryClient::get_blob(const std::string& digest, const std::string& path) {
  HttpResult r;
  if (Status s = get(location_.base_url() + "/blobs/" + digest, {}, path, &r); !s) return s;
  std::string what = "blob " + digest + " of " + location_.host + "/" + location_.repository;
  if (r.status != 200) {
    ::unlink(path.c_str());
    return Status::error(what + ": the registry answered HTTP " + std::to_string(r.status));
  }
  if ("sha256:" + r.sha256 != digest) {
    ::unlink(path.c_str());
    return Status::error(what + ": what arrived has the digest sha256:" + r.sha256 + "; discarded");
  }
  return Status::ok();
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

Status RegistryClient::put_blob(const std::string& digest, const std::string& path) {
  std::string what = "uploading " + digest + " to " + location_.host + "/" + location_.repository;
  runtime::HttpRequest start;
  start.url = location_.base_url() + "/blobs/uploads/";
  start.method = "POST";
  HttpResult r;
  if (Status s = send(start, &r); !s) return s;
  if (r.status != 202 || r.headers["location"].empty())
    return Status::error(what + ": the registry answered HTTP " + std::to_string(r.status) + " to the upload's start");
  // The upload's URL may be relative to the registry, and may have a query already.
  std::string url = r.headers["location"];
  if (url[0] == '/') url = (location_.plain_http ? "http://" : "https://") + location_.host + url;
  url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
  runtime::HttpRequest put;
  put.url = url;
  put.method = "PUT";
  put.headers = {"Content-Type: application/octet-stream"};
  put.body_path = path;
  if (Status s = send(put, &r); !s) return s;
  if (r.status != 201) return Status::error(what + ": the registry answered HTTP " + std::to_string(r.status));
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
