#include "builder/url_fetch.h"

#include <unistd.h>

#include "runtime/http_request.h"

namespace stack::builder {

std::string url_file_name(const std::string& url) {
  size_t scheme = url.find("://");
  size_t path_start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_start == std::string::npos) return "";
  std::string path = url.substr(path_start, url.find_first_of("?#", path_start) - path_start);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path.substr(path.find_last_of('/') + 1);
}

Status fetch_url(const std::string& url, const std::string& path, FetchedFile* out) {
  runtime::HttpResponse response;
  runtime::HttpRequest request;
  request.url = url;
  request.output_path = path;
  if (Status s = runtime::http_request(request, &response); !s) return Status::error("downloading " + s.message());
  if (response.status >= 400) {
    ::unlink(path.c_str());
    return Status::error("downloading " + url + ": the server answered HTTP " + std::to_string(response.status));
  }
  out->sha256 = response.sha256;
  out->modified = response.modified;
  return Status::ok();
}

}  // namespace stack::builder
