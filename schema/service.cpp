// The service attribute table: every key of the Compose Specification's service, normalized or warned about.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "schema/dotenv.h"
#include "schema/names.h"
#include "schema/service_attributes.h"
#include "schema/shapes.h"
#include "schema/units.h"
#include "runtime/kernel_settings.h"
#include "runtime/log_options.h"

namespace stack::schema {
namespace {

using Cx = NormalizeContext;

const std::vector<std::string_view> kCapabilities = {
    "ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN",
    "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
    "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT",
    "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG", "WAKE_ALARM"};

std::optional<Node> capabilities(const Node& v, const std::string& path, Cx& cx) {
  auto list = check_string_list(v, path, cx);
  if (!list) return std::nullopt;
  Node out = Node::sequence(v.mark());
  for (size_t i = 0; i < list->items().size(); ++i) {
    std::string name = list->items()[i].text();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
    if (name.rfind("CAP_", 0) == 0) name = name.substr(4);
    if (std::find(kCapabilities.begin(), kCapabilities.end(), name) == kCapabilities.end()) {
      std::string message = "unknown capability \"" + list->items()[i].text() + "\"";
      std::string near = closest_name(name, kCapabilities);
      if (!near.empty()) message += " (did you mean \"" + near + "\"?)";
      cx.diags.error(list->items()[i].mark(), path_index(path, i), message);
      continue;
    }
    out.push_back(Node::string(name, list->items()[i].mark()));
  }
  return out;
}

std::optional<Node> command(const Node& v, const std::string& path, Cx& cx) {
  if (v.is_scalar()) {
    std::string error;
    auto words = split_shell_words(v.text(), &error);
    if (!words) {
      cx.diags.error(v.mark(), path, error);
      return std::nullopt;
    }
    Node out = Node::sequence(v.mark());
    for (auto& w : *words) out.push_back(Node::string(std::move(w), v.mark()));
    return out;
  }
  return check_string_list(v, path, cx);
}

// A string entrypoint is the shell form, as in a Dockerfile.
std::optional<Node> entrypoint(const Node& v, const std::string& path, Cx& cx) {
  if (v.is_scalar()) {
    Node out = Node::sequence(v.mark());
    out.push_back(Node::string("/bin/sh", v.mark()));
    out.push_back(Node::string("-c", v.mark()));
    out.push_back(Node::string(v.text(), v.mark()));
    return out;
  }
  return check_string_list(v, path, cx);
}

std::optional<Node> restart(const Node& v, const std::string& path, Cx& cx) {
  auto s = check_string(v, path, cx);
  if (!s) return std::nullopt;
  const std::string& t = s->text();
  if (t == "no" || t == "always" || t == "unless-stopped" || t == "on-failure") return s;
  if (t.rfind("on-failure:", 0) == 0) {
    std::string n = t.substr(11);
    if (!n.empty() && n.size() < 10 && std::all_of(n.begin(), n.end(), ::isdigit)) return s;
  }
  // A plain `no` in YAML 1.1 files arrives as the boolean false.
  if (v.type() == Node::Type::Bool && t == "false") return Node::string("no", v.mark());
  cx.diags.error(v.mark(), path, "expected no, always, on-failure[:N] or unless-stopped, got \"" + t + "\"");
  return std::nullopt;
}

std::optional<Node> stop_signal(const Node& v, const std::string& path, Cx& cx) {
  auto s = check_string(v, path, cx);
  if (!s) return std::nullopt;
  std::string t = s->text();
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::toupper(c); });
  if (!t.empty() && std::all_of(t.begin(), t.end(), ::isdigit)) return Node::string(t, v.mark());
  if (t.rfind("SIG", 0) != 0) t = "SIG" + t;
  static const std::vector<std::string_view> kSignals = {
      "SIGABRT", "SIGALRM", "SIGBUS", "SIGCHLD", "SIGCONT", "SIGFPE", "SIGHUP", "SIGILL", "SIGINT", "SIGIO",
      "SIGKILL", "SIGPIPE", "SIGPROF", "SIGPWR", "SIGQUIT", "SIGSEGV", "SIGSTOP", "SIGSYS", "SIGTERM", "SIGTRAP",
      "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGUSR1", "SIGUSR2", "SIGVTALRM", "SIGWINCH", "SIGXCPU", "SIGXFSZ"};
  if (std::find(kSignals.begin(), kSignals.end(), t) == kSignals.end() && t.rfind("SIGRTMIN", 0) != 0 &&
      t.rfind("SIGRTMAX", 0) != 0) {
    cx.diags.error(v.mark(), path, "unknown signal \"" + s->text() + "\"");
    return std::nullopt;
  }
  return Node::string(t, v.mark());
}

