#include "builder/url_fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <mutex>

#include "runtime/sha256.h"

namespace stack::builder {
namespace {

struct Sink {
  int fd = -1;
  runtime::Sha256 digest;
  bool failed = false;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  Sink* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  for (size_t done = 0; done < n;) {
    ssize_t w = ::write(sink->fd, data + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      sink->failed = true;
      return 0;  // libcurl stops with CURLE_WRITE_ERROR
    }
    done += static_cast<size_t>(w);
  }
  sink->digest.update(data, n);
  return n;
}

}  // namespace

std::string url_file_name(const std::string& url) {
  size_t scheme = url.find("://");
  size_t path_start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path_start == std::string::npos) return "";
  std::string path = url.substr(path_start, url.find_first_of("?#", path_start) - path_start);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path.substr(path.find_last_of('/') + 1);
}

Status fetch_url(const std::string& url, const std::string& path, FetchedFile* out) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Sink sink;
  sink.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (sink.fd < 0) return Status::from_errno("creating " + path);
  CURL* curl = curl_easy_init();
  if (!curl) {
    ::close(sink.fd);
    ::unlink(path.c_str());
    return Status::error("downloading " + url + ": libcurl could not start");
  }
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_FILETIME, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "stack-builder");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t filetime = -1;
  curl_easy_getinfo(curl, CURLINFO_FILETIME_T, &filetime);
  curl_easy_cleanup(curl);
  bool closed = ::close(sink.fd) == 0;
  if (code != CURLE_OK || sink.failed || !closed) {
    ::unlink(path.c_str());
    std::string why = sink.failed || !closed ? "writing " + path + " failed"
                      : code == CURLE_HTTP_RETURNED_ERROR ? "the server answered HTTP " + std::to_string(status)
                      : error[0] ? std::string(error)
                                 : std::string(curl_easy_strerror(code));
    return Status::error("downloading " + url + ": " + why);
  }
  out->sha256 = sink.digest.hex();
  if (filetime >= 0) out->modified = static_cast<std::time_t>(filetime);
  return Status::ok();
}

}  // namespace stack::builder
