#include "kube/pod_template.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace stack::kube {

using schema::Node;
using schema::ServiceSpec;

Node str(const std::string& s) { return Node::string(s); }
Node integer(std::int64_t i) { return Node::integer(i); }
Node boolean(bool b) { return Node::boolean(b); }
Node list(const std::vector<std::string>& items) {
  Node out = Node::sequence();
  for (const std::string& s : items) out.push_back(str(s));
  return out;
}

void ServiceTranslation::warn(const std::string& key, const std::string& message, const schema::Mark& item) {
  const schema::Entry* at = key.empty() ? nullptr : node.find_entry(key.substr(0, key.find('.')));
  schema::Mark mark = item.known()                 ? item
                      : at && at->key_mark.known() ? at->key_mark
                      : at                         ? at->value.mark()
                                                   : node.mark();
  std::string where = mark.known() ? file_line(mark) + ": " : "";
  warnings.push_back(where + "services." + service + (key.empty() ? "" : "." + key) + ": " + message);
}

std::string file_line(const schema::Mark& mark) {
  return mark.known() ? mark.file_name() + ":" + std::to_string(mark.line) : "";
}

std::string env_config_map_name(const std::string& service) { return object_name(service, "", "-env"); }

std::string file_object_name(const std::string& key) { return object_name(key); }

std::string job_reader_name(const std::string& project) { return object_name(project, "", "-job-reader"); }

Node selector_labels(const std::string& project, const std::string& service) {
  Node labels = Node::mapping();
  labels.set("app.kubernetes.io/name", str(object_name(service)));
  labels.set("app.kubernetes.io/part-of", str(object_name(project)));
  return labels;
}

bool runs_to_completion(const ServiceSpec& service, const schema::Project& project, const Node& node) {
  for (const ServiceSpec& other : project.services)
    for (const auto& [dep, spec] : other.depends_on)
      if (dep == service.name && spec.condition == schema::DependsOnSpec::Condition::CompletedSuccessfully) return true;
  const Node* restart = node.find("restart");
  bool publishes = std::any_of(service.ports.begin(), service.ports.end(), [](const schema::PortSpec& p) { return !p.published.empty(); });
  return restart && restart->text() == "no" && !publishes;
}

std::vector<std::pair<int, std::string>> service_ports(const ServiceSpec& service) {
  std::vector<std::pair<int, std::string>> out;
  auto add = [&out](int port, std::string protocol) {
    std::transform(protocol.begin(), protocol.end(), protocol.begin(), ::toupper);
    if (port > 0 && std::find(out.begin(), out.end(), std::make_pair(port, protocol)) == out.end()) out.emplace_back(port, protocol);
  };
  for (const schema::PortSpec& p : service.ports) add(p.target, p.protocol);
  for (const std::string& e : service.expose) {
    size_t slash = e.find('/');
    std::string number = e.substr(0, std::min(slash, e.find('-')));
    if (!number.empty() && std::all_of(number.begin(), number.end(), ::isdigit))
      add(std::stoi(number), slash == std::string::npos ? "tcp" : e.substr(slash + 1));
  }
  return out;
}

