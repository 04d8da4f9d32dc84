#include "runtime/http_request.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "runtime/sha256.h"

namespace stack::runtime {
namespace {

struct Sink {
  int fd = -1;  // -1: into body
  std::string* body = nullptr;
  Sha256 digest;
  bool failed = false;
  std::map<std::string, std::string>* headers = nullptr;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  Sink* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  if (sink->fd < 0) {
    sink->body->append(data, n);
  } else {
    for (size_t done = 0; done < n;) {
      ssize_t w = ::write(sink->fd, data + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        sink->failed = true;
        return 0;  // libcurl stops with CURLE_WRITE_ERROR
      }
      done += static_cast<size_t>(w);
    }
  }
  sink->digest.update(data, n);
  return n;
}

size_t read_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) headers->clear();  // a redirect's next response starts afresh
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    size_t b = line.find_first_not_of(" \t", colon + 1);
    size_t e = line.find_last_not_of(" \t\r\n");
    (*headers)[name] = b == std::string::npos || e < b ? "" : line.substr(b, e - b + 1);
  }
  return size * count;
}

}  // namespace

Status http_request(const HttpRequest& request, HttpResponse* out) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  *out = HttpResponse{};
  Sink sink;
  sink.body = &out->body;
  if (!request.output_path.empty()) {
    sink.fd = ::open(request.output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (sink.fd < 0) return Status::from_errno("creating " + request.output_path);
  }
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  char error[CURL_ERROR_SIZE] = "";
  CURLcode code = CURLE_FAILED_INIT;
  if (curl) {
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "stack");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out->headers);
    FILE* upload = nullptr;
    if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "POST") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (!request.body_path.empty()) {
        upload = std::fopen(request.body_path.c_str(), "rb");
        struct stat st {};
        if (upload && ::fstat(fileno(upload), &st) == 0) {
          curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
          curl_easy_setopt(curl, CURLOPT_READDATA, upload);
          curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(st.st_size));
        }
      } else {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      }
    }
    if (!request.body_path.empty() && !upload) {
      std::snprintf(error, sizeof error, "cannot read %s", request.body_path.c_str());
      code = CURLE_READ_ERROR;
    } else {
      code = curl_easy_perform(curl);
    }
    if (upload) std::fclose(upload);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_off_t filetime = -1;
    curl_easy_getinfo(curl, CURLINFO_FILETIME_T, &filetime);
    if (filetime >= 0) out->modified = static_cast<std::time_t>(filetime);
    curl_easy_cleanup(curl);
  }
  curl_slist_free_all(headers);
  bool closed = sink.fd < 0 || ::close(sink.fd) == 0;
  if (code != CURLE_OK || sink.failed || !closed) {
    if (!request.output_path.empty()) ::unlink(request.output_path.c_str());
    std::string why = sink.failed || !closed ? "writing " + request.output_path + " failed"
                      : error[0]             ? std::string(error)
                                             : std::string(curl_easy_strerror(code));
    return Status::error(request.url + ": " + why);
  }
  out->sha256 = sink.digest.hex();
  return Status::ok();
}

}  // namespace stack::runtime
