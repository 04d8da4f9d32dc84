#include "cmd/service_pulls.h"

#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>

#include "cmd/commands.h"
#include "registry/image_pull.h"

namespace stack::cmd {
std::vector<std::string> insecure_registries() {
  std::vector<std::string> out;
  const char* list = std::getenv("STACK_INSECURE_REGISTRIES");
  std::istringstream in(list ? list : "");
  for (std::string host; std::getline(in, host, ',');)
    if (!host.empty()) out.push_back(host);
  return out;
}

runtime::Status pull_image(const std::string& reference, bool quiet, runtime::Image* out) {
  registry::PullOptions options;
  options.insecure_registries = insecure_registries();
  options.scratch = images_root() + "/.pulls";
  runtime::ImageStore store(images_root());
  auto progress = [quiet, &reference](const std::string& line) {
    if (!quiet) std::cerr << reference << ": " << line << "\n";
  };
  return registry::pull_image(reference, options, store, progress, out);
}

runtime::Status pull_services(const std::vector<const schema::ServiceSpec*>& services, const std::string& policy,
                              bool quiet, bool keep_going) {
  runtime::ImageStore store(images_root());
  std::set<std::string> done;  // an image several services run is looked up and pulled once
  for (const schema::ServiceSpec* s : services) {
    if (s->image.empty() || s->build_context) continue;  // built, not pulled
    std::string p = policy.empty() ? s->pull_policy : policy;
    if (p == "never" || p == "build" || !done.insert(s->image).second) continue;
    runtime::Image existing;
    if (p == "missing" && store.find(s->image, &existing)) continue;
    runtime::Image pulled;
    if (runtime::Status st = pull_image(s->image, quiet, &pulled); !st) {
      runtime::Status failure = st.with_context("service " + s->name);
      if (!keep_going) return failure;
      std::cerr << "warning: " << failure.message() << "\n";
    }
  }
  return runtime::Status::ok();
}

}  // namespace stack::cmd
