#include "schema/project.h"

#include <algorithm>
#include <cstdio>

#include "schema/units.h"

namespace stack::schema {
namespace {

std::string str(const Node* n, std::string fallback = {}) { return n && n->is_scalar() ? n->text() : fallback; }
bool flag(const Node* n) { return n && n->as_bool().value_or(false); }
std::int64_t duration(const Node* n, std::int64_t fallback) {
  return n && n->is_scalar() ? parse_duration(n->text()).value_or(fallback) : fallback;
}

std::vector<std::string> strings(const Node* n) {
  std::vector<std::string> out;
  if (n)
    for (const Node& item : n->items()) out.push_back(item.text());
  return out;
}

std::map<std::string, std::string> string_map(const Node* n) {
  std::map<std::string, std::string> out;
  if (n)
    for (const Entry& e : n->entries()) out[e.key] = e.value.is_scalar() ? e.value.text() : "";
  return out;
}

DeviceRequest device_request(const Node& n) {
  DeviceRequest r;
  r.capabilities = strings(n.find("capabilities"));
  r.driver = str(n.find("driver"));
  if (const Node* c = n.find("count")) r.count = c->text() == "all" ? -1 : static_cast<int>(c->as_int().value_or(0));
  r.device_ids = strings(n.find("device_ids"));
  r.options = string_map(n.find("options"));
  return r;
}

ServiceSpec service(const std::string& name, const Node& s) {
  ServiceSpec out;
  out.name = name;
  out.mark = s.mark();
  out.image = str(s.find("image"));
  if (const Node* b = s.find("build")) {
    out.build_context = str(b->find("context"));
    out.build_dockerfile = str(b->find("dockerfile"));
    if (const Node* t = b->find("target")) out.build_target = t->text();
    out.build_args = string_map(b->find("args"));
    out.build_labels = string_map(b->find("labels"));
    if (const Node* d = b->find("dockerfile_inline")) out.build_dockerfile_inline = d->text();
    out.build_tags = strings(b->find("tags"));
    if (const Node* n = b->find("no_cache")) out.build_no_cache = n->as_bool().value_or(false);
  }
  if (const Node* p = s.find("pull_policy")) out.pull_policy = p->text() == "if_not_present" ? "missing" : p->text();
  out.platform = str(s.find("platform"));
  if (const Node* c = s.find("command")) out.command = strings(c);
  if (const Node* e = s.find("entrypoint")) out.entrypoint = strings(e);
  if (const Node* env = s.find("environment")) {
    for (const Entry& e : env->entries())
      out.environment[e.key] = e.value.is_null() ? std::nullopt : std::optional<std::string>(e.value.text());
  }
  out.labels = string_map(s.find("labels"));
  out.working_dir = str(s.find("working_dir"));
  out.user = str(s.find("user"));
  out.hostname = str(s.find("hostname"));
  out.container_name = str(s.find("container_name"));
  if (const Node* ports = s.find("ports")) {
    for (const Node& p : ports->items())
      out.ports.push_back({str(p.find("host_ip")), str(p.find("published")),
                           static_cast<int>(p.find("target")->as_int().value_or(0)), str(p.find("protocol"), "tcp")});
  }
  out.expose = strings(s.find("expose"));
  if (const Node* vols = s.find("volumes")) {
    for (const Node& v : vols->items()) {
      MountSpec m;
      m.mark = v.mark();
      std::string type = str(v.find("type"));
      m.type = type == "bind" ? MountSpec::Type::Bind : type == "tmpfs" ? MountSpec::Type::Tmpfs : MountSpec::Type::Volume;
      m.source = str(v.find("source"));
      m.target = str(v.find("target"));
      m.read_only = flag(v.find("read_only"));
      if (const Node* b = v.find("bind")) {
        m.create_host_path = !b->find("create_host_path") || flag(b->find("create_host_path"));
        m.propagation = str(b->find("propagation"));
      }
      if (const Node* vo = v.find("volume")) {
        m.nocopy = flag(vo->find("nocopy"));
        m.subpath = str(vo->find("subpath"));
      }
      if (const Node* t = v.find("tmpfs")) {
        if (const Node* size = t->find("size")) {
          m.tmpfs_size = size->as_int();
          m.tmpfs_options = "size=" + size->text();
        }
        if (const Node* mode = t->find("mode")) {
          char octal[16];
          std::snprintf(octal, sizeof octal, "mode=%llo", static_cast<unsigned long long>(mode->as_int().value_or(0)));
          m.tmpfs_options += (m.tmpfs_options.empty() ? "" : ",") + std::string(octal);
        }
      }
      out.mounts.push_back(std::move(m));
    }
  }
  for (const std::string& t : strings(s.find("tmpfs"))) {
    MountSpec m;
    m.type = MountSpec::Type::Tmpfs;
    m.target = t.substr(0, t.find(':'));
    // "/run:size=64m,mode=1777": the size option, as Docker reads it.
    if (size_t colon = t.find(':'); colon != std::string::npos) {
      std::string options = t.substr(colon + 1);
      for (size_t b = 0; b <= options.size();) {
        size_t e = options.find(',', b);
        if (e == std::string::npos) e = options.size();
        std::string option = options.substr(b, e - b);
        if (option.rfind("size=", 0) == 0) {
          if (std::optional<std::int64_t> bytes = parse_bytes(option.substr(5))) {
            m.tmpfs_size = *bytes;
            m.tmpfs_options += (m.tmpfs_options.empty() ? "" : ",") + ("size=" + std::to_string(*bytes));
          }
        } else if (option.rfind("mode=", 0) == 0 || option.rfind("uid=", 0) == 0 || option.rfind("gid=", 0) == 0) {
          m.tmpfs_options += (m.tmpfs_options.empty() ? "" : ",") + option;  // as tmpfs(5) reads them
        }
        b = e + 1;
      }
    }
    out.mounts.push_back(std::move(m));
  }
  if (const Node* nets = s.find("networks")) {
    for (const Entry& e : nets->entries()) {
      NetworkAttachment a;
      if (e.value.is_mapping()) {
        a.aliases = strings(e.value.find("aliases"));
        a.ipv4_address = str(e.value.find("ipv4_address"));
        if (const Node* p = e.value.find("priority")) a.priority = static_cast<int>(p->as_int().value_or(0));
      }
      out.networks[e.key] = a;
    }
  }
  out.network_mode = str(s.find("network_mode"));
  if (const Node* deps = s.find("depends_on")) {
    for (const Entry& e : deps->entries()) {
      DependsOnSpec d;
      std::string c = str(e.value.find("condition"));
      d.condition = c == "service_healthy"                  ? DependsOnSpec::Condition::Healthy
                    : c == "service_completed_successfully" ? DependsOnSpec::Condition::CompletedSuccessfully
                                                            : DependsOnSpec::Condition::Started;
      d.required = flag(e.value.find("required"));
      d.restart = flag(e.value.find("restart"));
      d.mark = e.key_mark;
      out.depends_on[e.key] = d;
    }
  }
  if (const Node* h = s.find("healthcheck")) {
    HealthcheckSpec hc;
    hc.disabled = flag(h->find("disable"));
    hc.test = strings(h->find("test"));
    hc.interval_ns = duration(h->find("interval"), 30'000'000'000);
    hc.timeout_ns = duration(h->find("timeout"), 30'000'000'000);
    hc.start_period_ns = duration(h->find("start_period"), 0);
    hc.start_interval_ns = duration(h->find("start_interval"), 5'000'000'000);
    if (const Node* r = h->find("retries")) hc.retries = static_cast<int>(r->as_int().value_or(3));
    out.healthcheck = hc;
  }
  std::string restart = str(s.find("restart"), "no");
  const Node* deploy = s.find("deploy");
  if (const Node* rp = deploy ? deploy->find("restart_policy") : nullptr; rp && !s.find("restart")) {
    std::string c = str(rp->find("condition"), "any");
    restart = c == "none" ? "no" : c == "on-failure" ? "on-failure" : "always";
    if (const Node* m = rp->find("max_attempts"); m && c == "on-failure") restart += ":" + m->text();
  }
  if (restart == "always") out.restart.mode = RestartPolicy::Mode::Always;
  else if (restart == "unless-stopped") out.restart.mode = RestartPolicy::Mode::UnlessStopped;
  else if (restart.rfind("on-failure", 0) == 0) {
    out.restart.mode = RestartPolicy::Mode::OnFailure;
    if (restart.size() > 11) out.restart.max_retries = std::stoi(restart.substr(11));
  }
  // deploy.resources.limits wins over the older service-level spellings.
  if (const Node* c = s.find("cpus")) out.cpus = c->as_number();
  if (const Node* m = s.find("mem_limit")) out.memory_bytes = m->as_int();
  if (const Node* p = s.find("pids_limit")) out.pids_limit = p->as_int();
  if (const Node* res = deploy ? deploy->find("resources") : nullptr) {
    if (const Node* lim = res->find("limits")) {
      if (const Node* c = lim->find("cpus")) out.cpus = c->as_number();
      if (const Node* m = lim->find("memory")) out.memory_bytes = m->as_int();
      if (const Node* p = lim->find("pids")) out.pids_limit = p->as_int();
    }
    if (const Node* r = res->find("reservations"); r && r->find("devices"))
      for (const Node& d : r->find("devices")->items()) out.device_requests.push_back(device_request(d));
  }
  if (const Node* g = s.find("gpus"))
    for (const Node& d : g->items()) out.device_requests.push_back(device_request(d));
  if (const Node* devs = s.find("devices")) {
    for (const Node& d : devs->items())
      out.devices.push_back({str(d.find("source")), str(d.find("target")), str(d.find("permissions"))});
  }
  out.cap_add = strings(s.find("cap_add"));
  out.cap_drop = strings(s.find("cap_drop"));
  out.security_opt = strings(s.find("security_opt"));
  out.dns = strings(s.find("dns"));
  out.dns_search = strings(s.find("dns_search"));
  out.dns_opt = strings(s.find("dns_opt"));
  out.extra_hosts = strings(s.find("extra_hosts"));
  for (const std::string& link : strings(s.find("links"))) {
    size_t colon = link.find(':');
    out.links[colon == std::string::npos ? link : link.substr(colon + 1)] = link.substr(0, colon);
  }
  out.profiles = strings(s.find("profiles"));
  out.privileged = flag(s.find("privileged"));
  out.read_only = flag(s.find("read_only"));
  out.init = flag(s.find("init"));
  out.tty = flag(s.find("tty"));
  out.stdin_open = flag(s.find("stdin_open"));
  out.stop_signal = str(s.find("stop_signal"), "SIGTERM");
  out.stop_grace_period_ns = duration(s.find("stop_grace_period"), out.stop_grace_period_ns);
  if (const Node* shm = s.find("shm_size")) out.shm_size = shm->as_int();
  if (const Node* u = s.find("ulimits"))
    for (const Entry& e : u->entries())
      out.ulimits[e.key] = {e.value.find("soft")->as_int().value_or(0), e.value.find("hard")->as_int().value_or(0)};
  out.sysctls = string_map(s.find("sysctls"));
  for (const char* section : {"secrets", "configs"}) {
    const Node* grants = s.find(section);
    if (!grants) continue;
    for (const Node& g : grants->items()) {
      FileGrant grant{str(g.find("source")), str(g.find("target")), {}, {}, {}, g.mark()};
      auto number = [&](const char* key) -> std::optional<std::uint32_t> {
        const Node* n = g.find(key);
        if (!n) return std::nullopt;
        return static_cast<std::uint32_t>(std::stoul(n->text(), nullptr, key == std::string("mode") ? 8 : 10));
      };
      grant.uid = number("uid");
      grant.gid = number("gid");
      grant.mode = number("mode");
      (section == std::string("secrets") ? out.secrets : out.configs).push_back(std::move(grant));
    }
  }
  auto integer = [&s](const char* key) { return s.find(key) ? s.find(key)->as_int() : std::nullopt; };
  out.cpu_shares = integer("cpu_shares");
  if (out.cpu_shares == 0) out.cpu_shares.reset();  // Docker's "unset"
  out.cpu_period = integer("cpu_period");
  out.cpu_quota = integer("cpu_quota");
  out.mem_reservation = integer("mem_reservation");
  if (const Node* r = deploy ? deploy->find("resources") : nullptr)
    if (const Node* m = r->find("reservations") ? r->find("reservations")->find("memory") : nullptr) out.mem_reservation = m->as_int();
  out.memswap_limit = integer("memswap_limit");
  out.mem_swappiness = integer("mem_swappiness");
  if (out.mem_swappiness == -1) out.mem_swappiness.reset();  // Docker's "the host's default"
  out.cpuset = str(s.find("cpuset"));
  out.oom_kill_disable = flag(s.find("oom_kill_disable"));
  out.oom_score_adj = static_cast<int>(integer("oom_score_adj").value_or(0));
  out.group_add = strings(s.find("group_add"));
  out.device_cgroup_rules = strings(s.find("device_cgroup_rules"));
  if (const Node* l = s.find("logging")) {
    out.log_driver = str(l->find("driver"));
    out.log_options = string_map(l->find("options"));
  }
  if (const Node* r = deploy ? deploy->find("replicas") : nullptr) out.replicas = static_cast<int>(r->as_int().value_or(1));
  if (const Node* sc = s.find("scale")) out.replicas = static_cast<int>(sc->as_int().value_or(1));
  return out;
}

}  // namespace

const ServiceSpec* Project::service(const std::string& name) const {
  for (const ServiceSpec& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

const FileObjectSpec* Project::secret(const std::string& key) const {
  for (const FileObjectSpec& s : secrets)
    if (s.key == key) return &s;
  return nullptr;
}

const FileObjectSpec* Project::config(const std::string& key) const {
  for (const FileObjectSpec& c : configs)
    if (c.key == key) return &c;
  return nullptr;
}

Project build_project(const Node& tree, const std::string& project_dir,
                      const std::map<std::string, std::string>& environment) {
  Project p;
  p.name = str(tree.find("name"));
  p.working_dir = project_dir;
  if (const Node* services = tree.find("services")) {
    // Built in name order straight into place: a ServiceSpec is large.
    std::vector<const Entry*> sorted;
    for (const Entry& e : services->entries()) sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) { return a->key < b->key; });
    p.services.reserve(sorted.size());
    for (const Entry* e : sorted) p.services.push_back(service(e->key, e->value));
  }
  if (const Node* networks = tree.find("networks")) {
    for (const Entry& e : networks->entries()) {
      NetworkSpec n;
      n.key = e.key;
      n.name = str(e.value.find("name"));
      n.driver = str(e.value.find("driver"), "bridge");
      n.external = flag(e.value.find("external"));
      n.internal = flag(e.value.find("internal"));
      if (const Node* ipam = e.value.find("ipam"); ipam && ipam->find("config"))
        for (const Node& c : ipam->find("config")->items())
          n.pools.push_back({str(c.find("subnet")), str(c.find("gateway")), str(c.find("ip_range"))});
      n.labels = string_map(e.value.find("labels"));
      n.driver_opts = string_map(e.value.find("driver_opts"));
      p.networks.push_back(std::move(n));
    }
  }
  if (const Node* volumes = tree.find("volumes")) {
    for (const Entry& e : volumes->entries())
      p.volumes.push_back({e.key, str(e.value.find("name")), flag(e.value.find("external")),
                           string_map(e.value.find("labels"))});
  }
  for (const char* section : {"secrets", "configs"}) {
    const Node* objects = tree.find(section);
    if (!objects) continue;
    for (const Entry& e : objects->entries()) {
      FileObjectSpec o{e.key, str(e.value.find("name")), str(e.value.find("file")), str(e.value.find("environment")),
                       std::nullopt, e.key_mark};
      if (const Node* content = e.value.find("content")) o.value = content->text();
      if (auto it = environment.find(o.environment); !o.environment.empty() && it != environment.end()) o.value = it->second;
      (section == std::string("secrets") ? p.secrets : p.configs).push_back(std::move(o));
    }
  }
  return p;
}

}  // namespace stack::schema
