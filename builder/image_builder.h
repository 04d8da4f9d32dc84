// ImageBuilder: builds an image from a Dockerfile and a context: each step cached, RUN run in a container of the image so far.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/container_runner.h"
#include "runtime/image_reference.h"
#include "runtime/image_store.h"
#include "runtime/status.h"

namespace stack::builder {

using runtime::Status;

struct BuildRequest {
  std::string context;          // a directory
  std::string dockerfile;       // a path; ignored when `dockerfile_text` is given
  std::string dockerfile_text;  // compose's dockerfile_inline
  std::map<std::string, std::string> build_args;
  std::string target;           // a stage; empty: the last
  std::map<std::string, std::string> labels;
  std::vector<runtime::ImageReference> tags;  // at least one
  bool no_cache = false;
  // Fetches a FROM image into the store (a registry pull): when it is
  // missing, or every time with `pull`. Unset: FROM images must be local.
  std::function<Status(const std::string& image)> pull_base;
  bool pull = false;
};

// Where a build keeps and finds things.
struct BuildPaths {
  std::string images;     // the image store's root
  std::string state;      // the builder's: cache records, cache mounts, scratch directories
  runtime::RuntimePaths runtime;  // for RUN's containers
};

struct BuildStep {
  std::string stage;  // its label: name or stage-N
  int number = 0, count = 0;  // within the stage; FROM is 1
  std::string instruction;    // as written, on one line
  int line = 0;

  std::string label() const { return "[" + stage + " " + std::to_string(number) + "/" + std::to_string(count) + "]"; }
};

// What a build reports as it goes (the progress display).
class BuildObserver {
 public:
  virtual ~BuildObserver() = default;
  virtual void started(const BuildStep& step) = 0;
  virtual void output(const BuildStep& step, std::string_view text) = 0;  // a RUN's stdout and stderr
  virtual void finished(const BuildStep& step, bool cached, double seconds) = 0;
  virtual void warning(const std::string& text) = 0;
};

// Builds the image and names it with every tag. Only the stages the
// target needs are built; only its layers make the image. A failing step
// stops the build with its file, line and cause, and no image is named;
// the layers of the steps that succeeded stay in the cache.
Status build_image(const BuildRequest& request, const BuildPaths& paths, BuildObserver& observer, runtime::Image* out);

// Forgets the build cache and frees the layers only it kept; `freed` gets how many.
Status prune_build_cache(const BuildPaths& paths, int* freed);

}  // namespace stack::builder
