#include "devices/cdi_registry.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "schema/yaml_reader.h"

namespace stack::devices {
namespace {

namespace fs = std::filesystem;
using schema::Diagnostics;
using schema::Node;

// A walk over one spec that reports at the value's mark with its key path.
class SpecReader {
 public:
  explicit SpecReader(Diagnostics& diags) : diags_(diags) {}

  void fail(const Node& at, const std::string& path, const std::string& message) {
    diags_.error(at.mark(), path, message);
    failed_ = true;
  }
  bool failed() const { return failed_; }

  // Reports keys of `map` that are not in `known`: CDI specs fail on them.
  bool mapping(const Node& map, const std::string& path, std::initializer_list<std::string_view> known) {
    if (!map.is_mapping()) {
      fail(map, path, "must be a mapping, not " + std::string(map.describe()));
      return false;
    }
    for (const schema::Entry& e : map.entries()) {
      if (std::find(known.begin(), known.end(), e.key) != known.end()) continue;
      std::string hint = schema::closest_name(e.key, std::vector<std::string_view>(known));
      diags_.error(e.key_mark, schema::path_key(path, e.key),
                   "unknown key" + (hint.empty() ? std::string() : " (did you mean \"" + hint + "\"?)"));
      failed_ = true;
    }
    return true;
  }

  std::string string(const Node& map, std::string_view key, const std::string& path, bool required = false) {
    const Node* v = map.find(key);
    if (!v || v->is_null()) {
      if (required) fail(map, schema::path_key(path, key), "is required");
      return {};
    }
    if (!v->is_scalar()) {
      fail(*v, schema::path_key(path, key), "must be a string, not " + std::string(v->describe()));
      return {};
    }
    return v->text();
  }

  std::vector<std::string> strings(const Node& map, std::string_view key, const std::string& path) {
    std::vector<std::string> out;
    const Node* v = map.find(key);
    if (!v || v->is_null()) return out;
    if (!v->is_sequence()) {
      fail(*v, schema::path_key(path, key), "must be a list of strings");
      return out;
    }
    for (size_t i = 0; i < v->items().size(); ++i) {
      const Node& item = v->items()[i];
      if (!item.is_scalar()) fail(item, schema::path_index(schema::path_key(path, key), i), "must be a string");
      else out.push_back(item.text());
    }
    return out;
  }

  template <typename T>
  std::optional<T> number(const Node& map, std::string_view key, const std::string& path) {
    const Node* v = map.find(key);
    if (!v || v->is_null()) return std::nullopt;
    std::optional<std::int64_t> n = v->as_int();
    if (!n || *n < 0) {
      fail(*v, schema::path_key(path, key), "must be a non-negative integer");
      return std::nullopt;
    }
    return static_cast<T>(*n);
  }

