#include "compose/service_pulls.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "compose/host.h"
#include "registry/credential_store.h"
#include "runtime/on_disk.h"
#include "schema/units.h"

namespace stack::compose {

using runtime::Status;
namespace {

Status read_string_list(const nlohmann::json& config, const char* key, const std::string& path, std::vector<std::string>* out) {
  if (!config.contains(key)) return Status::ok();
  const nlohmann::json& list = config[key];
  if (!list.is_array()) return Status::error(path + ": \"" + key + "\" must be a list of strings");
  for (const auto& v : list) {
    if (!v.is_string()) return Status::error(path + ": \"" + key + "\" must be a list of strings");
    out->push_back(v.get<std::string>());
  }
  return Status::ok();
}

// When each image name was last pulled (for daily, weekly, every_...).
std::string pull_times_path() { return images_root() + "/pull-times.json"; }

nlohmann::json read_pull_times() {
  nlohmann::json times = nlohmann::json::parse(runtime::read_whole_file(pull_times_path()).value_or("{}"), nullptr, false);
  return times.is_object() ? times : nlohmann::json::object();
}

void record_pull_time(const std::string& reference) {
  nlohmann::json times = read_pull_times();
  times[reference] = static_cast<std::int64_t>(std::time(nullptr));
  // A lost record costs one more pull: no reason to fail the pull over it.
  (void)runtime::write_file_atomically(pull_times_path(), times.dump(1) + "\n", 0644, false);
}

// How old the last pull may be under `policy`, in seconds; none for the fixed policies.
std::optional<std::int64_t> pull_interval(const std::string& policy) {
  if (policy == "daily") return 24 * 3600;
  if (policy == "weekly") return 7 * 24 * 3600;
  if (policy.rfind("every_", 0) == 0) {
    std::optional<std::int64_t> ns = schema::parse_duration(policy.substr(6));
    if (ns) return *ns / 1000000000;
  }
  return std::nullopt;
}

}  // namespace

runtime::Status registry_settings(RegistrySettings* out) {
  *out = RegistrySettings{};
  out->insecure = host().insecure_registries;
  const std::string& path = host().registries_config;
  if (std::optional<std::string> text = runtime::read_whole_file(path)) {
    nlohmann::json config = nlohmann::json::parse(*text, nullptr, false);
    if (!config.is_object()) return Status::error(path + ": not a JSON object");
    if (Status s = read_string_list(config, "insecure-registries", path, &out->insecure); !s) return s;
    if (Status s = read_string_list(config, "registry-mirrors", path, &out->mirrors); !s) return s;
  }
  out->credentials_path = host().credentials;
  return Status::ok();
}

runtime::Status pull_image(const std::string& reference, bool quiet, ImageProgress& progress, runtime::Image* out,
                           const std::string& platform) {
  RegistrySettings settings;
  if (Status s = registry_settings(&settings); !s) return s;
  registry::PullOptions options;
  options.insecure_registries = settings.insecure;
  options.mirrors = settings.mirrors;
  options.credentials_path = settings.credentials_path;
  options.scratch = images_root() + "/.pulls";
  if (!platform.empty())
    if (Status s = registry::parse_platform(platform, &options); !s) return s;
  runtime::ImageStore store(images_root());
  std::unique_ptr<PullView> view = progress.pull(quiet);
  Status pulled = registry::pull_image(reference, options, store,
                                       [&view](const registry::TransferProgress& p) { view->progress(p); }, out);
  view.reset();  // the rows end before anything else is printed
  if (pulled) record_pull_time(reference);
  return pulled;
}

runtime::Status pull_services(const std::vector<const schema::ServiceSpec*>& services, const std::string& policy,
                              bool quiet, ImageProgress& progress, bool keep_going) {
  runtime::ImageStore store(images_root());
  nlohmann::json times = read_pull_times();
  std::set<std::string> done;  // an image several services run is looked up and pulled once
  for (const schema::ServiceSpec* s : services) {
    if (s->image.empty() || s->build_context) continue;  // built, not pulled
    std::string p = policy.empty() ? s->pull_policy : policy;
    if (p == "never" || p == "build" || !done.insert(s->image).second) continue;
    runtime::Image existing;
    bool have = store.find(s->image, &existing).is_ok();
    if (p == "missing" && have) continue;
    if (std::optional<std::int64_t> interval = pull_interval(p); interval && have) {
      std::int64_t last = times.value(s->image, std::int64_t{0});
      if (std::time(nullptr) - last < *interval) continue;
    }
    runtime::Image pulled;
    if (runtime::Status st = pull_image(s->image, quiet, progress, &pulled, s->platform); !st) {
      runtime::Status failure = st.with_context("service " + s->name);
      if (!keep_going) return failure;
      progress.warning(failure.message());
    }
  }
  return runtime::Status::ok();
}

}  // namespace stack::compose
