#include "schema/top_level.h"

#include "schema/names.h"

namespace stack::schema {
namespace {

// `external: true` or the older `external: {name: x}`; sets `name` for the latter.
bool external_flag(Node& resource, const std::string& path, NormalizeContext& cx) {
  Node* external = resource.find("external");
  if (!external) return false;
  if (external->is_mapping()) {
    std::optional<Node> name;
    if (const Node* n = external->find("name")) name = *n;
    cx.diags.warning(external->mark(), path_key(path, "external"),
                     "external.name is deprecated; use name with external: true");
    *external = Node::boolean(true, external->mark());
    if (name) resource.set("name", std::move(*name));  // may move `external`: set it last
    return true;
  }
  auto b = check_bool(*external, path_key(path, "external"), cx);
  if (!b) return false;
  *external = *b;
  return b->text() == "true";
}

// Sets the resource's name (Compose's <project>_<key>, or the key for an
// external one) unless it has one; returns whether it was made here.
bool finish_resource(Node& r, const std::string& key, const std::string& project, const std::string& path,
                     NormalizeContext& cx) {
  bool external = external_flag(r, path, cx);
  bool made = !r.find("name");
  if (made) r.set("name", Node::string(external ? key : project + "_" + key, r.mark()));
  if (external) {
    for (const Entry& e : r.entries()) {
      if (e.key != "external" && e.key != "name")
        cx.diags.error(e.key_mark, path_key(path, e.key), "an external resource takes only \"name\"");
    }
  }
  return made;
}

// What a section's names must be: the check, and what one resource is called.
struct NameRule {
  std::optional<std::string> (*problem)(std::string_view);
  const char* singular;
};

// The name a resource ends with (written, interpolated or made from the
// project's) becomes a directory or a kernel object: refuse one that cannot.
void check_resource_name(const Node& resource, bool made, const std::string& path, const Mark& key_mark,
                         const NameRule& rule, NormalizeContext& cx) {
  const Node* name = resource.find("name");
  if (!name || !name->is_scalar() || awaits_interpolation(name->text(), cx)) return;
  std::optional<std::string> problem = rule.problem(name->text());
  if (!problem) return;
  std::string quoted = "\"" + excerpt(name->text()) + "\"";
  if (made)
    cx.diags.error(key_mark, path,
                   std::string("the ") + rule.singular + " would be named " + quoted + ", which " + *problem);
  else
    cx.diags.error(name->mark(), path_key(path, "name"),
                   std::string("invalid ") + rule.singular + " name " + quoted + ": it " + *problem);
}

// A top-level section of resources: each entry checked by `fields`, named,
// then adjusted by `finish` (which sees the resource and its path).
template <typename Finish>
std::optional<Node> resource_section(const Node& v, const std::string& section, const std::string& project,
                                     const std::vector<Field>& fields, const NameRule& rule, NormalizeContext& cx,
                                     Finish finish) {
  if (!v.is_mapping()) {
    cx.diags.error(v.mark(), section, "expected a mapping of " + section);
    return std::nullopt;
  }
  Node out = Node::mapping(v.mark());
  for (const Entry& e : v.entries()) {
    std::string path = path_key(section, e.key);
    Node resource = Node::mapping(e.key_mark);
    if (!e.value.is_null()) {
      auto n = check_object(e.value, path, cx, fields);
      if (!n) continue;
      resource = std::move(*n);
    }
    bool made = finish_resource(resource, e.key, project, path, cx);
    check_resource_name(resource, made, path, e.key_mark, rule, cx);
    finish(resource, path, e.key_mark);
    out.append(e.key, std::move(resource), e.key_mark);
  }
  return out;
}

// A network's address families: stack's bridges are IPv4 only, so
// enable_ipv6: true (or enable_ipv4: false) is refused rather than made
// without what it asks. Published ports listen on [::] all the same.
std::optional<Node> ip_family(const Node& v, const std::string& path, NormalizeContext& cx, bool ipv4) {
  auto b = check_bool(v, path, cx);
  if (!b) return std::nullopt;
  if ((b->text() == "true") != ipv4) {
    cx.diags.error(v.mark(), path,
                   ipv4 ? "stack's networks are IPv4 only: one without IPv4 cannot be made"
                        : "stack's networks are IPv4 only: containers get no IPv6 address (published ports do listen on [::])");
    return std::nullopt;
  }
  return b;
}

}  // namespace

std::optional<Node> normalize_networks(const Node& v, const std::string& project, NormalizeContext& cx) {
  static const std::vector<Field> pool_fields = {
      {"subnet", [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
         auto s = check_string(n, p, c);
         if (s && s->text().find(':') != std::string::npos) {
           c.diags.error(n.mark(), p, "an IPv6 subnet: stack's networks are IPv4 only");
           return std::nullopt;
         }
         return s;
       }},
      {"gateway", check_string},
      {"ip_range", check_string},
      {"aux_addresses", keep_as_is, false},
  };
  static const std::vector<Field> ipam_fields = {
      {"driver", check_string},
      {"config", [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
         if (!n.is_sequence()) {
           c.diags.error(n.mark(), p, "expected a list of address pools");
           return std::nullopt;
         }
         Node out = Node::sequence(n.mark());
         for (size_t i = 0; i < n.items().size(); ++i)
           if (auto pool = check_object(n.items()[i], path_index(p, i), c, pool_fields)) out.push_back(std::move(*pool));
         return out;
       }},
      {"options", keep_as_is, false},
  };
  static const std::vector<Field> fields = {
      {"driver", check_string},
      {"driver_opts", [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
         auto map = check_string_map(n, p, c);
         if (map)
           for (const Entry& e : map->entries())
             if (e.key != "com.docker.network.driver.mtu")
               c.diags.ignored(e.key_mark, path_key(p, e.key), "stack applies only com.docker.network.driver.mtu; ignored");
         return map;
       }},
      {"attachable", keep_as_is, false},
      {"enable_ipv4", [](const Node& n, const std::string& p, NormalizeContext& c) { return ip_family(n, p, c, true); }},
      {"enable_ipv6", [](const Node& n, const std::string& p, NormalizeContext& c) { return ip_family(n, p, c, false); }},
      {"external", keep_as_is},
      {"internal", check_bool},
      {"ipam", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_object(n, p, c, ipam_fields); }},
      {"labels", check_string_map},
      {"name", check_string},
  };
  static const NameRule rule{network_name_problem, "network"};
  return resource_section(v, "networks", project, fields, rule, cx, [&](Node& network, const std::string& path, const Mark& mark) {
    const Node* external = network.find("external");
    if (external && external->text() == "true") return;
    if (!network.find("driver")) network.set("driver", Node::string("bridge", mark));
    const Node* driver = network.find("driver");
    if (driver->text() != "bridge")
      cx.diags.ignored(driver->mark(), path_key(path, "driver"),
                       "stack makes bridge networks only; driver \"" + driver->text() + "\" is treated as bridge");
  });
}