std::optional<Node> container_name(const Node& v, const std::string& path, Cx& cx) {
  auto s = check_string(v, path, cx);
  if (!s) return std::nullopt;
  if (awaits_interpolation(s->text(), cx)) return s;
  if (auto problem = object_name_problem(s->text())) {
    cx.diags.error(v.mark(), path, "invalid container name \"" + excerpt(s->text()) + "\": it " + *problem);
    return std::nullopt;
  }
  return s;
}

// An image reference Docker would parse, checked before anything is pulled or built.
std::optional<Node> image(const Node& v, const std::string& path, Cx& cx) {
  auto s = check_string(v, path, cx);
  if (!s) return std::nullopt;
  if (awaits_interpolation(s->text(), cx)) return s;
  if (auto problem = image_reference_problem(s->text())) {
    cx.diags.error(v.mark(), path, "invalid image reference \"" + excerpt(s->text()) + "\": it " + *problem);
    return s;  // kept, so that the service is not also said to have no image
  }
  return s;
}

std::optional<Node> working_dir(const Node& v, const std::string& path, Cx& cx) {
  auto s = check_string(v, path, cx);
  if (s && (s->text().empty() || s->text()[0] != '/')) {
    cx.diags.error(v.mark(), path, "the working directory must be an absolute path, got \"" + s->text() + "\"");
    return std::nullopt;
  }
  return s;
}

// always, missing (if_not_present), never, build, daily, weekly, every_<duration>.
std::optional<Node> pull_policy(const Node& v, const std::string& path, Cx& cx) {
  if (v.is_scalar() && v.text().rfind("every_", 0) == 0) {
    std::optional<std::int64_t> ns = parse_duration(v.text().substr(6));
    if (ns && *ns > 0) return Node::string(v.text(), v.mark());
    cx.diags.error(v.mark(), path, "expected every_<duration> such as every_12h, got \"" + v.text() + "\"");
    return std::nullopt;
  }
  return check_enum(v, path, cx, {"always", "missing", "never", "build", "if_not_present", "daily", "weekly"});
}

// OS/ARCH[/VARIANT], as linux/amd64 or linux/arm64/v8.
std::optional<Node> platform(const Node& v, const std::string& path, Cx& cx) {
  auto s = check_string(v, path, cx);
  if (!s) return std::nullopt;
  const std::string& t = s->text();
  size_t slashes = static_cast<size_t>(std::count(t.begin(), t.end(), '/'));
  if (slashes < 1 || slashes > 2 || t.front() == '/' || t.back() == '/' || t.find("//") != std::string::npos) {
    cx.diags.error(v.mark(), path, "expected OS/ARCH[/VARIANT] such as linux/amd64, got \"" + t + "\"");
    return std::nullopt;
  }
  return s;
}

std::optional<Node> profiles(const Node& v, const std::string& path, Cx& cx) {
  auto list = check_string_list(v, path, cx);
  if (!list) return std::nullopt;
  for (size_t i = 0; i < list->items().size(); ++i) {
    const std::string& p = list->items()[i].text();
    bool ok = !p.empty() && std::isalnum(static_cast<unsigned char>(p[0]));
    for (char c : p) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok) cx.diags.error(list->items()[i].mark(), path_index(path, i), "invalid profile name \"" + p + "\"");
  }
  return list;
}

std::optional<Node> build(const Node& v, const std::string& path, Cx& cx) {
  static const std::vector<Field> fields = {
      {"context", check_string},
      {"dockerfile", check_string},
      {"args", check_string_map},
      {"target", check_string},
      {"labels", check_string_map},
      {"dockerfile_inline", check_string},
      {"additional_contexts", keep_as_is, false},
      {"cache_from", keep_as_is, false},
      {"cache_to", keep_as_is, false},
      {"entitlements", keep_as_is, false},
      {"extra_hosts", keep_as_is, false},
      {"isolation", keep_as_is, false},
      {"network", keep_as_is, false},
      {"no_cache", check_bool},
      {"platforms", keep_as_is, false},
      {"privileged", keep_as_is, false},
      {"provenance", keep_as_is, false},
      {"pull", keep_as_is, false},
      {"sbom", keep_as_is, false},
      {"secrets", keep_as_is, false},
      {"shm_size", keep_as_is, false},
      {"ssh", keep_as_is, false},
      {"tags", [](const Node& n, const std::string& p, Cx& c) -> std::optional<Node> {
         auto tags = check_string_list(n, p, c);
         if (!tags) return std::nullopt;
         for (size_t i = 0; i < tags->items().size(); ++i)
           if (!image(tags->items()[i], path_index(p, i), c)) return std::nullopt;
         return tags;
       }},
      {"ulimits", keep_as_is, false},
  };
  Node spec = v;
  if (v.is_scalar()) {
    spec = Node::mapping(v.mark());
    spec.set("context", v);
  }
  auto out = check_object(spec, path, cx, fields);
  if (!out) return std::nullopt;
  Node* context = out->find("context");
  std::string ctx = context ? context->text() : ".";
  bool remote = ctx.find("://") != std::string::npos || ctx.rfind("git@", 0) == 0;
  out->set("context", Node::string(remote ? ctx : absolute_path(ctx, cx), v.mark()));
  if (!out->find("dockerfile") && !out->find("dockerfile_inline"))
    out->set("dockerfile", Node::string("Dockerfile", v.mark()));
  if (Node* args = out->find("args")) {
    // `ARG` with no value takes it from the environment, as Compose does.
    for (Entry& e : args->entries())
      if (e.value.is_null())
        if (auto value = cx.environment(e.key)) e.value = Node::string(*value, e.value.mark());
  }
  return out;
}

