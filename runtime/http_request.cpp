#include "runtime/http_request.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <type_traits>

#include "runtime/sha256.h"

namespace stack::runtime {
namespace {

// libcurl's functions, opened at the first request rather than linked:
// libcurl brings some thirty libraries (TLS, Kerberos, LDAP...) that
// would be mapped into every stack process, and each container's shim
// (a fork) and init (a clone of that) would copy their 150 mappings.
struct Curl {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
  std::string error;  // why it could not be opened; empty once it is
};

Curl open_curl() {
  Curl c;
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    c.error = std::string("HTTP needs libcurl: ") + ::dlerror();
    return c;
  }
  bool complete = true;
  auto bind = [&](auto& function, const char* name) {
    function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(::dlsym(lib, name));
    complete = complete && function;
  };
  bind(c.global_init, "curl_global_init");
  bind(c.easy_init, "curl_easy_init");
  bind(c.easy_setopt, "curl_easy_setopt");
  bind(c.easy_perform, "curl_easy_perform");
  bind(c.easy_getinfo, "curl_easy_getinfo");
  bind(c.easy_cleanup, "curl_easy_cleanup");
  bind(c.easy_strerror, "curl_easy_strerror");
  bind(c.slist_append, "curl_slist_append");
  bind(c.slist_free_all, "curl_slist_free_all");
  if (!complete) {
    c.error = "HTTP needs libcurl: libcurl.so.4 lacks functions stack calls (too old?)";
    return c;
  }
  c.global_init(CURL_GLOBAL_DEFAULT);
  return c;
}

const Curl& libcurl() {
  static const Curl opened = open_curl();
  return opened;
}

struct Sink {
  int file = -1;  // output_path, open
  int fd = -1;  // where the body goes; -1: into memory
  std::string* body = nullptr;
  std::unique_ptr<Sha256> digest = std::make_unique<Sha256>();
  bool failed = false;
  CURL* curl = nullptr;
  std::int64_t offset = 0;  // bytes kept from an earlier transfer
  bool checked_status = false;  // at the first byte: is this the body asked for?
  const HttpRequest* request = nullptr;
};

// Hashes what an earlier transfer left, so that the digest covers the whole file.
bool digest_existing(int fd, Sha256& digest, std::int64_t* size) {
  char buf[1 << 16];
  *size = 0;
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) return true;
    digest.update(buf, static_cast<size_t>(r));
    *size += r;
  }
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  Sink* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  if (!sink->checked_status) {
    sink->checked_status = true;
    long status = 0;
    libcurl().easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
      sink->fd = -1;  // an error's body is kept in memory, the file left as it was
    } else if (sink->offset > 0 && status != 206) {  // the whole body after all: start the file over
      if (::ftruncate(sink->fd, 0) != 0) {
        sink->failed = true;
        return 0;
      }
      sink->digest = std::make_unique<Sha256>();
      sink->offset = 0;
    }
  }
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
  sink->digest->update(data, n);
  return n;
}

int report_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  Sink* sink = static_cast<Sink*>(user);
  long status = 0;
  libcurl().easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status == 200 || status == 206)
    sink->request->on_progress(sink->offset + now, total > 0 ? sink->offset + total : 0);
  return 0;
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
  const Curl& lib = libcurl();
  if (!lib.error.empty()) return Status::error(request.url + ": " + lib.error);
  *out = HttpResponse{};
  Sink sink;
  sink.body = &out->body;
  sink.request = &request;
  std::vector<std::string> header_lines = request.headers;
  if (!request.output_path.empty()) {
    int flags = request.resume ? O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC : O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    sink.file = sink.fd = ::open(request.output_path.c_str(), flags, 0600);
    if (sink.file < 0) return Status::from_errno("creating " + request.output_path);
    if (request.resume) {
      if (!digest_existing(sink.file, *sink.digest, &sink.offset)) {
        ::close(sink.file);
        return Status::from_errno("reading " + request.output_path);
      }
      if (sink.offset > 0) {
        header_lines.push_back("Range: bytes=" + std::to_string(sink.offset) + "-");
      }
    }
  }
  CURL* curl = lib.easy_init();
  sink.curl = curl;
  curl_slist* headers = nullptr;
  for (const std::string& h : header_lines) headers = lib.slist_append(headers, h.c_str());
  char error[CURL_ERROR_SIZE] = "";
  CURLcode code = CURLE_FAILED_INIT;
  if (curl) {
    lib.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    lib.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    lib.easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    lib.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    lib.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    lib.easy_setopt(curl, CURLOPT_FILETIME, 1L);
    lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    lib.easy_setopt(curl, CURLOPT_USERAGENT, "stack");
    lib.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    lib.easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    lib.easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    lib.easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
    lib.easy_setopt(curl, CURLOPT_HEADERDATA, &out->headers);
    if (request.on_progress) {
      lib.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
      lib.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, report_progress);
      lib.easy_setopt(curl, CURLOPT_XFERINFODATA, &sink);
    }
    FILE* upload = nullptr;
    if (request.method == "HEAD") {
      lib.easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "POST" || request.method == "PATCH") {
      lib.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (!request.body_path.empty()) {
        upload = std::fopen(request.body_path.c_str(), "rb");
        struct stat st {};
        if (upload && ::fstat(fileno(upload), &st) == 0) {
          lib.easy_setopt(curl, CURLOPT_UPLOAD, 1L);
          lib.easy_setopt(curl, CURLOPT_READDATA, upload);
          lib.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(st.st_size));
        }
      } else {
        lib.easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        lib.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      }
    }
    if (!request.body_path.empty() && !upload) {
      std::snprintf(error, sizeof error, "cannot read %s", request.body_path.c_str());
      code = CURLE_READ_ERROR;
    } else {
      code = lib.easy_perform(curl);
    }
    if (upload) std::fclose(upload);
    lib.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_off_t filetime = -1;
    lib.easy_getinfo(curl, CURLINFO_FILETIME_T, &filetime);
    if (filetime >= 0) out->modified = static_cast<std::time_t>(filetime);
    lib.easy_cleanup(curl);
  }
  lib.slist_free_all(headers);
  bool closed = sink.file < 0 || ::close(sink.file) == 0;
  if (code != CURLE_OK || sink.failed || !closed) {
    if (!request.output_path.empty() && !request.keep_partial) ::unlink(request.output_path.c_str());
    std::string why = sink.failed || !closed ? "writing " + request.output_path + " failed"
                      : error[0]             ? std::string(error)
                                             : std::string(lib.easy_strerror(code));
    return Status::error(request.url + ": " + why);
  }
  out->sha256 = sink.digest->hex();
  return Status::ok();
}

}  // namespace stack::runtime