  CdiEdits edits(const Node& node, const std::string& path) {
    CdiEdits e;
    if (!mapping(node, path, {"env", "deviceNodes", "mounts", "hooks", "additionalGids", "intelRdt", "netDevices"}))
      return e;
    e.env = strings(node, "env", path);
    for (const std::string& kv : e.env)
      if (kv.find('=') == std::string::npos) fail(*node.find("env"), schema::path_key(path, "env"), "\"" + kv + "\" is not NAME=value");
    each(node, "deviceNodes", path, [&](const Node& d, const std::string& p) {
      if (!mapping(d, p, {"path", "hostPath", "type", "major", "minor", "fileMode", "permissions", "uid", "gid"})) return;
      CdiDeviceNode n;
      n.path = string(d, "path", p, true);
      n.host_path = string(d, "hostPath", p);
      n.type = string(d, "type", p);
      if (!n.type.empty() && n.type != "c" && n.type != "b" && n.type != "u" && n.type != "p")
        fail(*d.find("type"), schema::path_key(p, "type"), "must be c, b, u or p");
      n.major = number<std::int64_t>(d, "major", p);
      n.minor = number<std::int64_t>(d, "minor", p);
      n.file_mode = number<std::uint32_t>(d, "fileMode", p);
      n.uid = number<std::uint32_t>(d, "uid", p);
      n.gid = number<std::uint32_t>(d, "gid", p);
      n.permissions = string(d, "permissions", p);
      if (n.permissions.find_first_not_of("rwm") != std::string::npos)
        fail(*d.find("permissions"), schema::path_key(p, "permissions"), "must be made of r, w and m");
      if (!n.path.empty() && n.path[0] != '/') fail(*d.find("path"), schema::path_key(p, "path"), "must be an absolute path");
      e.device_nodes.push_back(std::move(n));
    });
    each(node, "mounts", path, [&](const Node& m, const std::string& p) {
      if (!mapping(m, p, {"hostPath", "containerPath", "options", "type"})) return;
      CdiMount mount;
      mount.host_path = string(m, "hostPath", p, true);
      mount.container_path = string(m, "containerPath", p, true);
      mount.type = string(m, "type", p);
      mount.options = strings(m, "options", p);
      e.mounts.push_back(std::move(mount));
    });
    each(node, "hooks", path, [&](const Node& h, const std::string& p) {
      if (!mapping(h, p, {"hookName", "path", "args", "env", "timeout"})) return;
      CdiHook hook;
      hook.hook_name = string(h, "hookName", p, true);
      static const std::string_view kStages[] = {"createRuntime", "createContainer", "startContainer", "poststart",
                                                 "poststop", "prestart"};
      if (!hook.hook_name.empty() && std::find(std::begin(kStages), std::end(kStages), hook.hook_name) == std::end(kStages))
        fail(*h.find("hookName"), schema::path_key(p, "hookName"), "\"" + hook.hook_name + "\" is not a hook stage");
      hook.path = string(h, "path", p, true);
      hook.args = strings(h, "args", p);
      hook.env = strings(h, "env", p);
      if (auto t = number<int>(h, "timeout", p)) hook.timeout_s = *t;
      e.hooks.push_back(std::move(hook));
    });
    if (const Node* gids = node.find("additionalGids"); gids && gids->is_sequence())
      for (const Node& g : gids->items())
        if (auto n = g.as_int(); n && *n >= 0) e.additional_gids.push_back(static_cast<std::uint32_t>(*n));
    return e;
  }

  template <typename F>
  void each(const Node& map, std::string_view key, const std::string& path, F f) {
    const Node* v = map.find(key);
    if (!v || v->is_null()) return;
    std::string p = schema::path_key(path, key);
    if (!v->is_sequence()) {
      fail(*v, p, "must be a list");
      return;
    }
    for (size_t i = 0; i < v->items().size(); ++i) f(v->items()[i], schema::path_index(p, i));
  }

 private:
  Diagnostics& diags_;
  bool failed_ = false;
};

// "1.1.0" -> {1, 1, 0}; nullopt when it is not a version.
std::optional<std::vector<int>> version_parts(const std::string& text) {
  std::vector<int> parts;
  std::istringstream in(text.rfind('v', 0) == 0 ? text.substr(1) : text);
  for (std::string part; std::getline(in, part, '.');) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    parts.push_back(std::atoi(part.c_str()));
  }
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  parts.resize(3, 0);
  return parts;
}

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool valid_kind(const std::string& kind) {
  size_t slash = kind.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == kind.size()) return false;
  if (kind.find('/', slash + 1) != std::string::npos) return false;
  std::string vendor = kind.substr(0, slash), cls = kind.substr(slash + 1);
  if (!alnum(cls.front()) || !alnum(cls.back())) return false;
  for (char c : cls)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  for (char c : vendor)
    if (!alnum(c) && c != '-' && c != '.') return false;
  return true;
}

bool valid_device_name(const std::string& name) {
  if (name.empty() || !alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name)
    if (!alnum(c) && c != '-' && c != '_' && c != '.' && c != ':') return false;
  return true;
}

}  // namespace

void CdiEdits::append(const CdiEdits& other) {
  env.insert(env.end(), other.env.begin(), other.env.end());
  device_nodes.insert(device_nodes.end(), other.device_nodes.begin(), other.device_nodes.end());
  mounts.insert(mounts.end(), other.mounts.begin(), other.mounts.end());
  hooks.insert(hooks.end(), other.hooks.begin(), other.hooks.end());
  additional_gids.insert(additional_gids.end(), other.additional_gids.begin(), other.additional_gids.end());
}

