// Service volumes and tmpfs mounts: short syntax expanded to the long one.
#include <algorithm>

#include "schema/names.h"
#include "schema/service_attributes.h"
#include "schema/units.h"

namespace stack::schema {
namespace {

bool is_host_path(const std::string& source) {
  return !source.empty() && (source[0] == '/' || source[0] == '.' || source[0] == '~');
}

bool short_volume(const Node& item, const std::string& path, NormalizeContext& cx, Node& out) {
  const std::string& spec = item.text();
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = spec.find(':', start)) != std::string::npos; start = colon + 1)
    parts.push_back(spec.substr(start, colon - start));
  parts.push_back(spec.substr(start));
  auto bad = [&](const std::string& why) {
    cx.diags.error(item.mark(), path, "invalid volume \"" + excerpt(spec) + "\": " + why);
    return false;
  };
  if (parts.size() > 3) return bad("expected [SOURCE:]TARGET[:MODE]");
  const Mark& m = item.mark();
  Node entry = Node::mapping(m);
  std::string target = parts.size() == 1 ? parts[0] : parts[1];
  if (auto problem = container_path_problem(target)) return bad("the container path " + *problem);
  if (parts.size() == 1) {
    entry.set("type", Node::string("volume", m));
    entry.set("target", Node::string(target, m));
    out.push_back(std::move(entry));
    return true;
  }
  const std::string& source = parts[0];
  bool bind = is_host_path(source);
  if (!bind && !awaits_interpolation(source, cx) && object_name_problem(source))
    return bad("\"" + excerpt(source) + "\" is neither a path (start it with / or ./) nor a volume name (it " +
               *object_name_problem(source) + ")");
  entry.set("type", Node::string(bind ? "bind" : "volume", m));
  entry.set("source", Node::string(bind ? absolute_path(source, cx) : source, m));
  entry.set("target", Node::string(target, m));
  Node bind_options = Node::mapping(m);
  if (bind) bind_options.set("create_host_path", Node::boolean(true, m));
  Node volume_options = Node::mapping(m);
  if (parts.size() == 3) {
    std::string modes = parts[2];
    size_t s = 0;
    while (s <= modes.size()) {
      size_t comma = modes.find(',', s);
      std::string mode = modes.substr(s, comma == std::string::npos ? std::string::npos : comma - s);
      s = comma == std::string::npos ? modes.size() + 1 : comma + 1;
      if (mode == "ro") entry.set("read_only", Node::boolean(true, m));
      else if (mode == "rw") continue;
      else if (mode == "z" || mode == "Z") bind_options.set("selinux", Node::string(mode, m));
      else if (mode == "nocopy") volume_options.set("nocopy", Node::boolean(true, m));
      else if (mode == "shared" || mode == "rshared" || mode == "slave" || mode == "rslave" || mode == "private" ||
               mode == "rprivate")
        bind_options.set("propagation", Node::string(mode, m));
      else if (mode == "consistent" || mode == "cached" || mode == "delegated") continue;
      else return bad("unknown mode \"" + mode + "\" (expected ro, rw, z, Z, nocopy or a propagation)");
    }
  }
  if (bind && bind_options.size() > 0) entry.set("bind", std::move(bind_options));
  if (!bind && volume_options.size() > 0) entry.set("volume", std::move(volume_options));
  out.push_back(std::move(entry));
  return true;
}

std::optional<Node> absolute_target(const Node& n, const std::string& p, NormalizeContext& c) {
  auto s = check_string(n, p, c);
  if (auto problem = s ? container_path_problem(s->text()) : std::nullopt) {
    c.diags.error(n.mark(), p, "the container path " + *problem + ", got \"" + excerpt(s->text()) + "\"");
    return std::nullopt;
  }
  return s;
}

}  // namespace