std::optional<Node> normalize_named_volumes(const Node& v, const std::string& project, NormalizeContext& cx) {
  static const std::vector<Field> fields = {
      {"driver", check_string},
      {"driver_opts", [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
         // Docker's local driver mounts with these (an NFS share, a host
         // directory); stack's volumes are directories of its own: refused,
         // not put elsewhere than the file says.
         auto map = check_string_map(n, p, c);
         if (map && map->size() > 0)
           c.diags.error(n.mark(), p, "stack's volumes are directories under its root; driver options (type, o, device) "
                                      "are not supported: use a bind mount for a host directory");
         return map;
       }},
      {"external", keep_as_is},
      {"labels", check_string_map},
      {"name", check_string},
  };
  static const NameRule rule{object_name_problem, "volume"};
  return resource_section(v, "volumes", project, fields, rule, cx, [&](Node& volume, const std::string& path, const Mark&) {
    if (const Node* driver = volume.find("driver"); driver && driver->text() != "local")
      cx.diags.ignored(driver->mark(), path_key(path, "driver"),
                       "stack stores volumes locally; driver \"" + driver->text() + "\" is ignored");
  });
}

// Secrets and configs: what a container is given as a read-only file,
// from a file, a variable of the project's environment or (a config)
// content written in the stack file. docker compose refuses the Swarm-only
// forms (external, driver, template_driver) when it creates a container;
// stack refuses them here, before anything is made.
std::optional<Node> normalize_file_objects(const Node& v, const std::string& section, const std::string& project,
                                           NormalizeContext& cx) {
  bool secrets = section == "secrets";
  const char* singular = secrets ? "secret" : "config";
  auto refused = [singular](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
    c.diags.error(n.mark(), p, std::string("a ") + singular + "'s driver belongs to Swarm: docker compose refuses it too");
    return std::nullopt;
  };
  auto labels = [singular](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
    auto map = check_string_map(n, p, c);
    if (map) c.diags.ignored(n.mark(), p, std::string("a ") + singular + " is a file, not an object to label; ignored");
    return map;
  };
  std::vector<Field> fields = {
      {"name", check_string}, {"file", check_path},      {"environment", check_string},
      {"external", keep_as_is}, {"labels", labels},      {"driver", refused},
      {"driver_opts", refused}, {"template_driver", refused},
  };
  if (!secrets) fields.push_back({"content", check_string});
  static const NameRule rule{object_name_problem, "secret"};
  static const NameRule config_rule{object_name_problem, "config"};
  return resource_section(v, section, project, fields, secrets ? rule : config_rule, cx,
                          [&](Node& object, const std::string& path, const Mark& mark) {
    const Node* external = object.find("external");
    if (external && external->text() == "true") {
      cx.diags.error(external->mark(), path_key(path, "external"),
                     std::string("an external ") + singular +
                         " lives in Swarm, which stack (like docker compose without Swarm) does not reach; use file or environment");
      return;
    }
    int sources = 0;
    for (const char* key : {"file", "environment", "content"}) sources += object.find(key) ? 1 : 0;
    if (sources != 1)
      cx.diags.error(mark, path,
                     std::string("a ") + singular + " needs exactly one of file, environment" + (secrets ? "" : ", content") +
                         (sources ? " (it has several)" : ""));
  });
}

}  // namespace stack::schema
