// KubernetesManifests: a compose project translated into the objects a cluster runs it as (`stack convert --to kubernetes`).
#pragma once

#include <string>
#include <vector>

#include "schema/node.h"
#include "schema/project.h"

namespace stack::kube {

struct ConvertOptions {
  std::string namespace_name;     // metadata.namespace of every object; empty: none (kubectl's current)
  std::string image_pull_policy;  // Always, IfNotPresent, Never; empty: from each service's pull_policy
  std::string storage_class;      // of every claim; empty: the cluster's default
  std::string controller = "deployment";  // or "statefulset", for long-running services
  std::string expose_published;   // "", "nodeport" or "loadbalancer": published ports get a Service of that type
  std::string volume_size = "1Gi";  // a claim's size when the volume has no x-stack-size label
  bool allow_hostpath = false;    // bind mounts as hostPath volumes (else left out, with a warning)
  // What init containers that wait for a dependency run: busybox's
  // nc/nslookup for a Service, kubectl for a Job.
  std::string wait_image = "busybox:1.36";
  std::string kubectl_image = "registry.k8s.io/kubectl:v1.32.4";
};

struct Manifest {
  std::string api_version, kind, name;
  schema::Node body;  // the whole object, apiVersion and kind included
  std::string source;  // the compose key it was made from ("services.web"); empty: the project
  schema::Mark mark;   // where that key was written
};

struct Conversion {
  std::vector<Manifest> manifests;  // in apply order: RBAC, claims, Services, workloads, policies; each kind by name
  std::vector<std::string> warnings;  // "FILE:LINE: services.web.devices: ...": what did not carry over
  // Compose names that would become one object (my_db and my-db are both
  // my-db): nothing can be applied until one is renamed.
  std::vector<std::string> errors;
};

// Translates the project `load_project` normalized (`tree`, for where each
// key was written) and its typed model. Deterministic: the same project
// gives the same bytes.
Conversion convert_to_kubernetes(const schema::Node& tree, const schema::Project& project, const ConvertOptions& options);

// The manifest as one YAML document (no leading ---).
std::string manifest_yaml(const Manifest& manifest);

// A compose name as (part of) a Kubernetes object name, between `prefix`
// and `suffix`: an RFC 1123 label, lower case, '-' for '_' and '.'. One over
// 63 characters keeps its start and ends in a hash of the whole, so that two
// long names stay two.
std::string object_name(const std::string& compose_name, const std::string& prefix = "", const std::string& suffix = "");

// The name of a compose service's Service (and its DNS name in the
// cluster): an RFC 1035 label, which starts with a letter ("svc-" is put
// before a name that does not).
std::string service_object_name(const std::string& compose_name, const std::string& suffix = "");

}  // namespace stack::kube