std::optional<Node> depends_on(const Node& v, const std::string& path, Cx& cx) {
  auto map = list_to_map(v, ListSplit::NameOnly, path, cx.diags);
  if (!map) return std::nullopt;
  static const std::vector<Field> fields = {
      {"condition", [](const Node& n, const std::string& p, Cx& c) {
         return check_enum(n, p, c, {"service_started", "service_healthy", "service_completed_successfully"});
       }},
      {"required", check_bool},
      {"restart", check_bool},
  };
  Node out = Node::mapping(v.mark());
  for (const Entry& e : map->entries()) {
    std::string p = path_key(path, e.key);
    Node dep = Node::mapping(e.value.mark().known() ? e.value.mark() : e.key_mark);
    if (!e.value.is_null()) {
      auto o = check_object(e.value, p, cx, fields);
      if (!o) continue;
      dep = std::move(*o);
    }
    const Mark& m = e.key_mark;
    if (!dep.find("condition")) dep.set("condition", Node::string("service_started", m));
    if (!dep.find("required")) dep.set("required", Node::boolean(true, m));
    if (!dep.find("restart")) dep.set("restart", Node::boolean(false, m));
    out.append(e.key, std::move(dep), e.key_mark);
  }
  return out;
}

std::optional<Node> networks(const Node& v, const std::string& path, Cx& cx) {
  auto map = list_to_map(v, ListSplit::NameOnly, path, cx.diags);
  if (!map) return std::nullopt;
  static const std::vector<Field> fields = {
      {"aliases", [](const Node& n, const std::string& p, Cx& c) { return check_string_list(n, p, c); }},
      {"ipv4_address", check_string},
      {"ipv6_address", [](const Node& n, const std::string& p, Cx& c) -> std::optional<Node> {
         c.diags.error(n.mark(), p, "stack's networks are IPv4 only: a container gets no IPv6 address");
         return std::nullopt;
       }},
      {"priority", [](const Node& n, const std::string& p, Cx& c) { return check_int(n, p, c); }},
      {"gw_priority", [](const Node& n, const std::string& p, Cx& c) -> std::optional<Node> {
         auto out = check_int(n, p, c);
         if (out) c.diags.ignored(n.mark(), p, "the default route is through the first network (by priority); ignored");
         return out;
       }},
      {"mac_address", keep_as_is, false},
      {"link_local_ips", keep_as_is, false},
      {"driver_opts", keep_as_is, false},
      {"interface_name", keep_as_is, false},
  };
  Node out = Node::mapping(v.mark());
  for (const Entry& e : map->entries()) {
    if (e.value.is_null()) {
      out.append(e.key, Node::null(e.key_mark), e.key_mark);
      continue;
    }
    auto o = check_object(e.value, path_key(path, e.key), cx, fields);
    if (!o) continue;
    if (const Node* ip = o->find("ipv4_address")) {
      int a, b, c, d;
      char tail;
      if (std::sscanf(ip->text().c_str(), "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) != 4 || a < 0 || a > 255 ||
          b < 0 || b > 255 || c < 0 || c > 255 || d < 0 || d > 255) {
        cx.diags.error(ip->mark(), path_key(path_key(path, e.key), "ipv4_address"),
                       "invalid IPv4 address \"" + ip->text() + "\"");
        continue;
      }
    }
    out.append(e.key, std::move(*o), e.key_mark);
  }
  return out;
}

// none: loopback only; host: the host's namespace; service:NAME and
// container:NAME: the namespace of that container, as Docker. Anything
// else Docker takes for a network's name, which here is said with
// networks:.
std::optional<Node> network_mode(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (!v.is_scalar()) {
    cx.diags.error(v.mark(), path, "expected a network mode such as none");
    return std::nullopt;
  }
  const std::string& mode = v.text();
  if (mode == "none" || mode == "host") return v;
  for (const char* prefix : {"service:", "container:"}) {
    if (mode.rfind(prefix, 0) != 0) continue;
    if (mode.size() == std::string(prefix).size()) {
      cx.diags.error(v.mark(), path, "\"" + mode + "\" names no " + std::string(prefix, std::string(prefix).size() - 1));
      return std::nullopt;
    }
    return v;
  }
  std::string message = "unknown network mode \"" + mode + "\" (one of none, host, service:NAME, container:NAME)";
  message += mode == "bridge" || mode == "default"
                 ? ": stack has no shared default bridge; leave network_mode out to join the project's default network"
                 : "; to join a network, list it under networks:";
  cx.diags.error(v.mark(), path, message);
  return std::nullopt;
}

// What Docker refuses beside a network mode that is not the container's
// own, at the key that conflicts. dns_search and dns_opt, which Docker
// silently ignores beside another container's namespace (the container
// gets that one's resolv.conf), are refused too.
void check_network_mode_conflicts(const Node& service, const std::string& path, Cx& cx) {
  const Node* mode = service.find("network_mode");
  if (!mode) return;
  const std::string& m = mode->text();
  bool joined = m.rfind("service:", 0) == 0 || m.rfind("container:", 0) == 0;
  std::vector<std::string> refused = {"networks", "ports"};
  if (m == "host" || joined) refused.push_back("links");
  if (joined)
    for (const char* key : {"expose", "hostname", "dns", "dns_search", "dns_opt", "extra_hosts"}) refused.push_back(key);
  for (const Entry& e : service.entries()) {
    if (std::find(refused.begin(), refused.end(), e.key) == refused.end()) continue;
    std::string why = e.key == "networks" ? "network_mode and networks cannot be combined"
                      : e.key == "ports" ? "ports cannot be published with network_mode " + m
                                         : e.key + " cannot be set with network_mode " + m;
    if (joined && e.key != "networks" && e.key != "ports") why += " (the container has that one's)";
    cx.diags.error(e.key_mark, path_key(path, e.key), why);
  }
  // Network sysctls beside the host's namespace would change the host.
  if (const Node* sysctls = m == "host" ? service.find("sysctls") : nullptr)
    for (const Entry& e : sysctls->entries())
      if (e.key.rfind("net.", 0) == 0)
        cx.diags.error(e.key_mark, path_key(path_key(path, "sysctls"), e.key),
                       "\"" + e.key + "\" would change the host's network namespace (network_mode host)");
}

std::optional<Node> extra_hosts(const Node& v, const std::string& path, Cx& cx) {
  auto map = list_to_map(v, ListSplit::HostEntry, path, cx.diags);
  if (!map) return std::nullopt;
  Node out = Node::sequence(v.mark());
  for (const Entry& e : map->entries()) {
    auto ips = e.value.is_sequence() ? check_string_list(e.value, path_key(path, e.key), cx)
                                     : check_string_list(e.value, path_key(path, e.key), cx, true);
    if (!ips) continue;
    for (const Node& ip : ips->items()) {
      std::string addr = ip.text();
      if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
      out.push_back(Node::string(e.key + "=" + addr, ip.mark()));
    }
  }
  return out;
}

// A file mode as Compose reads one: octal when quoted or written with a
// leading 0 (0440, "440", 0o440), decimal otherwise (288).
std::optional<Node> file_mode(const Node& v, const std::string& path, Cx& cx) {
  if (!v.is_scalar() || v.text().empty()) {
    cx.diags.error(v.mark(), path, "expected a file mode such as 0440");
    return std::nullopt;
  }
  std::optional<std::int64_t> mode = parse_file_mode(v.text(), !v.plain_written());
  if (!mode) {
    cx.diags.error(v.mark(), path, "invalid file mode \"" + excerpt(v.text()) + "\": expected octal permissions such as 0440");
    return std::nullopt;
  }
  char text[8];
  std::snprintf(text, sizeof text, "0%o", static_cast<unsigned>(*mode));
  return Node::string(text, v.mark());
}

std::optional<Node> numeric_id(const Node& v, const std::string& path, Cx& cx) {
  auto n = check_int(v, path, cx, 0, 4294967294LL);
  if (!n) return std::nullopt;
  return Node::string(std::to_string(*n->as_int()), v.mark());
}

// A service's secrets: or configs:, short (NAME) or long syntax, made long
// with the target absolute: a secret's relative one is under /run/secrets,
// a config's under /, as Compose places them.
std::optional<Node> file_grants(const Node& v, const std::string& path, Cx& cx, const std::string& base) {
  static const std::vector<Field> fields = {
      {"source", check_string}, {"target", check_string}, {"uid", numeric_id}, {"gid", numeric_id}, {"mode", file_mode},
  };
  if (!v.is_sequence()) {
    cx.diags.error(v.mark(), path, "expected a list of names or of {source, target, uid, gid, mode}");
    return std::nullopt;
  }
  Node out = Node::sequence(v.mark());
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Node& item = v.items()[i];
    std::string p = path_index(path, i);
    Node grant = Node::mapping(item.mark());
    if (item.is_scalar()) {
      auto name = check_string(item, p, cx);
      if (!name) continue;
      grant.set("source", *name);
    } else {
      auto o = check_object(item, p, cx, fields);
      if (!o) continue;
      if (!o->find("source")) {
        cx.diags.error(item.mark(), p, "missing required key \"source\"");
        continue;
      }
      grant = std::move(*o);
    }
    const Node* target = grant.find("target");
    std::string where = target ? target->text() : grant.find("source")->text();
    if (where.empty() || where[0] != '/') where = base + where;
    if (auto problem = container_path_problem(where)) {
      cx.diags.error(target ? target->mark() : item.mark(), path_key(p, "target"), "the container path " + *problem);
      continue;
    }
    grant.set("target", Node::string(where, target ? target->mark() : item.mark()));
    out.push_back(std::move(grant));
  }
  return out;
}

