#include "registry/image_pull.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "registry/credential_store.h"
#include "registry/registry_client.h"
#include "registry/registry_json.h"
#include "runtime/on_disk.h"

namespace stack::registry {
namespace {

bool is_index(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

bool is_manifest(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.manifest.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.v2+json";
}

std::optional<Credentials> login_for(const PullOptions& options, const std::string& host, Status* error) {
  std::optional<Credentials> credentials;
  if (!options.credentials_path.empty()) *error = CredentialStore(options.credentials_path).find(host, &credentials);
  return credentials;
}

// The registries to ask, in order: Docker Hub's mirrors, then the image's own.
std::vector<RegistryLocation> sources(const RegistryLocation& origin, const PullOptions& options) {
  std::vector<RegistryLocation> out;
  if (origin.host == "registry-1.docker.io") {
    for (std::string url : options.mirrors) {
      RegistryLocation mirror = origin;
      mirror.plain_http = url.rfind("http://", 0) == 0;
      if (size_t scheme = url.find("://"); scheme != std::string::npos) url.erase(0, scheme + 3);
      mirror.host = url.substr(0, url.find('/'));
      if (!mirror.host.empty()) out.push_back(mirror);
    }
  }
  out.push_back(origin);
  return out;
}

std::string short_id(const std::string& digest) { return digest.substr(7, 12); }

struct Layer {
  std::string blob, diff_id;
};

// Fetches and stores the layers, `parallel` at a time. Downloads overlap;
// unpacking into the store is one at a time, as the store's lock is the
// process's own and does not keep this process's threads apart.
class LayerFetch {
 public:
  LayerFetch(RegistryClient& client, runtime::ImageStore& store, const std::string& scratch,
             const std::function<void(const TransferProgress&)>& progress)
      : client_(client), store_(store), scratch_(scratch), progress_(progress) {}

  Status run(const std::vector<Layer>& layers, int parallel) {
    for (const Layer& l : layers) progress_({short_id(l.blob), "Waiting", 0, 0, false});
    std::vector<std::thread> workers;
    for (int i = 0; i < std::max(1, std::min<int>(parallel, static_cast<int>(layers.size()))); ++i)
      workers.emplace_back([&] {
        for (size_t n; !failed_ && (n = next_++) < layers.size();)
          if (Status s = fetch(layers[n]); !s) fail(s);
      });
    for (std::thread& t : workers) t.join();
    return first_error_;
  }

 private:
  void fail(const Status& s) {
    std::lock_guard lock(mu_);
    if (!failed_.exchange(true)) first_error_ = s;
  }

  Status fetch(const Layer& layer) {
    std::string id = short_id(layer.blob);
    if (store_.has_layer(layer.diff_id)) {
      progress_({id, "Already exists", 0, 0, true});
      return Status::ok();
    }
    // Another stack pulling the same blob goes first; then it is stored.
    runtime::FileLock lock;
    if (Status s = runtime::FileLock::acquire(scratch_ + "/" + layer.blob.substr(7) + ".lock", &lock); !s) return s;
    if (store_.has_layer(layer.diff_id)) {
      lock.remove_file();
      progress_({id, "Already exists", 0, 0, true});
      return Status::ok();
    }
    std::string path = scratch_ + "/" + layer.blob.substr(7) + ".partial";
    struct stat kept {};
    std::string complete = "Pull complete";
    if (::stat(path.c_str(), &kept) == 0 && kept.st_size > 0) {
      char from[64];
      std::snprintf(from, sizeof from, "%.1fMB", static_cast<double>(kept.st_size) / 1e6);
      progress_({id, std::string("Resuming from ") + from, 0, 0, false});
      complete += std::string(" (resumed from ") + from + ")";
    }
    auto downloading = [this, &id, last = std::int64_t{-1}](std::int64_t done, std::int64_t total) mutable {
      // A row redrawn for each 1% (or 256 KiB while the size is unknown), not for each packet.
      std::int64_t step = total > 0 ? std::max<std::int64_t>(total / 100, 1) : 256 << 10;
      if (last >= 0 && done / step == last / step) return;
      last = done;
      progress_({id, "Downloading", done, total, false});
    };
    Status got = client_.get_blob(layer.blob, path, downloading);
    if (!got) {
      lock.remove_file();
      return got;
    }
    progress_({id, "Extracting", 0, 0, false});
    std::string stored;
    std::int64_t size = 0;
    {
      std::lock_guard store_lock(store_mu_);
      Status s = store_.store_layer(path, false, &stored, &size);
      ::unlink(path.c_str());
      lock.remove_file();
      if (!s) return s.with_context("layer " + layer.blob);
    }
    if (stored != layer.diff_id)
      return Status::error("layer " + layer.blob + " unpacks to " + stored + ", not the config's " + layer.diff_id);
    progress_({id, complete, 0, 0, true});
    return Status::ok();
  }

  RegistryClient& client_;
  runtime::ImageStore& store_;
  std::string scratch_;
  std::function<void(const TransferProgress&)> progress_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_, store_mu_;
  Status first_error_ = Status::ok();
};

}  // namespace

Status parse_platform(const std::string& platform, PullOptions* options) {
  std::vector<std::string> parts;
  for (size_t b = 0, e; b <= platform.size(); b = e + 1) {
    e = platform.find('/', b);
    if (e == std::string::npos) e = platform.size();
    parts.push_back(platform.substr(b, e - b));
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    return Status::error("platform \"" + platform + "\": expected OS/ARCH[/VARIANT], as linux/amd64 or linux/arm64/v8");
  options->os = parts[0];
  options->architecture = parts[1];
  options->variant = parts.size() == 3 ? parts[2] : "";
  return Status::ok();
}

Status pull_image(const std::string& text, const PullOptions& options, runtime::ImageStore& store,
                  const std::function<void(const TransferProgress&)>& progress, runtime::Image* out) {
  std::string error;
  std::optional<runtime::ImageReference> ref = runtime::parse_image_reference(text, &error);
  if (!ref) return Status::error(error);
  if (Status s = runtime::make_directories(options.scratch); !s) return s;
  std::string image_row = "Image " + text;
  std::string wanted = ref->digest.empty() ? ref->tag : ref->digest;
  progress({image_row, "Pulling", 0, 0, false});

  // The manifest from the first source that has it; its blobs from the same one.
  std::unique_ptr<RegistryClient> client;
  std::string body, media_type, digest;
  Status found = Status::ok();
  RegistryLocation origin = locate(*ref, options.insecure_registries);
  for (const RegistryLocation& source : sources(origin, options)) {
    Status login = Status::ok();
    std::optional<Credentials> credentials = login_for(options, source.host, &login);
    if (!login) return login;
    client = std::make_unique<RegistryClient>(source, credentials);
    found = client->get_manifest(wanted, &body, &media_type, &digest);
    if (found) break;
    if (source.host != origin.host)
      progress({image_row, "Mirror " + source.host + " failed (" + found.message() + ")", 0, 0, true});
  }
  if (!found) return found;
  if (is_index(media_type)) {
    std::string chosen;
    if (Status s = choose_platform(text, body, options.os, options.architecture, options.variant, &chosen); !s) return s;
    progress({image_row, "Resolved " + options.os + "/" + options.architecture + " to " + chosen.substr(0, 19), 0, 0, true});
    if (Status s = client->get_manifest(chosen, &body, &media_type, &digest); !s) return s;
  }
  if (!is_manifest(media_type))
    return Status::error(text + ": unsupported manifest type \"" + media_type + "\" (OCI and Docker v2 schema 2 are read)");
  ImageManifest manifest;
  if (Status s = parse_image_manifest(text, body, &manifest); !s) return s;

  std::string config_path = options.scratch + "/" + manifest.config_digest.substr(7) + ".config";
  if (Status s = client->get_blob(manifest.config_digest, config_path); !s) return s;
  std::string config_text = runtime::read_whole_file(config_path).value_or("");
  ::unlink(config_path.c_str());
  std::vector<std::string> diff_ids;
  if (Status s = parse_diff_ids(text, config_text, &diff_ids); !s) return s;
  if (diff_ids.size() != manifest.layer_digests.size())
    return Status::error(text + ": its config lists " + std::to_string(diff_ids.size()) + " layers, its manifest " +
                         std::to_string(manifest.layer_digests.size()));
  std::vector<Layer> wanted_layers;
  std::set<std::string> seen;  // a layer listed twice is fetched once
  for (size_t i = 0; i < diff_ids.size(); ++i)
    if (seen.insert(manifest.layer_digests[i]).second) wanted_layers.push_back({manifest.layer_digests[i], diff_ids[i]});
  LayerFetch fetch(*client, store, options.scratch, progress);
  if (Status s = fetch.run(wanted_layers, options.parallel_downloads); !s) return s.with_context(text);
  if (Status s = store.commit(*ref, config_text, out); !s) return s;
  progress({image_row, "Pulled " + digest, 0, 0, true});
  return Status::ok();
}

}  // namespace stack::registry
