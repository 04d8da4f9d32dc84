// HttpRequest: one HTTP(S) request (libcurl): a body sent from memory or a file, the answer in memory or a file and digested; for ADD and registries.
#pragma once

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::runtime {

struct HttpRequest {
  std::string url;
  std::string method = "GET";  // GET, HEAD, POST, PUT
  std::vector<std::string> headers;  // "Name: value"
  std::string output_path;  // the body is written here (created, 0600); empty: kept in the response
  std::string body;         // sent with POST and PUT
  std::string body_path;    // or this file's content
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
// (unresolved, refused, stalled, a write failing), said as libcurl says
// it, with nothing left at output_path.
Status http_request(const HttpRequest& request, HttpResponse* out);

}  // namespace stack::runtime
