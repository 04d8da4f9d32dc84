#include "kube/kubernetes_manifests.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include "kube/pod_template.h"
#include "schema/serialize.h"

namespace stack::kube {

using schema::Node;
using schema::ServiceSpec;

std::string object_name(const std::string& compose_name, const std::string& prefix, const std::string& suffix) {
  std::string base;
  for (char c : compose_name) {
    unsigned char u = static_cast<unsigned char>(c);
    base += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  while (!base.empty() && base.front() == '-') base.erase(0, 1);
  while (!base.empty() && base.back() == '-') base.pop_back();
  if (base.empty()) base = "x";
  std::string out = prefix + base + suffix;
  if (out.size() <= 63) return out;
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (char c : prefix + compose_name + suffix) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  char tag[8];
  std::snprintf(tag, sizeof tag, "-%06x", hash & 0xffffff);
  out.resize(63 - 7);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out + tag;
}

std::string service_object_name(const std::string& compose_name, const std::string& suffix) {
  std::string name = object_name(compose_name, "", suffix);
  return std::isdigit(static_cast<unsigned char>(name[0])) ? object_name(compose_name, "svc-", suffix) : name;
}

std::string manifest_yaml(const Manifest& manifest) { return schema::to_yaml(manifest.body); }

namespace {

// Keys a service's translation reads; each of the others gets a warning.
const std::set<std::string> kTranslated = {
    "build", "cap_add", "cap_drop", "command", "depends_on", "deploy", "entrypoint", "environment", "env_file",
    "expose", "extra_hosts", "gpus", "healthcheck", "hostname", "image", "labels", "networks", "platform", "ports",
    "privileged", "profiles", "pull_policy", "read_only", "restart", "scale", "shm_size", "stdin_open",
    "stop_grace_period", "sysctls", "tmpfs", "tty", "user", "volumes", "working_dir", "mem_limit", "cpus",
    "secrets", "configs"};

// Why a key has no counterpart, where there is more to say than "none".
const std::map<std::string, std::string> kWhyNot = {
    {"container_name", "pods are named by their controller"},
    {"devices", "host devices are the node's; a device plugin exposes them as resources"},
    {"network_mode", "every pod has a network of its own"},
    {"ulimits", "set by the node's container runtime"},
    {"logging", "logs are the node's and the cluster's to collect"},
    {"security_opt", "seccomp and AppArmor are set as securityContext profiles by name, not translated"},
    {"init", "no init process option in a pod spec"},
    {"dns", "cluster DNS serves the pod"},
    {"pids_limit", "set by the node (kubelet podPidsLimit)"},
    {"stop_signal", "the kubelet stops containers with SIGTERM (or the image's STOPSIGNAL)"},
};

struct Builder {
  const Node& tree;
  const schema::Project& project;
  const ConvertOptions& options;
  Conversion out;

  Node metadata(const std::string& name, const std::string& component) {
    Node labels = Node::mapping();
    if (!component.empty()) labels.set("app.kubernetes.io/name", str(object_name(component)));
    labels.set("app.kubernetes.io/part-of", str(object_name(project.name)));
    labels.set("app.kubernetes.io/managed-by", str("stack"));
    Node m = Node::mapping();
    m.set("name", str(name));
    if (!options.namespace_name.empty()) m.set("namespace", str(options.namespace_name));
    m.set("labels", labels);
    return m;
  }

  // `component`: the compose service the object belongs to; `source`
  // (default: that service), the compose key it is made from.
  Node& add(const std::string& api_version, const std::string& kind, const std::string& name, const std::string& component,
            std::string source = "", schema::Mark mark = {}) {
    Node body = Node::mapping();
    body.set("apiVersion", str(api_version));
    body.set("kind", str(kind));
    body.set("metadata", metadata(name, component));
    if (source.empty() && !component.empty()) {
      source = "services." + component;
      mark = service_mark(component);
    }
    out.manifests.push_back({api_version, kind, name, std::move(body), source, mark});
    return out.manifests.back().body;
  }

  schema::Mark service_mark(const std::string& service) const {
    const Node* services = tree.find("services");
    const Node* node = services ? services->find(service) : nullptr;
    return node ? node->mark() : schema::Mark{};
  }

  // A Secret of each secret and a ConfigMap of each config some service
  // uses, holding what `up` would give it: the file's text, or the value.
  // (stringData: the API server encodes it; a file that is not text is
  // left out, with a warning.)
  void file_objects() {
    for (bool secret : {true, false}) {
      std::string section = secret ? "secrets" : "configs";
      for (const schema::FileObjectSpec& o : secret ? project.secrets : project.configs) {
        bool used = std::any_of(project.services.begin(), project.services.end(), [&](const ServiceSpec& s) {
          const auto& grants = secret ? s.secrets : s.configs;
          return std::any_of(grants.begin(), grants.end(), [&](const schema::FileGrant& g) { return g.source == o.key; });
        });
        if (!used) continue;
        std::optional<std::string> value = o.value;
        if (!o.file.empty()) {
          std::ifstream in(o.file, std::ios::binary);
          if (in) value = std::string(std::istreambuf_iterator<char>(in), {});
        }
        std::string path = section + "." + o.key;
        if (!value) {
          warn_at(o.mark, path, (o.file.empty() ? "variable " + o.environment + " is not set" : o.file + " cannot be read") +
                                    "; left out");
          continue;
        }
        if (!valid_utf8(*value)) {
          warn_at(o.mark, path, "not text (a Secret's stringData is UTF-8); left out: make it with kubectl create");
          continue;
        }
        Node data = Node::mapping();
        data.set(o.key, str(*value));
        Node& body = add("v1", secret ? "Secret" : "ConfigMap", file_object_name(o.key), "", path, o.mark);
        if (secret) body.set("type", str("Opaque"));
        body.set(secret ? "stringData" : "data", data);
      }
    }
  }

  static bool valid_utf8(const std::string& text) {
    for (size_t i = 0; i < text.size();) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      size_t more = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
      if (more == 4 || i + more >= text.size()) return false;
      for (size_t k = 1; k <= more; ++k)
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
      i += more + 1;
    }
    return true;
  }

  void warn_at(const schema::Mark& mark, const std::string& path, const std::string& message) {
    std::string where = mark.known() ? file_line(mark) + ": " : "";
    out.warnings.push_back(where + path + ": " + message);
  }

  void service(const ServiceSpec& s, const Node& node, bool* waits_for_jobs) {
    ServiceTranslation t{project, options, s.name, node, out.warnings};
    for (const schema::Entry& e : node.entries()) {
      if (kTranslated.count(e.key)) continue;
      if (e.key == "stop_signal" && e.value.text() == "SIGTERM") continue;
      auto why = kWhyNot.find(e.key);
      warn_at(e.key_mark, "services." + s.name + "." + e.key,
              "no Kubernetes counterpart (" + (why == kWhyNot.end() ? std::string("not translated") : why->second) + "); left out");
    }
    if (const Node* deploy = node.find("deploy")) {
      // Only replicas and resources carry over; name the rest.
      for (const schema::Entry& e : deploy->entries())
        if (e.key != "replicas" && e.key != "resources")
          warn_at(e.key_mark, "services." + s.name + ".deploy." + e.key, "not translated; left out");
      const Node* res = deploy->find("resources");
      for (const char* part : {"limits", "reservations"})
        if (const Node* r = res ? res->find(part) : nullptr)
          for (const schema::Entry& e : r->entries())
            if (e.key != "cpus" && e.key != "memory" && !(std::string(part) == "reservations" && e.key == "devices"))
              warn_at(e.key_mark, "services." + s.name + ".deploy.resources." + part + "." + e.key, "not translated; left out");
    }
    std::string name = object_name(s.name);
    if (name != s.name) t.warn("", "named " + name + " in the cluster (Kubernetes names are at most 63 lower case letters, digits and -)");
    bool job = runs_to_completion(s, project, node);
    Node tmpl = pod_template(s, t, job);
    *waits_for_jobs = *waits_for_jobs || t.waits_for_jobs;
    Node selector = Node::mapping();
    selector.set("matchLabels", selector_labels(project.name, s.name));
    Node spec = Node::mapping();
    if (job) {
      int retries = s.restart.mode == schema::RestartPolicy::Mode::OnFailure ? (s.restart.max_retries > 0 ? s.restart.max_retries : 6) : 0;
      spec.set("backoffLimit", integer(retries));
      if (s.replicas != 1) t.warn("deploy.replicas", "a Job runs once; its replicas are left out");
      spec.set("template", tmpl);
      add("batch/v1", "Job", name, s.name).set("spec", spec);
    } else {
      spec.set("replicas", integer(s.replicas));
      spec.set("selector", selector);
      spec.set("template", tmpl);
      if (options.controller == "statefulset") {
        spec.set("serviceName", str(service_object_name(s.name)));
        add("apps/v1", "StatefulSet", name, s.name).set("spec", spec);
      } else {
        add("apps/v1", "Deployment", name, s.name).set("spec", spec);
      }
    }
    if (!s.labels.empty()) {
      Node annotations = Node::mapping();
      for (const auto& [k, v] : s.labels) annotations.set(k, str(v));
      out.manifests.back().body.find("metadata")->set("annotations", annotations);
    }
    services_for(s, t);
    if (node.find("env_file")) env_config_map(s);
  }

  void env_config_map(const ServiceSpec& s) {
    Node data = Node::mapping();
    for (const auto& [name, value] : s.environment)
      if (value) data.set(name, str(*value));
    if (data.size() > 0) add("v1", "ConfigMap", env_config_map_name(s.name), s.name).set("data", data);
  }

  // A Service named as the compose service, so that it is found by the
  // same name as under `stack up`: ClusterIP with its ports, headless
  // without; published ports also as asked.
  void services_for(const ServiceSpec& s, ServiceTranslation& t) {
    std::vector<std::pair<int, std::string>> ports = service_ports(s);
    std::string name = service_object_name(s.name);
    if (ports.empty() && runs_to_completion(s, project, t.node)) return;
    if (name != object_name(s.name))
      t.warn("", "its Service is named " + name + " (a Service name starts with a letter): other pods reach it as " + name);
    if (ports.empty()) {
      // Compose lets any service reach any port by name: a headless Service
      // gives the name (the ready pods' addresses) without listing ports.
      Node spec = Node::mapping();
      spec.set("clusterIP", str("None"));
      spec.set("selector", selector_labels(project.name, s.name));
      add("v1", "Service", name, s.name).set("spec", spec);
      return;
    }
    auto port_entry = [](int port, int target, const std::string& protocol) {
      Node p = Node::mapping();
      std::string lower = protocol;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      p.set("name", str(lower + "-" + std::to_string(port)));
      p.set("port", integer(port));
      p.set("targetPort", integer(target));
      p.set("protocol", str(protocol));
      return p;
    };
    Node list_ = Node::sequence();
    for (const auto& [port, protocol] : ports) list_.push_back(port_entry(port, port, protocol));
    Node spec = Node::mapping();
    spec.set("type", str("ClusterIP"));
    spec.set("selector", selector_labels(project.name, s.name));
    spec.set("ports", list_);
    add("v1", "Service", name, s.name).set("spec", spec);

    Node published = Node::sequence();
    for (const schema::PortSpec& p : s.ports) {
      if (p.published.empty()) continue;
      int port = std::stoi(p.published.substr(0, p.published.find('-')));
      std::string protocol = p.protocol;
      std::transform(protocol.begin(), protocol.end(), protocol.begin(), ::toupper);
      Node entry = port_entry(port, p.target, protocol);
      if (options.expose_published == "nodeport") {
        if (port >= 30000 && port <= 32767) entry.set("nodePort", integer(port));
        else t.warn("ports", std::to_string(port) + " is outside the NodePort range (30000-32767): the cluster picks the node port");
      }
      if (p.published.find('-') != std::string::npos) t.warn("ports", "the range " + p.published + " is published as its first port");
      published.push_back(entry);
    }
    if (published.items().empty()) return;
    if (options.expose_published.empty()) {
      t.warn("ports", "published ports are reached inside the cluster only (--expose-published nodeport|loadbalancer publishes them)");
      return;
    }
    Node pub = Node::mapping();
    pub.set("type", str(options.expose_published == "nodeport" ? "NodePort" : "LoadBalancer"));
    pub.set("selector", selector_labels(project.name, s.name));
    pub.set("ports", published);
    add("v1", "Service", service_object_name(s.name, "-published"), s.name).set("spec", pub);
  }

  void claims(const Node& tree) {
    std::set<std::string> used;
    for (const ServiceSpec& s : project.services)
      for (const schema::MountSpec& m : s.mounts)
        if (m.type == schema::MountSpec::Type::Volume && !m.source.empty()) used.insert(m.source);
    const Node* volumes = tree.find("volumes");
    for (const schema::VolumeSpec& v : project.volumes) {
      if (!used.count(v.key)) continue;
      const Node* node = volumes ? volumes->find(v.key) : nullptr;
      schema::Mark mark = node ? node->mark() : schema::Mark{};
      if (v.external) {
        warn_at(mark, "volumes." + v.key, "external: the claim " + object_name(v.key) + " must exist in the cluster");
        continue;
      }
      auto size = v.labels.find("x-stack-size");
      Node storage = Node::mapping();
      storage.set("storage", str(size == v.labels.end() ? options.volume_size : size->second));
      Node requests = Node::mapping();
      requests.set("requests", storage);
      Node spec = Node::mapping();
      spec.set("accessModes", list({"ReadWriteOnce"}));
      spec.set("resources", requests);
      if (!options.storage_class.empty()) spec.set("storageClassName", str(options.storage_class));
      if (node && node->find("driver")) warn_at(mark, "volumes." + v.key + ".driver", "the cluster's storage class provides it; left out");
      add("v1", "PersistentVolumeClaim", object_name(v.key), "", "volumes." + v.key, mark).set("spec", spec);
    }
  }

  // Who may read Jobs: the init containers that wait for one to complete.
  void job_reader() {
    std::string name = job_reader_name(project.name);
    add("v1", "ServiceAccount", name, "");
    Node rule = Node::mapping();
    rule.set("apiGroups", list({"batch"}));
    rule.set("resources", list({"jobs"}));
    rule.set("verbs", list({"get", "list", "watch"}));
    Node rules = Node::sequence();
    rules.push_back(rule);
    add("rbac.authorization.k8s.io/v1", "Role", name, "").set("rules", rules);
    Node role = Node::mapping();
    role.set("apiGroup", str("rbac.authorization.k8s.io"));
    role.set("kind", str("Role"));
    role.set("name", str(name));
    Node subject = Node::mapping();
    subject.set("kind", str("ServiceAccount"));
    subject.set("name", str(name));
    if (!options.namespace_name.empty()) subject.set("namespace", str(options.namespace_name));
    Node subjects = Node::sequence();
    subjects.push_back(subject);
    Node& binding = add("rbac.authorization.k8s.io/v1", "RoleBinding", name, "");
    binding.set("roleRef", role);
    binding.set("subjects", subjects);
  }

  // Pods take traffic only from pods on a compose network they share; a
  // service only on internal networks sends only to those (and to DNS).
  void network_policies(const Node& tree) {
    const Node* networks = tree.find("networks");
    for (const schema::NetworkSpec& n : project.networks) {
      const Node* node = networks ? networks->find(n.key) : nullptr;
      schema::Mark mark = node ? node->mark() : schema::Mark{};
      if (!n.pools.empty()) warn_at(mark, "networks." + n.key + ".ipam", "pod addresses are the cluster's; left out");
      if (n.external) warn_at(mark, "networks." + n.key, "external: only the services of this project are allowed on it");
    }
    for (const ServiceSpec& s : project.services) {
      if (s.networks.empty()) continue;
      auto peers = [&] {
        Node from = Node::sequence();
        for (const auto& [network, attachment] : s.networks) {
          Node match = Node::mapping();
          match.set("stack.network/" + object_name(network), str("true"));
          Node selector = Node::mapping();
          selector.set("matchLabels", match);
          Node peer = Node::mapping();
          peer.set("podSelector", selector);
          from.push_back(peer);
        }
        return from;
      };
      Node ingress_rule = Node::mapping();
      ingress_rule.set("from", peers());
      Node ingress = Node::sequence();
      ingress.push_back(ingress_rule);
      if (!options.expose_published.empty()) {
        // Published ports are for anyone, as under `stack up`.
        Node ports = Node::sequence();
        for (const schema::PortSpec& p : s.ports) {
          if (p.published.empty()) continue;
          Node port = Node::mapping();
          port.set("port", integer(p.target));
          std::string protocol = p.protocol;
          std::transform(protocol.begin(), protocol.end(), protocol.begin(), ::toupper);
          port.set("protocol", str(protocol));
          ports.push_back(port);
        }
        if (!ports.items().empty()) {
          Node open = Node::mapping();
          open.set("ports", ports);
          ingress.push_back(open);
        }
      }
      Node spec = Node::mapping();
      Node selector = Node::mapping();
      selector.set("matchLabels", selector_labels(project.name, s.name));
      spec.set("podSelector", selector);
      spec.set("ingress", ingress);
      std::vector<std::string> types = {"Ingress"};
      bool internal_only = std::all_of(s.networks.begin(), s.networks.end(), [&](const auto& entry) {
        auto n = std::find_if(project.networks.begin(), project.networks.end(),
                                     [&](const schema::NetworkSpec& spec_) { return spec_.key == entry.first; });
        return n != project.networks.end() && n->internal;
      });
      if (internal_only) {
        Node dns_port = Node::sequence();
        for (const char* protocol : {"UDP", "TCP"}) {
          Node p = Node::mapping();
          p.set("port", integer(53));
          p.set("protocol", str(protocol));
          dns_port.push_back(p);
        }
        Node dns = Node::mapping();
        dns.set("ports", dns_port);
        Node to_peers = Node::mapping();
        to_peers.set("to", peers());
        Node egress = Node::sequence();
        egress.push_back(to_peers);
        egress.push_back(dns);
        bool waits_for_job = std::any_of(s.depends_on.begin(), s.depends_on.end(), [](const auto& d) {
          return d.second.condition == schema::DependsOnSpec::Condition::CompletedSuccessfully;
        });
        if (waits_for_job) {
          // The API server is no pod a selector can name: its ports, anywhere.
          Node api_ports = Node::sequence();
          for (int port : {443, 6443}) {
            Node p = Node::mapping();
            p.set("port", integer(port));
            p.set("protocol", str("TCP"));
            api_ports.push_back(p);
          }
          Node api = Node::mapping();
          api.set("ports", api_ports);
          egress.push_back(api);
          const Node* services = tree.find("services");
          const Node* node = services ? services->find(s.name) : nullptr;
          warn_at(node ? node->mark() : schema::Mark{}, "services." + s.name + ".networks",
                  "only on internal networks, yet it waits for a Job: egress to ports 443 and 6443 (the API server) is allowed");
        }
        spec.set("egress", egress);
        types.push_back("Egress");
      }
      spec.set("policyTypes", list(types));
      add("networking.k8s.io/v1", "NetworkPolicy", object_name(s.name), s.name).set("spec", spec);
    }
  }
};

int kind_order(const std::string& kind) {
  static const std::vector<std::string> order = {"ServiceAccount", "Role", "RoleBinding", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service",
                                                 "Deployment", "StatefulSet", "Job", "NetworkPolicy"};
  return static_cast<int>(std::find(order.begin(), order.end(), kind) - order.begin());
}

}  // namespace

Conversion convert_to_kubernetes(const Node& tree, const schema::Project& project, const ConvertOptions& options) {
  Builder b{tree, project, options, {}};
  for (const schema::Entry& e : tree.entries())
    if (e.key != "name" && e.key != "services" && e.key != "volumes" && e.key != "networks" && e.key != "secrets" &&
        e.key != "configs")
      b.warn_at(e.key_mark, e.key, "not translated; left out");
  b.file_objects();
  const Node* services = tree.find("services");
  bool waits_for_jobs = false;
  for (const ServiceSpec& s : project.services) {
    const Node* node = services ? services->find(s.name) : nullptr;
    if (node) b.service(s, *node, &waits_for_jobs);
  }
  b.claims(tree);
  if (waits_for_jobs) b.job_reader();
  b.network_policies(tree);
  std::stable_sort(b.out.manifests.begin(), b.out.manifests.end(), [](const Manifest& x, const Manifest& y) {
    return std::make_pair(kind_order(x.kind), x.name) < std::make_pair(kind_order(y.kind), y.name);
  });
  // Each pair of compose keys whose objects clash, once, with the objects.
  const std::vector<Manifest>& all = b.out.manifests;
  std::vector<std::pair<const Manifest*, const Manifest*>> clashes;
  std::map<std::pair<std::string, std::string>, std::string> shared;
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i].kind != all[i - 1].kind || all[i].name != all[i - 1].name) continue;
    std::string& objects = shared[{all[i - 1].source, all[i].source}];
    if (objects.empty()) clashes.push_back({&all[i - 1], &all[i]});
    objects += (objects.empty() ? "" : ", ") + all[i].kind + "/" + all[i].name;
  }
  for (const auto& [first, second] : clashes) {
    std::string at = file_line(second->mark), other = file_line(first->mark);
    b.out.errors.push_back((at.empty() ? "" : at + ": ") + second->source + " and " + first->source +
                           (other.empty() ? "" : " (" + other + ")") + " both become " +
                           shared[{first->source, second->source}] + " in the cluster; rename one of them");
  }
  return std::move(b.out);
}

}  // namespace stack::kube
