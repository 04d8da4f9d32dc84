// HttpRequest: one HTTP(S) request (libcurl): a body sent from memory or a file, the answer in memory or a file and digested; for ADD and registries.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::runtime {

struct HttpRequest {
  std::string url;
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH
  std::vector<std::string> headers;  // "Name: value"
  std::string output_path;  // the body is written here (created, 0600); empty: kept in the response
  // With output_path: what is there already is kept and the rest asked
  // for (Range); a server that sends the whole body (200, not 206) has it
  // start over. The digest covers the whole file either way.
  bool resume = false;
  // With output_path: a failed transfer leaves what arrived, to resume.
  bool keep_partial = false;
  std::string body;         // sent with POST, PUT and PATCH
  std::string body_path;    // or this file's content
  // Called as bytes arrive: the file's bytes so far (a resumed part
  // included) and the whole, when the server said it (else 0).
  std::function<void(std::int64_t done, std::int64_t total)> on_progress;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // of the last response, names in lower case
  std::string body;    // when no output_path
  std::string sha256;  // hex, of the body
  std::optional<std::time_t> modified;  // Last-Modified, when sent
};

// Sends the request: http and https only, redirects followed, the *_proxy
// variables honoured, 30 s to connect, a transfer with no byte for 60 s
// given up. Any status is a response; an error is a transport failure
// (unresolved, refused, stalled, cut, a write failing), said as libcurl
// says it, with nothing left at output_path unless keep_partial.
// Thread-safe: each call has its own connection.
Status http_request(const HttpRequest& request, HttpResponse* out);

}  // namespace stack::runtime