// links: SERVICE or SERVICE:ALIAS, each a name the linking container finds
// the service by (as Compose on a user-defined network: an alias of its
// own, besides the service's name).
std::optional<Node> links(const Node& v, const std::string& path, Cx& cx) {
  auto list = check_string_list(v, path, cx);
  if (!list) return std::nullopt;
  for (size_t i = 0; i < list->items().size(); ++i) {
    const std::string& link = list->items()[i].text();
    size_t colon = link.find(':');
    std::string service = link.substr(0, colon), alias = colon == std::string::npos ? service : link.substr(colon + 1);
    // The alias becomes a name in the container's /etc/hosts.
    bool host_name = !alias.empty() && std::all_of(alias.begin(), alias.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
    if (service.empty() || !host_name) {
      cx.diags.error(list->items()[i].mark(), path_index(path, i),
                     "expected SERVICE or SERVICE:ALIAS (a host name), got \"" + excerpt(link) + "\"");
      return std::nullopt;
    }
  }
  return list;
}

std::optional<Node> env_file(const Node& v, const std::string& path, Cx& cx) {
  Node list = as_list(v);
  static const std::vector<Field> fields = {
      {"path", check_path},
      {"required", check_bool},
      {"format", keep_as_is, false},
  };
  Node out = Node::sequence(v.mark());
  for (size_t i = 0; i < list.items().size(); ++i) {
    const Node& item = list.items()[i];
    std::string p = path_index(path, i);
    Node entry = Node::mapping(item.mark());
    if (item.is_scalar()) {
      entry.set("path", Node::string(absolute_path(item.text(), cx), item.mark()));
    } else {
      auto o = check_object(item, p, cx, fields);
      if (!o) continue;
      if (!o->find("path")) {
        cx.diags.error(item.mark(), p, "missing required key \"path\"");
        continue;
      }
      entry = std::move(*o);
    }
    if (!entry.find("required")) entry.set("required", Node::boolean(true, item.mark()));
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<Node> logging(const Node& v, const std::string& path, Cx& cx) {
  static const std::vector<Field> fields = {
      {"driver", check_string},
      {"options", check_string_map},
  };
  auto out = check_object(v, path, cx, fields);
  if (!out) return std::nullopt;
  // Docker's default driver; its options are checked as that driver's.
  std::string driver = "json-file";
  if (const Node* d = out->find("driver"); d && !d->is_null()) {
    driver = d->text();
    if (!runtime::known_log_driver(driver)) {
      cx.diags.error(d->mark(), path_key(path, "driver"),
                     "logging driver \"" + driver + "\" is not supported: stack keeps a container's log in files "
                     "(json-file, local) or not at all (none)");
      return out;
    }
  }
  const Node* options = out->find("options");
  if (!options) return out;
  std::map<std::string, std::string> values;
  for (const Entry& e : options->entries()) {
    std::string p = path_key(path_key(path, "options"), e.key);
    std::string value = e.value.is_null() ? "" : e.value.text();
    values[e.key] = value;
    runtime::LogOptionCheck check = runtime::check_log_option(driver, e.key, value);
    if (check.kind == runtime::LogOptionCheck::Kind::Refused)
      cx.diags.error(e.key_mark, p, check.why);
    else if (check.kind == runtime::LogOptionCheck::Kind::Ignored)
      cx.diags.ignored(e.key_mark, p, check.why + "; ignored");
  }
  runtime::LogConfig config;
  if (std::optional<std::string> refused = runtime::log_config(driver, values, &config))
    cx.diags.error(options->mark(), path_key(path, "options"), *refused);
  return out;
}

std::optional<Node> sysctls(const Node& v, const std::string& path, Cx& cx) {
  auto map = check_string_map(v, path, cx);
  if (!map) return std::nullopt;
  for (const Entry& e : map->entries()) {
    if (e.value.is_null()) cx.diags.error(e.key_mark, path_key(path, e.key), "a sysctl needs a value");
    // Docker's rule: only those of a namespace the container has of its own.
    else if (!runtime::namespaced_sysctl(e.key))
      cx.diags.error(e.key_mark, path_key(path, e.key),
                     "\"" + e.key + "\" is not namespaced: setting it would change the host (allowed: net.*, "
                     "kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)");
  }
  return map;
}

std::optional<Node> labels(const Node& v, const std::string& path, Cx& cx) {
  auto map = check_string_map(v, path, cx);
  if (!map) return std::nullopt;
  for (Entry& e : map->entries())
    if (e.value.is_null()) e.value = Node::string("", e.value.mark());
  return map;
}

// Docker's cpu.shares range; 0 is its "unset".
std::optional<Node> cpu_shares(const Node& v, const std::string& path, Cx& cx) {
  auto n = check_int(v, path, cx);
  if (n && *n->as_int() != 0 && (*n->as_int() < 2 || *n->as_int() > 262144)) {
    cx.diags.error(v.mark(), path, n->text() + " is out of range (2..262144; 1024 is the default weight)");
    return std::nullopt;
  }
  return n;
}

std::optional<Node> cpuset(const Node& v, const std::string& path, Cx& cx) {
  auto s = check_string(v, path, cx);
  if (!s || awaits_interpolation(s->text(), cx)) return s;
  if (auto problem = runtime::cpuset_list_problem(s->text())) {
    cx.diags.error(v.mark(), path, "expected CPUs such as \"0-3\" or \"0,2\": " + *problem);
    return std::nullopt;
  }
  return s;
}

// Docker's bounds: a period of 1ms to 1s; a quota of at least 1ms, or -1 for none.
std::optional<Node> cpu_period(const Node& v, const std::string& p, Cx& cx) { return check_int(v, p, cx, 1000, 1000000); }
std::optional<Node> cpu_quota(const Node& v, const std::string& path, Cx& cx) {
  auto n = check_int(v, path, cx, -1);
  if (n && *n->as_int() >= 0 && *n->as_int() < 1000) {
    cx.diags.error(v.mark(), path, n->text() + " is below 1000 (1ms, the least quota the kernel takes; -1 for none)");
    return std::nullopt;
  }
  return n;
}

// Memory plus swap, or -1 for unlimited swap.
std::optional<Node> memswap_limit(const Node& v, const std::string& path, Cx& cx) {
  if (v.as_int() == -1) return Node::integer(-1, v.mark());
  return check_bytes(v, path, cx);
}

// -1 is Docker's "the host's default".
std::optional<Node> mem_swappiness(const Node& v, const std::string& p, Cx& cx) { return check_int(v, p, cx, -1, 100); }
std::optional<Node> oom_score_adj(const Node& v, const std::string& p, Cx& cx) { return check_int(v, p, cx, -1000, 1000); }

std::optional<Node> device_cgroup_rules(const Node& v, const std::string& path, Cx& cx) {
  auto list = check_string_list(v, path, cx);
  if (!list) return std::nullopt;
  for (size_t i = 0; i < list->items().size(); ++i) {
    const Node& rule = list->items()[i];
    if (!awaits_interpolation(rule.text(), cx) && !runtime::parse_device_cgroup_rule(rule.text()))
      cx.diags.error(rule.mark(), path_index(path, i),
                     "invalid device cgroup rule \"" + rule.text() +
                         "\": expected TYPE MAJOR:MINOR ACCESS such as \"c 1:3 mr\" (TYPE a, b or c; MAJOR and MINOR "
                         "a number or *; ACCESS of r, w and m)");
  }
  return list;
}

// Kept and warned about, with why stack leaves it as Docker would on Linux.
Normalizer ignored_because(std::string reason) {
  return [reason](const Node& v, const std::string& path, Cx& cx) -> std::optional<Node> {
    cx.diags.ignored(v.mark(), path, reason + "; ignored");
    return v;
  };
}

std::optional<Node> non_negative(const Node& n, const std::string& p, Cx& c) { return check_int(n, p, c, 0, 10000); }
std::optional<Node> string_list(const Node& n, const std::string& p, Cx& c) { return check_string_list(n, p, c); }
std::optional<Node> string_or_list(const Node& n, const std::string& p, Cx& c) { return check_string_list(n, p, c, true); }

// Real-time CPU time needs a budget handed down from the root cgroup
// (dockerd's --cpu-rt-runtime); stack hands none down, and cgroup v2 has none.
constexpr const char* kNoRealtime = "real-time CPU time needs a budget stack's cgroups are not given";

const std::vector<Field>& service_fields() {
  static const std::vector<Field> fields = {
      {"annotations", keep_as_is, false},
      {"attach", keep_as_is, false},
      {"blkio_config", keep_as_is, false},
      {"build", build},
      {"cap_add", capabilities},
      {"cap_drop", capabilities},
      {"cgroup", keep_as_is, false},
      {"cgroup_parent", keep_as_is, false},
      {"command", command},
      {"configs", [](const Node& n, const std::string& p, Cx& c) { return file_grants(n, p, c, "/"); }},
      {"container_name", container_name},
      {"cpu_count", ignored_because("Docker applies cpu_count on Windows only")},
      {"cpu_percent", ignored_because("Docker applies cpu_percent on Windows only")},
      {"cpu_period", cpu_period},
      {"cpu_quota", cpu_quota},
      {"cpu_rt_period", ignored_because(kNoRealtime)},
      {"cpu_rt_runtime", ignored_because(kNoRealtime)},
      {"cpu_shares", cpu_shares},
      {"cpus", check_cpus},
      {"cpuset", cpuset},
      {"credential_spec", keep_as_is, false},
      {"depends_on", depends_on},
      {"deploy", normalize_deploy},
      {"develop", keep_as_is, false},
      {"device_cgroup_rules", device_cgroup_rules},
      {"devices", normalize_devices},
      {"dns", string_or_list},
      {"dns_opt", string_list},
      {"dns_search", string_or_list},
      {"domainname", keep_as_is, false},
      {"entrypoint", entrypoint},
      {"env_file", env_file},
      {"environment", check_string_map},
      {"expose", normalize_expose},
      {"external_links", keep_as_is, false},
      {"extra_hosts", extra_hosts},
      {"gpus", normalize_gpus},
      {"group_add", string_list},
      {"healthcheck", normalize_healthcheck},
      {"hostname", check_string},
      {"image", image},
      {"init", check_bool},
      {"ipc", keep_as_is, false},
      {"isolation", keep_as_is, false},
      {"label_file", keep_as_is, false},
      {"labels", labels},
      {"links", links},
      {"logging", logging},
      {"mac_address", keep_as_is, false},
      {"mem_limit", check_bytes},
      {"mem_reservation", check_bytes},
      {"mem_swappiness", mem_swappiness},
      {"memswap_limit", memswap_limit},
      {"models", keep_as_is, false},
      {"network_mode", network_mode},
      {"networks", networks},
      {"oom_kill_disable", check_bool},
      {"oom_score_adj", oom_score_adj},
      {"pid", keep_as_is, false},
      {"pids_limit", [](const Node& n, const std::string& p, Cx& c) { return check_int(n, p, c, -1); }},
      {"platform", platform},
      {"ports", normalize_ports},
      {"post_start", keep_as_is, false},
      {"pre_stop", keep_as_is, false},
      {"privileged", check_bool},
      {"profiles", profiles},
      {"provider", keep_as_is, false},
      {"pull_policy", pull_policy},
      {"pull_refresh_after", keep_as_is, false},
      {"read_only", check_bool},
      {"restart", restart},
      {"runtime", keep_as_is, false},
      {"scale", non_negative},
      {"secrets", [](const Node& n, const std::string& p, Cx& c) { return file_grants(n, p, c, "/run/secrets/"); }},
      {"security_opt", string_list},
      {"shm_size", check_bytes},
      {"stdin_open", check_bool},
      {"stop_grace_period", check_duration},
      {"stop_signal", stop_signal},
      {"storage_opt", keep_as_is, false},
      {"sysctls", sysctls},
      {"tmpfs", normalize_tmpfs},
      {"tty", check_bool},
      {"ulimits", normalize_ulimits},
      {"use_api_socket", keep_as_is, false},
      {"user", check_string},
      {"userns_mode", keep_as_is, false},
      {"uts", keep_as_is, false},
      {"volumes", normalize_volumes},
      {"volumes_from", keep_as_is, false},
      {"working_dir", working_dir},
  };
  return fields;
}

// env_file contents under the service's own environment, which wins.
void apply_env_files(Node& service, const std::string& path, Cx& cx) {
  const Node* files = service.find("env_file");
  Node* environment = service.find("environment");
  Node merged = Node::mapping(service.mark());
  if (files) {
    for (size_t i = 0; i < files->items().size(); ++i) {
      const Node& f = files->items()[i];
      const std::string& file = f.find("path")->text();
      std::optional<std::string> text = cx.read_file(file);
      if (!text) {
        if (f.find("required")->text() == "true")
          cx.diags.error(f.mark(), path_index(path_key(path, "env_file"), i), "env file " + file + " not found");
        continue;
      }
      for (auto& [k, value] : parse_dotenv(*text, file, cx.environment, cx.diags))
        merged.set(k, Node::string(value, f.mark()), f.mark());
    }
  }
  if (environment) {
    merged.reserve_entries(merged.size() + environment->size());
    for (const Entry& e : environment->entries()) {
      Node value = e.value;
      // `KEY` with no value passes the variable through from the environment.
      if (value.is_null())
        if (auto v = cx.environment(e.key)) value = Node::string(*v, e.value.mark());
      merged.set(e.key, std::move(value), e.key_mark);
    }
  }
  if (merged.size() > 0) service.set("environment", std::move(merged));
}

// Docker's rules between the resource keys, checked where the file says them.
void check_limit_pairs(const Node& service, const std::string& path, Cx& cx) {
  const Node* deploy = service.find("deploy");
  const Node* resources = deploy ? deploy->find("resources") : nullptr;
  const Node* limits = resources ? resources->find("limits") : nullptr;
  const Node* reservations = resources ? resources->find("reservations") : nullptr;
  const Node* memory = limits && limits->find("memory") ? limits->find("memory") : service.find("mem_limit");
  const Node* reservation =
      reservations && reservations->find("memory") ? reservations->find("memory") : service.find("mem_reservation");
  const char* memory_key = memory && memory == service.find("mem_limit") ? "mem_limit" : "deploy.resources.limits.memory";
  // -1: no memory limit (a value that failed its check is reported already).
  std::int64_t memory_bytes = memory ? memory->as_int().value_or(-1) : -1;
  if (const Node* swap = service.find("memswap_limit")) {
    std::string p = path_key(path, "memswap_limit");
    if (memory_bytes < 0)
      cx.diags.error(swap->mark(), p, "needs mem_limit: memswap_limit is memory plus swap (Docker's rule)");
    else if (swap->as_int().value_or(0) >= 0 && swap->as_int().value_or(0) < memory_bytes)
      cx.diags.error(swap->mark(), p,
                     swap->text() + " is below " + memory_key + " (" + std::to_string(memory_bytes) +
                         "): memswap_limit is memory plus swap, -1 for unlimited swap");
  }
  if (reservation && reservation->as_int()) {
    std::string p = reservation == service.find("mem_reservation") ? path_key(path, "mem_reservation")
                                                                    : path_key(path, "deploy.resources.reservations.memory");
    std::int64_t bytes = *reservation->as_int();
    if (bytes > 0 && bytes < (6 << 20))
      cx.diags.error(reservation->mark(), p, "the least memory reservation is 6MB (Docker's rule), got " + std::to_string(bytes));
    else if (memory_bytes >= 0 && bytes > memory_bytes)
      cx.diags.error(reservation->mark(), p,
                     std::to_string(bytes) + " is above " + memory_key + " (" + std::to_string(memory_bytes) + ")");
  }
  const Node* cpus = limits && limits->find("cpus") ? limits->find("cpus") : service.find("cpus");
  for (const char* key : {"cpu_period", "cpu_quota"})
    if (const Node* n = service.find(key); n && cpus)
      cx.diags.error(n->mark(), path_key(path, key),
                     std::string(key) + " conflicts with cpus, a quota per a period of its own (Docker's rule): set one or the other");
}

}  // namespace

std::optional<Node> normalize_service(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (v.is_null()) {
    cx.diags.error(v.mark(), path, "a service needs at least \"image\" or \"build\"");
    return std::nullopt;
  }
  auto out = check_object(v, path, cx, service_fields());
  if (!out) return std::nullopt;
  apply_env_files(*out, path, cx);
  if (!out->find("image") && !out->find("build"))
    cx.diags.error(v.mark(), path, "a service needs \"image\" or \"build\"");
  check_network_mode_conflicts(*out, path, cx);
  // As Compose: the service whose namespace it joins, or that it links
  // to, starts first, and restarts take it along.
  auto depend_on = [&](const std::string& service, const Mark& mark) {
    if (!out->find("depends_on")) out->set("depends_on", Node::mapping(mark));
    Node* deps = out->find("depends_on");
    if (deps->find(service)) return;
    Node dep = Node::mapping(mark);
    dep.set("condition", Node::string("service_started", mark));
    dep.set("required", Node::boolean(true, mark));
    dep.set("restart", Node::boolean(true, mark));
    deps->append(service, std::move(dep), mark);
  };
  if (const Node* mode = out->find("network_mode"); mode && mode->text().rfind("service:", 0) == 0)
    depend_on(mode->text().substr(8), mode->mark());
  if (const Node* linked = out->find("links"))
    for (const Node& link : linked->items()) depend_on(link.text().substr(0, link.text().find(':')), link.mark());
  if (!out->find("networks") && !out->find("network_mode")) {
    Node nets = Node::mapping(v.mark());
    nets.set("default", Node::null(v.mark()));
    out->set("networks", std::move(nets));
  }
  check_limit_pairs(*out, path, cx);
  const Node* scale = out->find("scale");
  const Node* deploy = out->find("deploy");
  const Node* replicas = deploy ? deploy->find("replicas") : nullptr;
  if (scale && replicas && scale->text() != replicas->text())
    cx.diags.error(scale->mark(), path_key(path, "scale"),
                   "scale (" + scale->text() + ") and deploy.replicas (" + replicas->text() + ") disagree");
  const Node* count = scale ? scale : replicas;
  if (const Node* name = out->find("container_name"); name && count && count->as_int().value_or(1) > 1)
    cx.diags.error(name->mark(), path_key(path, "container_name"),
                   "a service with a fixed container_name cannot have more than one replica");
  return out;
}

}  // namespace stack::schema
