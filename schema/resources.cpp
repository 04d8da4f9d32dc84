// deploy, gpus, devices, ulimits and healthcheck: resource and supervision attributes.
#include "schema/service_attributes.h"

#include "runtime/kernel_settings.h"

namespace stack::schema {
namespace {

std::optional<Node> check_device_request(const Node& v, const std::string& path, NormalizeContext& cx) {
  static const std::vector<Field> fields = {
      {"capabilities", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_string_list(n, p, c); }},
      {"driver", check_string},
      {"count",
       [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
         if (n.is_scalar() && n.text() == "all") return Node::string("all", n.mark());
         return check_int(n, p, c, 0, 1024);
       }},
      {"device_ids", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_string_list(n, p, c); }},
      {"options", check_string_map},
  };
  auto out = check_object(v, path, cx, fields);
  if (!out) return std::nullopt;
  if (out->find("count") && out->find("device_ids")) {
    cx.diags.error(v.mark(), path, "\"count\" and \"device_ids\" cannot be used together");
    return std::nullopt;
  }
  return out;
}

// deploy's device requests must name their capabilities; `gpus:` ones mean [gpu] when they do not.
std::optional<Node> device_request_list(const Node& v, const std::string& path, NormalizeContext& cx,
                                        bool gpu_by_default) {
  if (!v.is_sequence()) {
    cx.diags.error(v.mark(), path, "expected a list of device requests");
    return std::nullopt;
  }
  Node out = Node::sequence(v.mark());
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Mark& mark = v.items()[i].mark();
    auto item = check_device_request(v.items()[i], path_index(path, i), cx);
    if (!item) continue;
    if (!item->find("capabilities")) {
      if (!gpu_by_default) {
        cx.diags.error(mark, path_index(path, i), "missing required key \"capabilities\"");
        continue;
      }
      Node caps = Node::sequence(mark);
      caps.push_back(Node::string("gpu", mark));
      item->set("capabilities", std::move(caps));
    }
    out.push_back(std::move(*item));
  }
  return out;
}

std::optional<Node> check_device_requests(const Node& v, const std::string& path, NormalizeContext& cx) {
  return device_request_list(v, path, cx, /*gpu_by_default=*/false);
}

// Accepted as Compose accepts it, applied by Swarm alone: warned with why.
Normalizer swarm_only(Normalizer check, std::string why) {
  return [check, why](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
    auto out = check(n, p, c);
    if (out) c.diags.ignored(n.mark(), p, why + "; ignored");
    return out;
  };
}

}  // namespace

std::optional<Node> normalize_deploy(const Node& v, const std::string& path, NormalizeContext& cx) {
  static const std::vector<Field> limit_fields = {
      {"cpus", check_cpus},
      {"memory", check_bytes},
      {"pids", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_int(n, p, c, -1); }},
  };
  static const std::vector<Field> reservation_fields = {
      {"cpus", swarm_only(check_cpus, "a CPU reservation places a Swarm task; a container has no such setting")},
      {"memory", check_bytes},
      {"devices", check_device_requests},
      {"generic_resources", keep_as_is, false},
  };
  static const std::vector<Field> resources_fields = {
      {"limits", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_object(n, p, c, limit_fields); }},
      {"reservations",
       [](const Node& n, const std::string& p, NormalizeContext& c) { return check_object(n, p, c, reservation_fields); }},
  };
  static const std::vector<Field> restart_fields = {
      {"condition", [](const Node& n, const std::string& p, NormalizeContext& c) {
         return check_enum(n, p, c, {"none", "on-failure", "any"});
       }},
      {"delay", swarm_only(check_duration, "outside Swarm a restart policy is condition and max_attempts only")},
      {"max_attempts", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_int(n, p, c, 0); }},
      {"window", swarm_only(check_duration, "outside Swarm a restart policy is condition and max_attempts only")},
  };
  static const std::vector<Field> fields = {
      {"mode", [](const Node& n, const std::string& p, NormalizeContext& c) {
         return check_enum(n, p, c, {"replicated", "global", "replicated-job", "global-job"});
       }},
      {"replicas", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_int(n, p, c, 0, 10000); }},
      {"resources", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_object(n, p, c, resources_fields); }},
      {"restart_policy",
       [](const Node& n, const std::string& p, NormalizeContext& c) { return check_object(n, p, c, restart_fields); }},
      {"labels", swarm_only(check_string_map, "the labels of a Swarm service, not of its containers (those are labels:)")},
      {"endpoint_mode", keep_as_is, false},
      {"placement", keep_as_is, false},
      {"update_config", keep_as_is, false},
      {"rollback_config", keep_as_is, false},
  };
  return check_object(v, path, cx, fields);
}

