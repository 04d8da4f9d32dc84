// ImageProgress: how the engine shows the builds and pulls it runs for a command; the CLI's draws them (ui/), a test's may record them.
#pragma once

#include <memory>
#include <string>

#include "builder/image_builder.h"
#include "registry/registry_client.h"

namespace stack::compose {

// One pull's progress, from its first layer to its end (the view's end).
class PullView {
 public:
  virtual ~PullView() = default;
  virtual void progress(const registry::TransferProgress& p) = 0;
};

class ImageProgress {
 public:
  virtual ~ImageProgress() = default;
  // The observer of one build; `progress` is "auto", "plain" or "tty".
  virtual std::unique_ptr<builder::BuildObserver> build(const std::string& progress, bool quiet) = 0;
  // The view of one pull, shown unless `quiet`.
  virtual std::unique_ptr<PullView> pull(bool quiet) = 0;
};

}  // namespace stack::compose
