// ServiceBuilds: the images of services with a `build:` section, built as `stack build` and `up` need them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "builder/image_builder.h"
#include "compose/image_progress.h"
#include "schema/project.h"

namespace stack::compose {

// The image a service runs: its `image`, else "<project>-<service>" for a
// service that builds one, as Compose names them.
std::string service_image(const schema::Project& project, const schema::ServiceSpec& service);

struct BuildOptions {
  bool no_cache = false, quiet = false;
  bool pull = false;  // pull FROM images even when the store has them
  std::map<std::string, std::string> build_args;  // over each service's own args
  std::string progress = "auto";  // auto, plain or tty
};

// Where builds keep their cache and scratch files, and find images.
builder::BuildPaths build_paths();

// Builds an image, its steps shown by `progress` as `options` ask.
runtime::Status build_with_progress(const builder::BuildRequest& request, const BuildOptions& options,
                                    ImageProgress& progress, runtime::Image* out);

// Builds the image of each of `services` that has a `build:` section; with
// `only_missing`, only those whose image is not in the store yet (what
// `up` does without --build). Stops at the first failure, naming the
// service.
runtime::Status build_services(const schema::Project& project, const std::vector<const schema::ServiceSpec*>& services,
                               bool only_missing, const BuildOptions& options, ImageProgress& progress);

// How `up` and `run` get their services' images: `pull` (up --pull)
// over each service's pull_policy when not empty; `build` says which
// images of services with `build:` are built.
struct ImagePolicy {
  enum class Build { Missing, All, None };
  std::string pull;
  Build build = Build::Missing;
};

// Makes sure each of `services` has its image before anything is created
// for them, as Compose does: first every image that is missing and may be
// neither pulled (pull_policy or --pull never) nor built (--no-build) is
// an error naming its service and image, before any pull or build starts;
// then registry images are pulled as pull_services and built ones built
// as build_services does. Stops at the first failure.
runtime::Status resolve_service_images(const schema::Project& project,
                                       const std::vector<const schema::ServiceSpec*>& services, const ImagePolicy& policy,
                                       ImageProgress& progress);

}  // namespace stack::compose
