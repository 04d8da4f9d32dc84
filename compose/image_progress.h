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
  // A line between builds ("Building web (p-web)"), and a failure that
  // does not stop the others (pull --ignore-pull-failures).
  virtual void note(const std::string& line) = 0;
  virtual void warning(const std::string& message) = 0;
};

}  // namespace stack::compose