std::optional<Node> normalize_volumes(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (!v.is_sequence()) {
    cx.diags.error(v.mark(), path, "expected a list of volumes");
    return std::nullopt;
  }
  static const std::vector<Field> bind_fields = {
      {"propagation", [](const Node& n, const std::string& p, NormalizeContext& c) {
         auto mode = check_enum(n, p, c, {"shared", "rshared", "slave", "rslave", "private", "rprivate"});
         // A container's binds are private to it (rprivate, Docker's default).
         if (mode && mode->text() != "private" && mode->text() != "rprivate")
           c.diags.ignored(n.mark(), p, "stack's bind mounts are rprivate; propagation \"" + mode->text() + "\" is ignored");
         return mode;
       }},
      {"create_host_path", check_bool},
      {"selinux", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_enum(n, p, c, {"z", "Z"}); }},
      {"recursive", keep_as_is, false},
  };
  static const std::vector<Field> volume_fields = {
      {"labels", keep_as_is, false},
      {"nocopy", check_bool},
      {"subpath", [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
         auto s = check_string(n, p, c);
         if (!s) return std::nullopt;
         if (auto problem = awaits_interpolation(s->text(), c) ? std::nullopt : subpath_problem(s->text())) {
           c.diags.error(n.mark(), p, "invalid subpath \"" + excerpt(s->text()) + "\": it " + *problem);
           return std::nullopt;
         }
         return s;
       }},
  };
  static const std::vector<Field> tmpfs_fields = {
      {"size", check_bytes},
      {"mode", [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
         // Octal when written with a leading 0 (0700), as YAML 1.1 and Compose read it.
         if (n.is_scalar() && n.text().size() > 1 && n.text()[0] == '0')
           if (std::optional<std::int64_t> value = parse_file_mode(n.text())) return Node::integer(*value, n.mark());
         return check_int(n, p, c, 0, 07777);
       }},
  };
  static const std::vector<Field> fields = {
      {"type", [](const Node& n, const std::string& p, NormalizeContext& c) {
         return check_enum(n, p, c, {"bind", "volume", "tmpfs", "npipe", "cluster", "image"});
       }},
      {"source", check_string},
      {"target", absolute_target},
      {"read_only", check_bool},
      {"consistency", keep_as_is, false},
      {"bind", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_object(n, p, c, bind_fields); }},
      {"volume", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_object(n, p, c, volume_fields); }},
      {"tmpfs", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_object(n, p, c, tmpfs_fields); }},
      {"image", keep_as_is, false},
  };
  Node out = Node::sequence(v.mark());
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Node& item = v.items()[i];
    std::string item_path = path_index(path, i);
    if (item.is_scalar()) {
      short_volume(item, item_path, cx, out);
      continue;
    }
    auto entry = check_object(item, item_path, cx, fields);
    if (!entry) continue;
    const Node* type = entry->find("type");
    if (!type || !entry->find("target")) {
      cx.diags.error(item.mark(), item_path, std::string("missing required key \"") + (type ? "target" : "type") + "\"");
      continue;
    }
    const std::string& t = type->text();
    if (t == "npipe" || t == "cluster" || t == "image") {
      cx.diags.error(type->mark(), path_key(item_path, "type"), "volume type \"" + t + "\" is not supported by stack");
      continue;
    }
    Node* source = entry->find("source");
    // Docker refuses it when it creates the container: a new anonymous
    // volume has no path in it yet.
    if (const Node* options = entry->find("volume"); t == "volume" && !source && options && options->find("subpath")) {
      cx.diags.error(options->find("subpath")->mark(), path_key(path_key(item_path, "volume"), "subpath"),
                     "an anonymous volume has no subpath to mount; name the volume (source:)");
      continue;
    }
    if (t == "bind") {
      if (!source) {
        cx.diags.error(item.mark(), item_path, "a bind mount needs a \"source\"");
        continue;
      }
      *source = Node::string(absolute_path(source->text(), cx), source->mark());
      if (!entry->find("bind")) {
        Node b = Node::mapping(item.mark());
        b.set("create_host_path", Node::boolean(true, item.mark()));
        entry->set("bind", std::move(b));
      }
    } else if (t == "volume" && source && !awaits_interpolation(source->text(), cx) &&
               object_name_problem(source->text())) {
      cx.diags.error(source->mark(), path_key(item_path, "source"),
                     "invalid volume name \"" + excerpt(source->text()) + "\": it " + *object_name_problem(source->text()));
      continue;
    } else if (t == "tmpfs" && source) {
      cx.diags.error(source->mark(), path_key(item_path, "source"), "a tmpfs mount takes no \"source\"");
      continue;
    }
    out.push_back(std::move(*entry));
  }
  return out;
}

std::optional<Node> normalize_tmpfs(const Node& v, const std::string& path, NormalizeContext& cx) {
  auto list = check_string_list(v, path, cx, /*scalar_ok=*/true);
  if (!list) return std::nullopt;
  for (size_t i = 0; i < list->items().size(); ++i) {
    const Node& item = list->items()[i];
    const std::string& text = item.text();
    if (auto problem = container_path_problem(text.substr(0, text.find(':')))) {
      cx.diags.error(item.mark(), path_index(path, i), "the container path " + *problem + ", got \"" + excerpt(text) + "\"");
      return std::nullopt;
    }
    // size, mode, uid and gid are the mount's; the rest (exec, ro, ...)
    // stack does not apply: a tmpfs is nosuid, nodev, noexec and writable.
    size_t colon = text.find(':');
    for (size_t b = colon == std::string::npos ? text.size() : colon + 1; b < text.size();) {
      size_t e = std::min(text.find(',', b), text.size());
      std::string option = text.substr(b, e - b);
      bool applied = option.rfind("size=", 0) == 0 || option.rfind("mode=", 0) == 0 || option.rfind("uid=", 0) == 0 ||
                     option.rfind("gid=", 0) == 0;
      if (!applied && !option.empty())
        cx.diags.ignored(item.mark(), path_index(path, i), "tmpfs option \"" + option + "\" is not applied by stack; ignored");
      b = e + 1;
    }
  }
  return list;
}

}  // namespace stack::schema