bool CdiEdits::empty() const {
  return env.empty() && device_nodes.empty() && mounts.empty() && hooks.empty() && additional_gids.empty();
}

bool split_cdi_name(const std::string& qualified, std::string* kind, std::string* name) {
  size_t eq = qualified.find('=');
  if (eq == std::string::npos) return false;
  *kind = qualified.substr(0, eq);
  *name = qualified.substr(eq + 1);
  return valid_kind(*kind) && valid_device_name(*name);
}

std::vector<CdiDevice> parse_cdi_spec(const std::string& text, const std::string& file, Diagnostics& diags) {
  Diagnostics local;
  Node root = schema::read_yaml(text, file, local);
  SpecReader r(local);
  std::vector<CdiDevice> devices;
  if (!local.has_errors() && r.mapping(root, "", {"cdiVersion", "kind", "annotations", "devices", "containerEdits"})) {
    std::string version = r.string(root, "cdiVersion", "", true);
    if (!version.empty()) {
      auto have = version_parts(version);
      auto newest = version_parts(kCdiVersion);
      if (!have) r.fail(*root.find("cdiVersion"), "cdiVersion", "\"" + version + "\" is not a version");
      else if (*have > *newest)
        r.fail(*root.find("cdiVersion"), "cdiVersion",
               "version " + version + " is newer than the newest this stack understands (" + kCdiVersion + ")");
    }
    std::string kind = r.string(root, "kind", "", true);
    if (!kind.empty() && !valid_kind(kind))
      r.fail(*root.find("kind"), "kind", "\"" + kind + "\" is not vendor.com/class");
    CdiEdits spec_edits;
    if (const Node* e = root.find("containerEdits"); e && !e->is_null()) spec_edits = r.edits(*e, "containerEdits");
    const Node* list = root.find("devices");
    if (!list || !list->is_sequence() || list->items().empty()) {
      r.fail(list ? *list : root, "devices", "must list at least one device");
    } else {
      for (size_t i = 0; i < list->items().size(); ++i) {
        const Node& d = list->items()[i];
        std::string p = schema::path_index("devices", i);
        if (!r.mapping(d, p, {"name", "annotations", "containerEdits"})) continue;
        CdiDevice device;
        device.kind = kind;
        device.name = r.string(d, "name", p, true);
        if (!device.name.empty() && !valid_device_name(device.name))
          r.fail(*d.find("name"), schema::path_key(p, "name"), "\"" + device.name + "\" is not a valid device name");
        for (const Node* a : {static_cast<const Node&>(root).find("annotations"), d.find("annotations")})
          if (a && a->is_mapping())
            for (const schema::Entry& e : a->entries())
              if (auto v = e.value.as_string()) device.annotations[e.key] = *v;
        const Node* edits = d.find("containerEdits");
        if (!edits) r.fail(d, schema::path_key(p, "containerEdits"), "is required");
        else device.edits = r.edits(*edits, schema::path_key(p, "containerEdits"));
        device.spec_edits = spec_edits;
        device.file = file;
        for (const CdiDevice& seen : devices)
          if (seen.name == device.name) r.fail(*d.find("name"), schema::path_key(p, "name"), "\"" + device.name + "\" is declared twice");
        devices.push_back(std::move(device));
      }
    }
  }
  diags.append(local);
  if (local.has_errors()) return {};
  return devices;
}

CdiRegistry CdiRegistry::load(const std::vector<std::string>& dirs) {
  CdiRegistry registry;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string ext = entry.path().extension().string();
      if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml" || ext == ".json")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      for (CdiDevice& d : parse_cdi_spec(text.str(), path.string(), registry.problems_)) {
        std::string name = d.qualified_name();
        registry.devices_[name] = std::move(d);
      }
    }
  }
  return registry;
}

const CdiDevice* CdiRegistry::find(const std::string& qualified_name) const {
  auto it = devices_.find(qualified_name);
  return it == devices_.end() ? nullptr : &it->second;
}

std::vector<const CdiDevice*> CdiRegistry::of_kind(const std::string& kind) const {
  std::vector<const CdiDevice*> out;
  for (const auto& [name, device] : devices_)
    if (device.kind == kind) out.push_back(&device);
  return out;
}

}  // namespace stack::devices