std::optional<Node> normalize_gpus(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (v.is_scalar() && v.text() == "all") {
    Node out = Node::sequence(v.mark());
    Node request = Node::mapping(v.mark());
    Node caps = Node::sequence(v.mark());
    caps.push_back(Node::string("gpu", v.mark()));
    request.set("capabilities", std::move(caps));
    request.set("count", Node::string("all", v.mark()));
    out.push_back(std::move(request));
    return out;
  }
  return device_request_list(v, path, cx, /*gpu_by_default=*/true);
}

std::optional<Node> normalize_devices(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (!v.is_sequence()) {
    cx.diags.error(v.mark(), path, "expected a list of devices");
    return std::nullopt;
  }
  static const std::vector<Field> fields = {
      {"source", check_string},
      {"target", check_string},
      {"permissions", check_string},
  };
  Node out = Node::sequence(v.mark());
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Node& item = v.items()[i];
    std::string item_path = path_index(path, i);
    if (item.is_mapping()) {
      if (auto e = check_object(item, item_path, cx, fields)) out.push_back(std::move(*e));
      continue;
    }
    if (!item.is_scalar()) {
      cx.diags.error(item.mark(), item_path, "expected a device such as /dev/fuse or nvidia.com/gpu=0");
      continue;
    }
    const std::string& spec = item.text();
    Node e = Node::mapping(item.mark());
    // A CDI name is vendor/class=name; it has no host path.
    if (spec.find('=') != std::string::npos && spec[0] != '/') {
      if (spec.find('/') == std::string::npos) {
        cx.diags.error(item.mark(), item_path, "invalid CDI device name \"" + spec + "\" (expected vendor/class=name)");
        continue;
      }
      e.set("source", Node::string(spec, item.mark()));
      out.push_back(std::move(e));
      continue;
    }
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon; (colon = spec.find(':', start)) != std::string::npos; start = colon + 1)
      parts.push_back(spec.substr(start, colon - start));
    parts.push_back(spec.substr(start));
    if (parts.size() > 3 || parts[0].empty() || parts[0][0] != '/') {
      cx.diags.error(item.mark(), item_path, "invalid device \"" + spec + "\" (expected HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]])");
      continue;
    }
    std::string permissions = "rwm";
    std::string target = parts[0];
    if (parts.size() == 2) {
      // "/dev/x:rw" names permissions, "/dev/x:/dev/y" a target.
      if (!parts[1].empty() && parts[1][0] == '/') target = parts[1];
      else permissions = parts[1];
    } else if (parts.size() == 3) {
      target = parts[1];
      permissions = parts[2];
    }
    if (permissions.empty() || permissions.find_first_not_of("rwm") != std::string::npos) {
      cx.diags.error(item.mark(), item_path, "invalid device permissions \"" + permissions + "\" (letters of rwm)");
      continue;
    }
    e.set("source", Node::string(parts[0], item.mark()));
    e.set("target", Node::string(target, item.mark()));
    e.set("permissions", Node::string(permissions, item.mark()));
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<Node> normalize_ulimits(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (!v.is_mapping()) {
    cx.diags.error(v.mark(), path, "expected a mapping of limits");
    return std::nullopt;
  }
  static const std::vector<Field> fields = {
      {"soft", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_int(n, p, c, -1); }},
      {"hard", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_int(n, p, c, -1); }},
  };
  Node out = Node::mapping(v.mark());
  for (const Entry& e : v.entries()) {
    std::string p = path_key(path, e.key);
    if (!runtime::known_rlimit(e.key)) {
      std::string names;
      for (const std::string& name : runtime::rlimit_names()) names += (names.empty() ? "" : ", ") + name;
      cx.diags.error(e.key_mark, p, "no such limit \"" + e.key + "\" (one of " + names + ")");
      continue;
    }
    Node limit = Node::mapping(e.value.mark());
    if (e.value.is_scalar()) {
      auto n = check_int(e.value, p, cx, -1);
      if (!n) continue;
      limit.set("soft", *n);
      limit.set("hard", *n);
    } else {
      auto o = check_object(e.value, p, cx, fields);
      if (!o) continue;
      if (!o->find("soft") || !o->find("hard")) {
        cx.diags.error(e.value.mark(), p, "a limit needs both \"soft\" and \"hard\"");
        continue;
      }
      if (o->find("soft")->as_int() > o->find("hard")->as_int() && o->find("hard")->as_int() != -1) {
        cx.diags.error(e.value.mark(), p, "the soft limit is above the hard limit");
        continue;
      }
      limit = std::move(*o);
    }
    out.append(e.key, std::move(limit), e.key_mark);
  }
  return out;
}