namespace {

// A byte count as a Kubernetes quantity: "512Mi", "1Gi", else bytes.
std::string quantity(std::int64_t bytes) {
  constexpr std::int64_t Ki = 1024, Mi = Ki * 1024, Gi = Mi * 1024;
  if (bytes > 0 && bytes % Gi == 0) return std::to_string(bytes / Gi) + "Gi";
  if (bytes > 0 && bytes % Mi == 0) return std::to_string(bytes / Mi) + "Mi";
  if (bytes > 0 && bytes % Ki == 0) return std::to_string(bytes / Ki) + "Ki";
  return std::to_string(bytes);
}

// CPUs as millicores: 0.5 -> "500m".
std::string cpu_quantity(double cpus) { return std::to_string(static_cast<std::int64_t>(cpus * 1000 + 0.5)) + "m"; }

// A duration in whole seconds, at least `floor`.
std::int64_t seconds(std::int64_t ns, std::int64_t floor) { return std::max(floor, (ns + 999'999'999) / 1'000'000'000); }

std::string pull_policy(const ServiceSpec& s, ServiceTranslation& t) {
  if (!t.options.image_pull_policy.empty()) return t.options.image_pull_policy;
  if (s.pull_policy == "always" || s.pull_policy == "daily" || s.pull_policy == "weekly" ||
      s.pull_policy.rfind("every_", 0) == 0)
    return "Always";
  if (s.pull_policy == "never") return "Never";
  return "IfNotPresent";
}

Node probe(const schema::HealthcheckSpec& hc) {
  Node exec = Node::mapping();
  std::vector<std::string> command(hc.test.begin() + 1, hc.test.end());
  if (hc.test[0] == "CMD-SHELL") command = {"/bin/sh", "-c", command.empty() ? "" : command[0]};
  exec.set("command", list(command));
  Node p = Node::mapping();
  p.set("exec", exec);
  p.set("periodSeconds", integer(seconds(hc.interval_ns, 1)));
  p.set("timeoutSeconds", integer(seconds(hc.timeout_ns, 1)));
  p.set("failureThreshold", integer(std::max(1, hc.retries)));
  if (hc.start_period_ns > 0) p.set("initialDelaySeconds", integer(seconds(hc.start_period_ns, 0)));
  return p;
}

Node security_context(const ServiceSpec& s, ServiceTranslation& t) {
  Node sc = Node::mapping();
  if (!s.user.empty()) {
    std::string user = s.user.substr(0, s.user.find(':'));
    std::string group = s.user.find(':') == std::string::npos ? "" : s.user.substr(s.user.find(':') + 1);
    auto numeric = [](const std::string& v) { return !v.empty() && std::all_of(v.begin(), v.end(), ::isdigit); };
    if (numeric(user)) sc.set("runAsUser", integer(std::stoll(user)));
    if (numeric(group)) sc.set("runAsGroup", integer(std::stoll(group)));
    if (!numeric(user) || (!group.empty() && !numeric(group)))
      t.warn("user", "\"" + s.user + "\": Kubernetes takes numeric IDs only (runAsUser/runAsGroup); the names are left out");
  }
  auto caps = [](const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (std::string c : in) {
      std::transform(c.begin(), c.end(), c.begin(), ::toupper);
      out.push_back(c.rfind("CAP_", 0) == 0 ? c.substr(4) : c);
    }
    return list(out);
  };
  if (!s.cap_add.empty() || !s.cap_drop.empty()) {
    Node capabilities = Node::mapping();
    if (!s.cap_add.empty()) capabilities.set("add", caps(s.cap_add));
    if (!s.cap_drop.empty()) capabilities.set("drop", caps(s.cap_drop));
    sc.set("capabilities", capabilities);
  }
  if (s.read_only) sc.set("readOnlyRootFilesystem", boolean(true));
  if (s.privileged) sc.set("privileged", boolean(true));
  return sc;
}

Node resources(const ServiceSpec& s, ServiceTranslation& t) {
  Node limits = Node::mapping(), requests = Node::mapping();
  if (s.cpus) limits.set("cpu", str(cpu_quantity(*s.cpus)));
  if (s.memory_bytes) limits.set("memory", str(quantity(*s.memory_bytes)));
  const Node* deploy = t.node.find("deploy");
  const Node* res = deploy ? deploy->find("resources") : nullptr;
  const Node* reservations = res ? res->find("reservations") : nullptr;
  if (const Node* c = reservations ? reservations->find("cpus") : nullptr; c && c->as_number())
    requests.set("cpu", str(cpu_quantity(*c->as_number())));
  if (const Node* m = reservations ? reservations->find("memory") : nullptr; m && m->as_int())
    requests.set("memory", str(quantity(*m->as_int())));
  int gpus = 0;
  for (const schema::DeviceRequest& d : s.device_requests) {
    bool gpu = d.driver == "nvidia" || std::find(d.capabilities.begin(), d.capabilities.end(), "gpu") != d.capabilities.end();
    std::string key = t.node.find("gpus") ? "gpus" : "deploy.resources.reservations.devices";
    if (!gpu) {
      t.warn(key, "a device reservation without the gpu capability has no Kubernetes form; left out");
      continue;
    }
    if (!d.device_ids.empty()) {
      t.warn(key, "device_ids: Kubernetes does not pin GPUs by ID; asks for " + std::to_string(d.device_ids.size()) +
                      " nvidia.com/gpu instead");
      gpus += static_cast<int>(d.device_ids.size());
    } else if (d.count.value_or(-1) < 0) {
      t.warn(key, "count: all has no Kubernetes form; asks for 1 nvidia.com/gpu");
      gpus += 1;
    } else {
      gpus += *d.count;
    }
  }
  // An extended resource is asked for in limits (requests follow them).
  if (gpus > 0) limits.set("nvidia.com/gpu", str(std::to_string(gpus)));
  Node out = Node::mapping();
  if (limits.size() > 0) out.set("limits", limits);
  if (requests.size() > 0) out.set("requests", requests);
  return out;
}

// The init containers that hold the pod until its dependencies are ready.
Node wait_containers(const ServiceSpec& s, ServiceTranslation& t) {
  Node out = Node::sequence();
  for (const auto& [dep, spec] : s.depends_on) {
    const ServiceSpec* target = t.project.service(dep);
    if (!target) continue;  // a dependency left out by profiles
    Node c = Node::mapping();
    c.set("name", str(object_name(dep, "wait-for-")));
    if (spec.condition == schema::DependsOnSpec::Condition::CompletedSuccessfully) {
      c.set("image", str(t.options.kubectl_image));
      c.set("command", list({"kubectl", "wait", "--for=condition=complete", "--timeout=-1s", "job/" + object_name(dep)}));
      t.waits_for_jobs = true;
    } else {
      // A Service forwards only to ready pods, and a headless one names
      // only ready pods: a TCP connect through the first (or the name
      // resolving, without ports) says the dependency is started, and
      // healthy where it has a probe.
      std::vector<std::pair<int, std::string>> ports = service_ports(*target);
      std::string name = service_object_name(dep);
      std::string check = ports.empty() ? "nslookup " + name + " >/dev/null 2>&1"
                                        : "nc -z -w 2 " + name + " " + std::to_string(ports[0].first);
      c.set("image", str(t.options.wait_image));
      c.set("command", list({"sh", "-c", "until " + check + "; do echo waiting for " + name + "; sleep 2; done"}));
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

Node pod_template(const ServiceSpec& s, ServiceTranslation& t, bool job) {
  Node container = Node::mapping();
  container.set("name", str(object_name(s.name)));
  std::string image = s.image;
  if (image.empty()) {
    image = t.project.name + "-" + s.name;
    t.warn("build", "the cluster cannot build: push the image (stack build && stack push, with image: naming a registry); "
                    "the manifest names " + image);
  }
  container.set("image", str(image));
  container.set("imagePullPolicy", str(pull_policy(s, t)));
  if (s.entrypoint) container.set("command", list(*s.entrypoint));
  if (s.command) container.set("args", list(*s.command));
  Node env = Node::sequence();
  for (const auto& [name, value] : s.environment) {
    if (!value) {
      t.warn("environment", name + " has no value here (it takes the shell's under stack up); left out");
      continue;
    }
    Node var = Node::mapping();
    var.set("name", str(name));
    var.set("value", str(*value));
    env.push_back(var);
  }
  if (t.node.find("env_file") && !env.items().empty()) {
    // Variables from files go to a ConfigMap, as files of settings usually
    // are; the whole environment there, so that one place has it all.
    Node source = Node::mapping(), ref = Node::mapping();
    ref.set("name", str(env_config_map_name(s.name)));
    source.set("configMapRef", ref);
    Node from = Node::sequence();
    from.push_back(source);
    container.set("envFrom", from);
  } else if (!env.items().empty()) {
    container.set("env", env);
  }
  if (!s.working_dir.empty()) container.set("workingDir", str(s.working_dir));
  Node ports = Node::sequence();
  for (const auto& [port, protocol] : service_ports(s)) {
    Node p = Node::mapping();
    p.set("containerPort", integer(port));
    p.set("protocol", str(protocol));
    ports.push_back(p);
  }
  if (!ports.items().empty()) container.set("ports", ports);
  if (Node r = resources(s, t); r.size() > 0) container.set("resources", r);
  if (Node sc = security_context(s, t); sc.size() > 0) container.set("securityContext", sc);
  if (s.healthcheck && !s.healthcheck->disabled && !s.healthcheck->test.empty() && s.healthcheck->test[0] != "NONE") {
    container.set("readinessProbe", probe(*s.healthcheck));
    container.set("livenessProbe", probe(*s.healthcheck));
  }
  if (s.stdin_open) container.set("stdin", boolean(true));
  if (s.tty) container.set("tty", boolean(true));

  Node volumes = Node::sequence(), mounts = Node::sequence();
  std::set<std::string> claimed;
  auto mount = [&](const std::string& volume, const std::string& path, bool read_only) {
    Node m = Node::mapping();
    m.set("name", str(volume));
    m.set("mountPath", str(path));
    if (read_only) m.set("readOnly", boolean(true));
    mounts.push_back(m);
  };
  int anonymous = 0, binds = 0, tmpfs = 0;
  for (const schema::MountSpec& m : s.mounts) {
    Node v = Node::mapping();
    std::string name;
    if (m.type == schema::MountSpec::Type::Volume && !m.source.empty()) {
      name = object_name(m.source, "vol-");
      Node claim = Node::mapping();
      claim.set("claimName", str(object_name(m.source)));
      v.set("persistentVolumeClaim", claim);
    } else if (m.type == schema::MountSpec::Type::Volume) {
      name = "anon-" + std::to_string(++anonymous);
      v.set("emptyDir", Node::mapping());
    } else if (m.type == schema::MountSpec::Type::Tmpfs) {
      name = "tmpfs-" + std::to_string(++tmpfs);
      Node dir = Node::mapping();
      dir.set("medium", str("Memory"));
      if (m.tmpfs_size) dir.set("sizeLimit", str(quantity(*m.tmpfs_size)));
      v.set("emptyDir", dir);
    } else if (t.options.allow_hostpath) {
      name = "bind-" + std::to_string(++binds);
      Node host = Node::mapping();
      host.set("path", str(m.source));
      v.set("hostPath", host);
      t.warn("volumes", m.source + " -> " + m.target + ": a hostPath volume, the path on whichever node runs the pod",
             m.mark);
    } else {
      t.warn("volumes", "bind mount " + m.source + " -> " + m.target +
                            " left out: a node's files are not the project's (--allow-hostpath mounts them as hostPath)",
             m.mark);
      continue;
    }
    if (claimed.insert(name).second) {
      v.set("name", str(name));
      volumes.push_back(v);
    }
    mount(name, m.target, m.read_only);
  }
  // Secrets and configs: the conversion's Secret or ConfigMap of each, its
  // one file mounted alone (subPath) where the service has it.
  for (bool secret : {true, false}) {
    const char* key = secret ? "secrets" : "configs";
    for (const schema::FileGrant& g : secret ? s.secrets : s.configs) {
      std::string name = object_name(g.source, secret ? "secret-" : "config-");
      Node item = Node::mapping();
      item.set("key", str(g.source));
      item.set("path", str(g.source));
      if (g.mode) item.set("mode", integer(*g.mode));
      Node source = Node::mapping(), items = Node::sequence();
      items.push_back(item);
      source.set(secret ? "secretName" : "name", str(file_object_name(g.source)));
      source.set("items", items);
      if (claimed.insert(name).second) {
        Node v = Node::mapping();
        v.set("name", str(name));
        v.set(secret ? "secret" : "configMap", source);
        volumes.push_back(v);
      }
      Node m = Node::mapping();
      m.set("name", str(name));
      m.set("mountPath", str(g.target));
      m.set("subPath", str(g.source));
      m.set("readOnly", boolean(true));
      mounts.push_back(m);
      if (g.uid || g.gid)
        t.warn(key, g.source + ": a pod sets its files' group only as a whole (securityContext.fsGroup); uid and gid left out",
               g.mark);
    }
  }
  if (s.shm_size) {
    Node dir = Node::mapping();
    dir.set("medium", str("Memory"));
    dir.set("sizeLimit", str(quantity(*s.shm_size)));
    Node v = Node::mapping();
    v.set("name", str("shm"));
    v.set("emptyDir", dir);
    volumes.push_back(v);
    mount("shm", "/dev/shm", false);
  }
  if (!mounts.items().empty()) container.set("volumeMounts", mounts);

  Node spec = Node::mapping();
  Node containers = Node::sequence();
  containers.push_back(container);
  spec.set("containers", containers);
  if (Node waits = wait_containers(s, t); !waits.items().empty()) spec.set("initContainers", waits);
  if (t.waits_for_jobs) spec.set("serviceAccountName", str(job_reader_name(t.project.name)));
  if (!volumes.items().empty()) spec.set("volumes", volumes);
  spec.set("terminationGracePeriodSeconds", integer(seconds(s.stop_grace_period_ns, 0)));
  if (job) spec.set("restartPolicy", str(s.restart.mode == schema::RestartPolicy::Mode::OnFailure ? "OnFailure" : "Never"));
  if (!s.hostname.empty()) spec.set("hostname", str(object_name(s.hostname)));
  if (!s.extra_hosts.empty()) {
    Node aliases = Node::sequence();
    for (const std::string& h : s.extra_hosts) {
      size_t eq = h.find('=');
      Node a = Node::mapping();
      a.set("ip", str(h.substr(eq + 1)));
      a.set("hostnames", list({h.substr(0, eq)}));
      aliases.push_back(a);
    }
    spec.set("hostAliases", aliases);
  }
  if (!s.sysctls.empty()) {
    Node sysctls = Node::sequence();
    for (const auto& [name, value] : s.sysctls) {
      Node sc = Node::mapping();
      sc.set("name", str(name));
      sc.set("value", str(value));
      sysctls.push_back(sc);
    }
    Node psc = Node::mapping();
    psc.set("sysctls", sysctls);
    spec.set("securityContext", psc);
  }
  if (!s.platform.empty()) {
    Node selector = Node::mapping();
    size_t slash = s.platform.find('/');
    selector.set("kubernetes.io/os", str(s.platform.substr(0, slash)));
    selector.set("kubernetes.io/arch", str(s.platform.substr(slash + 1, s.platform.find('/', slash + 1) - slash - 1)));
    spec.set("nodeSelector", selector);
  }

  Node labels = selector_labels(t.project.name, s.name);
  for (const auto& [network, attachment] : s.networks) labels.set("stack.network/" + object_name(network), str("true"));
  Node metadata = Node::mapping();
  metadata.set("labels", labels);
  Node out = Node::mapping();
  out.set("metadata", metadata);
  out.set("spec", spec);
  return out;
}

}  // namespace stack::kube
