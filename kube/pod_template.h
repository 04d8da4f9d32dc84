// PodTemplate: one compose service as a Kubernetes pod template: its container, volumes, probes, security and the init containers that wait for its dependencies.
#pragma once

#include <string>
#include <vector>

#include "kube/kubernetes_manifests.h"

namespace stack::kube {

// What the translation of one service reads and reports.
struct ServiceTranslation {
  const schema::Project& project;
  const ConvertOptions& options;
  const std::string& service;
  const schema::Node& node;  // the service as normalized, for where each key was written
  std::vector<std::string>& warnings;
  bool waits_for_jobs = false;  // set: an init container reads Jobs (needs the job reader account)

  // "FILE:LINE: services.NAME.KEY: message", at `item` when known (an entry
  // of KEY's list), else at KEY's line (the service's when KEY is absent).
  void warn(const std::string& key, const std::string& message, const schema::Mark& item = {});
};

// "FILE:LINE", or "" where the mark is unknown.
std::string file_line(const schema::Mark& mark);

// Labels that pick a service's pods.
schema::Node selector_labels(const std::string& project, const std::string& service);

// Whether a service runs to completion (a Job) rather than for good: others
// wait for it to complete, or it says `restart: "no"` and publishes nothing.
bool runs_to_completion(const schema::ServiceSpec& service, const schema::Project& project, const schema::Node& node);

// The service's ports (published targets and expose), in order, once each.
std::vector<std::pair<int, std::string>> service_ports(const schema::ServiceSpec& service);

// spec.template of the service's workload. `job`: restartPolicy Never or
// OnFailure, as its restart policy says.
schema::Node pod_template(const schema::ServiceSpec& service, ServiceTranslation& t, bool job);

// The ConfigMap of a service with env_file: its whole environment, read with envFrom.
std::string env_config_map_name(const std::string& service);

// The Secret or ConfigMap made of a top-level secret or config.
std::string file_object_name(const std::string& key);

// The name of the account whose init containers read Jobs.
std::string job_reader_name(const std::string& project);

// Node builders.
schema::Node str(const std::string& s);
schema::Node integer(std::int64_t i);
schema::Node boolean(bool b);
schema::Node list(const std::vector<std::string>& items);

}  // namespace stack::kube