std::optional<Node> normalize_healthcheck(const Node& v, const std::string& path, NormalizeContext& cx) {
  static const std::vector<Field> fields = {
      {"test",
       [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
         if (n.is_scalar()) {
           Node out = Node::sequence(n.mark());
           out.push_back(Node::string("CMD-SHELL", n.mark()));
           out.push_back(Node::string(n.text(), n.mark()));
           return out;
         }
         auto list = check_string_list(n, p, c);
         if (!list) return std::nullopt;
         const auto& items = list->items();
         if (items.empty() || (items[0].text() != "CMD" && items[0].text() != "CMD-SHELL" && items[0].text() != "NONE")) {
           c.diags.error(n.mark(), p, "a test list starts with \"CMD\", \"CMD-SHELL\" or \"NONE\"");
           return std::nullopt;
         }
         if (items[0].text() != "NONE" && items.size() < 2) {
           c.diags.error(n.mark(), p, "\"" + items[0].text() + "\" needs a command after it");
           return std::nullopt;
         }
         return list;
       }},
      {"interval", check_duration},
      {"timeout", check_duration},
      {"retries", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_int(n, p, c, 0); }},
      {"start_period", check_duration},
      {"start_interval", check_duration},
      {"disable", check_bool},
  };
  auto out = check_object(v, path, cx, fields);
  if (!out) return std::nullopt;
  const Node* test = out->find("test");
  const Node* disable = out->find("disable");
  bool disabled = (disable && disable->text() == "true") ||
                  (test && !test->items().empty() && test->items()[0].text() == "NONE");
  if (disabled) {
    Node off = Node::mapping(v.mark());
    off.set("disable", Node::boolean(true, v.mark()));
    return off;
  }
  if (disable) out->erase("disable");
  // Docker's defaults, so the output says what will run.
  const Mark& m = v.mark();
  if (!out->find("interval")) out->set("interval", Node::string("30s", m));
  if (!out->find("timeout")) out->set("timeout", Node::string("30s", m));
  if (!out->find("retries")) out->set("retries", Node::integer(3, m));
  if (!out->find("start_period")) out->set("start_period", Node::string("0s", m));
  if (!out->find("start_interval")) out->set("start_interval", Node::string("5s", m));
  return out;
}

}  // namespace stack::schema
