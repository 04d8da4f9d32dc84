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
};

struct Conversion {
  std::vector<Manifest> manifests;  // in apply order: RBAC, claims, Services, workloads, policies; each kind by name
  std::vector<std::string> warnings;  // "FILE:LINE: services.web.devices: ...": what did not carry over
};

// Translates the project `load_project` normalized (`tree`, for where each
// key was written) and its typed model. Deterministic: the same project
// gives the same bytes.
Conversion convert_to_kubernetes(const schema::Node& tree, const schema::Project& project, const ConvertOptions& options);

// The manifest as one YAML document (no leading ---).
std::string manifest_yaml(const Manifest& manifest);

// A compose name as a Kubernetes object name (RFC 1123 label: lower case,
// '-' for '_' and '.', at most 63 characters).
std::string object_name(const std::string& compose_name);

}  // namespace stack::kube
