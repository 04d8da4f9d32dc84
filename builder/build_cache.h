// BuildCache: what each build step made, by a key over everything its result depends on (STACK_ROOT/builder/cache).
#pragma once

#include <optional>
#include <string>

#include "runtime/status.h"

namespace stack::builder {

using runtime::Status;

struct CachedStep {
  std::optional<std::string> diff_id;  // the layer it added; none when it changed only the configuration
  // When it first ran: kept, so that an unchanged rebuild makes the very
  // same image (same configuration, same ID).
  std::string created;
};

class BuildCache {
 public:
  explicit BuildCache(std::string dir) : dir_(std::move(dir)) {}

  bool find(const std::string& key, CachedStep* out) const;
  Status store(const std::string& key, const CachedStep& step) const;
  // Forgets every step; `removed` gets how many.
  Status clear(int* removed) const;

 private:
  std::string dir_;
};

}  // namespace stack::builder
