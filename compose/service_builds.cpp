#include "compose/service_builds.h"

#include <unistd.h>

#include <cstdlib>

#include "compose/host.h"
#include "compose/service_pulls.h"
#include "registry/image_pull.h"

namespace stack::compose {

std::string service_image(const schema::Project& project, const schema::ServiceSpec& service) {
  return service.image.empty() ? project.name + "-" + service.name : service.image;
}

builder::BuildPaths build_paths() { return {images_root(), stack_root() + "/builder", runtime_paths()}; }

runtime::Status build_with_progress(const builder::BuildRequest& request, const BuildOptions& options,
                                    ImageProgress& progress, runtime::Image* out) {
  std::unique_ptr<builder::BuildObserver> observer = progress.build(options.progress, options.quiet);
  builder::BuildRequest with_pulls = request;
  with_pulls.pull = options.pull;
  with_pulls.pull_base = [&options, &progress](const std::string& image) {
    runtime::Image pulled;
    return pull_image(image, options.quiet, progress, &pulled);
  };
  return builder::build_image(with_pulls, build_paths(), *observer, out);
}

runtime::Status build_services(const schema::Project& project, const std::vector<const schema::ServiceSpec*>& services,
                               bool only_missing, const BuildOptions& options, ImageProgress& progress) {
  runtime::ImageStore store(images_root());
  for (const schema::ServiceSpec* s : services) {
    if (!s->build_context) continue;
    std::string name = service_image(project, *s);
    runtime::Image existing;
    if (only_missing && store.find(name, &existing)) continue;
    auto fail = [&](const std::string& message) {
      return runtime::Status::error("service " + s->name + ": " + message);
    };
    const std::string& context = *s->build_context;
    if (context.find("://") != std::string::npos || context.rfind("git@", 0) == 0)
      return fail("build context " + context + ": remote contexts are not supported; clone it and point build.context at it");
    builder::BuildRequest request;
    request.context = context;
    if (s->build_dockerfile_inline) request.dockerfile_text = *s->build_dockerfile_inline;
    std::string dockerfile = s->build_dockerfile.value_or("Dockerfile");
    request.dockerfile = dockerfile[0] == '/' ? dockerfile : context + "/" + dockerfile;
    request.build_args = s->build_args;
    for (const auto& [k, v] : options.build_args) request.build_args[k] = v;
    request.target = s->build_target.value_or("");
    request.labels = s->build_labels;
    request.no_cache = options.no_cache || s->build_no_cache;
    std::vector<std::string> names = {name};
    names.insert(names.end(), s->build_tags.begin(), s->build_tags.end());
    for (const std::string& tag : names) {
      std::string error;
      auto ref = runtime::parse_image_reference(tag, &error);
      if (!ref) return fail("image name " + tag + ": " + error);
      request.tags.push_back(*ref);
    }
    if (!options.quiet) progress.note("Building " + s->name + " (" + name + ")");
    runtime::Image built;
    if (runtime::Status st = build_with_progress(request, options, progress, &built); !st) return fail(st.message());
    if (!options.quiet) progress.note("Built " + built.reference + " (" + built.id() + ")");
  }
  return runtime::Status::ok();
}

runtime::Status resolve_service_images(const schema::Project& project,
                                       const std::vector<const schema::ServiceSpec*>& services, const ImagePolicy& policy,
                                       ImageProgress& progress) {
  runtime::ImageStore store(images_root());
  for (const schema::ServiceSpec* s : services) {
    std::string name = service_image(project, *s);
    runtime::Image existing;
    if (store.find(name, &existing)) continue;
    std::string why;
    if (s->build_context) {
      if (policy.build == ImagePolicy::Build::None) why = "--no-build forbids building it";
    } else if (!policy.pull.empty()) {
      if (policy.pull == "never") why = "--pull never forbids pulling it";
    } else if (s->pull_policy == "never") {
      why = "its pull_policy never forbids pulling it";
    } else if (s->pull_policy == "build") {
      why = "its pull_policy build pulls nothing and it has no build section";
    }
    if (!why.empty()) return runtime::Status::error("service " + s->name + ": image " + name + " is missing and " + why);
  }
  if (runtime::Status s = pull_services(services, policy.pull, false, progress); !s) return s;
  if (policy.build != ImagePolicy::Build::None)
    if (runtime::Status s = build_services(project, services, policy.build == ImagePolicy::Build::Missing, {}, progress); !s)
      return s;
  // As Compose: an image of another platform than the service names is
  // refused, not run as whatever it is.
  for (const schema::ServiceSpec* s : services) {
    runtime::Image image;
    if (s->platform.empty() || !store.find(service_image(project, *s), &image)) continue;
    registry::PullOptions wanted;
    if (runtime::Status st = registry::parse_platform(s->platform, &wanted); !st) return st.with_context("service " + s->name);
    std::string have = store.platform(image);
    std::string want = wanted.os + "/" + wanted.architecture;
    // Without a variant the platform takes any of its architecture's.
    bool same = wanted.variant.empty() ? have == want || have.rfind(want + "/", 0) == 0 : have == want + "/" + wanted.variant;
    if (!same)
      return runtime::Status::error("service " + s->name + ": image " + image.reference + " is " + have + ", not " +
                                    s->platform + " as its platform says");
  }
  return runtime::Status::ok();
}

}  // namespace stack::compose
