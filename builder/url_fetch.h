// UrlFetch: a file downloaded over HTTP(S) for ADD (libcurl), with its digest and Last-Modified time.
#pragma once

#include <ctime>
#include <optional>
#include <string>

#include "runtime/status.h"

namespace stack::builder {

using runtime::Status;

struct FetchedFile {
  std::string sha256;                   // hex, of what was written
  std::optional<std::time_t> modified;  // the Last-Modified header, when the server sent one
};

// Downloads `url` (redirects followed, the *_proxy variables honoured) into
// `path`. An error says why: unreachable (the resolver's or the
// connection's message), an HTTP error status, a stalled transfer (no byte
// for 60 s); nothing is left at `path` then.
Status fetch_url(const std::string& url, const std::string& path, FetchedFile* out);

// The name ADD gives a downloaded file: the last segment of the URL's path
// (query and fragment left out); empty when the path has none.
std::string url_file_name(const std::string& url);

}  // namespace stack::builder
