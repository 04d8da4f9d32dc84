// Sha256: a streaming SHA-256 digest (OpenSSL) for content-addressed blobs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace stack::runtime {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Lowercase hex of the digest; the hasher is spent afterwards.
  std::string hex();

  static std::string of(std::string_view data);

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace stack::runtime
