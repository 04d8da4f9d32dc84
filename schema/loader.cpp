#include "schema/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <set>
#include <sstream>

#include "schema/checks.h"
#include "schema/dotenv.h"
#include "schema/interpolation.h"
#include "schema/merge.h"
#include "schema/names.h"
#include "schema/service_attributes.h"
#include "schema/top_level.h"
#include "schema/yaml_reader.h"

namespace stack::schema {

std::optional<std::string> DiskFileSource::read(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    text.emplace(static_cast<size_t>(st.st_size), '\0');
    size_t have = 0;
    while (true) {
      if (have == text->size()) text->resize(have * 2 + 4096);  // the file grew
      ssize_t n = ::read(fd, text->data() + have, text->size() - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        text.reset();
        break;
      }
      if (n == 0) {
        text->resize(have);
        break;
      }
      have += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return text;
}

bool DiskFileSource::exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string normalize_project_name(const std::string& raw) {
  std::string out;
  for (char c : raw) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-') out += l;
  }
  size_t start = out.find_first_not_of("_-");
  return start == std::string::npos ? std::string() : out.substr(start);
}

namespace {

std::string dir_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

const std::vector<std::string_view> kTopLevelKeys = {"name", "version", "services", "networks", "volumes",
                                                      "secrets", "configs", "include", "models"};

// One run of the pipeline. Methods are the stages, in the order load() calls them.
class Loader {
 public:
  Loader(const LoadOptions& options, StackFileSource& source, LoadedProject& out)
      : options_(options), source_(source), out_(out) {
    out_.diags.set_strict(options.strict && options.creating);
  }

  void load() {
    std::vector<std::string> files = resolve_files();
    if (files.empty() || out_.diags.has_errors()) return;
    out_.files = files;
    out_.project_dir = options_.project_directory.empty()
                           ? (files[0] == "-" ? options_.working_dir : dir_of(files[0]))
                           : join_path(options_.working_dir, options_.project_directory);
    load_environment();
    if (out_.diags.has_errors()) return;

    Node merged;
    for (const std::string& file : files) {
      Node tree = read_stack_file(file, out_.environment, out_.project_dir, 0);
      if (tree.is_null()) continue;
      if (merged.is_null()) merged = std::move(tree);
      else merge_project(merged, tree, out_.diags);
    }
    if (out_.diags.has_errors() || merged.is_null()) return;
    strip_merge_tags(merged);

    out_.name = project_name(merged);
    if (out_.diags.has_errors()) return;
    check_top_level(merged);
    check_names(merged);
    apply_profiles(merged);
    if (out_.diags.has_errors()) return;
    Node normalized = normalize(merged);
    check_references(normalized);  // also after errors: one run shows every problem
    if (out_.diags.has_errors()) return;
    out_.tree = std::move(normalized);
  }

 private:
  const LoadOptions& options_;
  StackFileSource& source_;
  LoadedProject& out_;
  std::set<std::string> warned_unset_;

  Mark file_mark(const std::string& file) { return Mark{intern_file_name(file), 0, 0}; }

  // Stage: which files, in which order.
  std::vector<std::string> resolve_files() {
    std::vector<std::string> files;
    for (const std::string& f : options_.files) files.push_back(f == "-" ? f : join_path(options_.working_dir, f));
    if (!files.empty()) return files;
    bool several = false;
    files = discover_stack_files(options_.working_dir, source_, &several);
    if (several)
      out_.diags.warning(file_mark(files[0]), "",
                         "found several stack files in " + dir_of(files[0]) + "; using " + base_of(files[0]));
    if (!files.empty()) return files;
    out_.diags.error({}, "",
                     "no stack file found in " + options_.working_dir +
                         " or its parents (looked for compose.yaml, compose.yml, docker-compose.yaml, "
                         "docker-compose.yml); name one with -f");
    return {};
  }

  // Stage: the variables the project sees (env files under the shell).
  void load_environment() {
    std::map<std::string, std::string> env = options_.environment;
    std::vector<std::string> env_files;
    bool explicit_files = !options_.env_files.empty();
    for (const std::string& f : options_.env_files) env_files.push_back(join_path(options_.working_dir, f));
    if (!explicit_files) env_files.push_back(join_path(out_.project_dir, ".env"));
    std::map<std::string, std::string> from_files;
    for (const std::string& file : env_files) {
      std::optional<std::string> text = source_.read(file);
      if (!text) {
        if (explicit_files) out_.diags.error(file_mark(file), "", "env file " + file + " not found");
        continue;
      }
      auto lookup = [&](std::string_view name) -> std::optional<std::string> {
        if (auto it = options_.environment.find(std::string(name)); it != options_.environment.end()) return it->second;
        if (auto it = from_files.find(std::string(name)); it != from_files.end()) return it->second;
        return std::nullopt;
      };
      for (auto& [k, v] : parse_dotenv(*text, file, lookup, out_.diags)) from_files[k] = v;
    }
    for (auto& [k, v] : from_files) env.emplace(k, v);  // the shell wins
    out_.environment = std::move(env);
  }

  VariableLookup lookup_in(const std::map<std::string, std::string>& env) {
    return [&env](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
  }

  // Stage (per file): read, parse, interpolate, include, extends.
  Node read_stack_file(const std::string& file, const std::map<std::string, std::string>& env,
                       const std::string& project_dir, int depth) {
    std::optional<std::string> text =
        file == "-" ? std::optional<std::string>(options_.stdin_text) : source_.read(file);
    if (!text) {
      out_.diags.error(file_mark(file), "", "cannot read stack file " + file);
      return {};
    }
    Node tree = read_yaml(*text, file == "-" ? "<stdin>" : file, out_.diags);
    if (tree.is_null()) {
      if (!out_.diags.has_errors()) out_.diags.error(tree.mark(), "", "the stack file is empty");
      return {};
    }
    if (!tree.is_mapping()) {
      out_.diags.error(tree.mark(), "", std::string("a stack file is a mapping, got ") + std::string(tree.describe()));
      return {};
    }
    if (options_.interpolate) interpolate_tree(tree, lookup_in(env), out_.diags, warned_unset_);
    if (out_.diags.has_errors()) return {};
    resolve_includes(tree, file, env, depth);
    resolve_extends(tree, file, env, project_dir, depth);
    return tree;
  }

  void resolve_includes(Node& tree, const std::string& file, const std::map<std::string, std::string>& env,
                        int depth) {
    const Entry* include = tree.find_entry("include");
    if (!include) return;
    Node list = include->value;
    tree.erase("include");
    if (!list.is_sequence()) {
      out_.diags.error(list.mark(), "include", "expected a list of files");
      return;
    }
    if (depth > 16) {
      out_.diags.error(list.mark(), "include", "includes nest more than 16 deep (a cycle?)");
      return;
    }
    std::string here = file == "-" ? options_.working_dir : dir_of(file);
    for (size_t i = 0; i < list.items().size(); ++i) {
      const Node& item = list.items()[i];
      std::string path = path_index("include", i);
      std::vector<std::string> paths;
      std::string project_dir;
      std::vector<std::string> env_files;
      if (item.is_scalar()) {
        paths.push_back(join_path(here, item.text()));
      } else if (item.is_mapping()) {
        for (const Entry& e : item.entries()) {
          if (e.key == "path") {
            if (e.value.is_scalar()) paths.push_back(join_path(here, e.value.text()));
            else
              for (const Node& p : e.value.items()) paths.push_back(join_path(here, p.text()));
          } else if (e.key == "project_directory") {
            project_dir = join_path(here, e.value.text());
          } else if (e.key == "env_file") {
            if (e.value.is_scalar()) env_files.push_back(join_path(here, e.value.text()));
            else
              for (const Node& p : e.value.items()) env_files.push_back(join_path(here, p.text()));
          } else {
            NormalizeContext cx{out_.diags, here, {}, {}, options_.interpolate};
            report_unknown_key(e.key_mark, path, e.key, {"path", "project_directory", "env_file"}, cx);
          }
        }
      }
      if (paths.empty()) {
        out_.diags.error(item.mark(), path, "an include names a file (or path: [files])");
        continue;
      }
      if (project_dir.empty()) project_dir = dir_of(paths[0]);
      // The included project sees its own .env under the including one's variables.
      std::map<std::string, std::string> sub_env = env;
      if (env_files.empty()) env_files.push_back(join_path(project_dir, ".env"));
      for (const std::string& ef : env_files) {
        if (auto text = source_.read(ef)) {
          for (auto& [k, v] : parse_dotenv(*text, ef, lookup_in(sub_env), out_.diags)) sub_env.emplace(k, v);
        }
      }
      Node included;
      for (const std::string& p : paths) {
        if (!source_.exists(p)) {
          out_.diags.error(item.mark(), path, "included file " + p + " not found");
          continue;
        }
        Node t = read_stack_file(p, sub_env, project_dir, depth + 1);
        if (t.is_null()) continue;
        if (Node* services = t.find("services"); services && services->is_mapping())
          for (Entry& s : services->entries()) rebase_paths(s.value, project_dir);
        // A secret's or config's file is where its own file meant too.
        for (const char* section : {"secrets", "configs"})
          if (Node* objects = t.find(section); objects && objects->is_mapping())
            for (Entry& o : objects->entries())
              if (Node* file = o.value.is_mapping() ? o.value.find("file") : nullptr;
                  file && file->is_scalar() && !file->text().empty() && file->text()[0] != '/')
                *file = Node::string(join_path(project_dir, file->text()), file->mark());
        if (included.is_null()) included = std::move(t);
        else merge_project(included, t, out_.diags);
      }
      if (included.is_null()) continue;
      for (const char* section : {"services", "networks", "volumes", "secrets", "configs"}) {
        const Node* from = included.find(section);
        if (!from || !from->is_mapping()) continue;
        Node* into = tree.find(section);
        if (!into) {
          tree.set(section, *from);
          continue;
        }
        if (!into->is_mapping()) continue;
        for (const Entry& e : from->entries()) {
          if (into->find(e.key)) {
            if (std::string(section) == "services" || !(*into->find(e.key) == e.value))
              out_.diags.error(e.key_mark, path_key(section, e.key),
                               "defined both here and in " + into->find_entry(e.key)->key_mark.file_name() +
                                   " (an included file may not redefine a resource)");
            continue;
          }
          into->set(e.key, e.value, e.key_mark);
        }
      }
    }
  }

  // Relative paths of a service from another directory made absolute, so
  // that they keep pointing where their file meant.
  void rebase_paths(Node& service, const std::string& dir) {
    if (!service.is_mapping()) return;
    auto rebase = [&](Node& n) {
      if (n.is_scalar() && !n.text().empty() && n.text()[0] != '/' && n.text().find("://") == std::string::npos &&
          n.text()[0] != '~')
        n = Node::string(join_path(dir, n.text()), n.mark());
    };
    if (Node* b = service.find("build")) {
      if (b->is_scalar()) rebase(*b);
      else if (Node* c = b->find("context")) rebase(*c);
      else if (b->is_mapping()) b->set("context", Node::string(dir, b->mark()));
    }
    if (Node* ef = service.find("env_file")) {
      if (ef->is_scalar()) rebase(*ef);
      for (Node& item : ef->items()) {
        if (item.is_scalar()) rebase(item);
        else if (Node* p = item.find("path")) rebase(*p);
      }
    }
    if (Node* vols = service.find("volumes")) {
      for (Node& v : vols->items()) {
        if (v.is_scalar() && !v.text().empty() && v.text()[0] == '.') {
          size_t colon = v.text().find(':');
          if (colon != std::string::npos)
            v = Node::string(join_path(dir, v.text().substr(0, colon)) + v.text().substr(colon), v.mark());
        } else if (v.is_mapping()) {
          const Node* type = v.find("type");
          Node* src = v.find("source");
          if (type && type->text() == "bind" && src) rebase(*src);
        }
      }
    }
  }

  void resolve_extends(Node& tree, const std::string& file, const std::map<std::string, std::string>& env,
                       const std::string& project_dir, int depth) {
    Node* services = tree.find("services");
    if (!services || !services->is_mapping()) return;
    for (Entry& e : services->entries()) {
      if (!e.value.is_mapping() || !e.value.find("extends")) continue;
      std::vector<std::string> chain{file + "#" + e.key};
      resolve_service_extends(e.value, path_key("services", e.key), file, tree, env, project_dir, chain, depth);
    }
  }

  void resolve_service_extends(Node& service, const std::string& path, const std::string& file, const Node& tree,
                               const std::map<std::string, std::string>& env, const std::string& project_dir,
                               std::vector<std::string>& chain, int depth) {
    const Entry* ext = service.find_entry("extends");
    if (!ext) return;
    Node spec = ext->value;
    Mark mark = ext->key_mark;
    service.erase("extends");
    std::string base_name;
    std::string base_file;
    if (spec.is_scalar()) {
      base_name = spec.text();
    } else if (spec.is_mapping()) {
      for (const Entry& e : spec.entries()) {
        if (e.key == "service" && e.value.is_scalar()) base_name = e.value.text();
        else if (e.key == "file" && e.value.is_scalar()) base_file = e.value.text();
        else {
          NormalizeContext cx{out_.diags, project_dir, {}, {}, options_.interpolate};
          report_unknown_key(e.key_mark, path_key(path, "extends"), e.key, {"service", "file"}, cx);
        }
      }
    }
    if (base_name.empty()) {
      out_.diags.error(mark, path_key(path, "extends"), "expected a service name or {service: NAME, file: FILE}");
      return;
    }
    Node base_tree;
    std::string from_file = file;
    if (!base_file.empty()) {
      from_file = join_path(file == "-" ? options_.working_dir : dir_of(file), base_file);
      if (depth > 16 || !source_.exists(from_file)) {
        out_.diags.error(mark, path_key(path, "extends.file"), "file " + from_file + " not found");
        return;
      }
      std::optional<std::string> text = source_.read(from_file);
      base_tree = text ? read_yaml(*text, from_file, out_.diags) : Node();
      if (options_.interpolate) interpolate_tree(base_tree, lookup_in(env), out_.diags, warned_unset_);
    }
    const Node& lookup_tree = base_file.empty() ? tree : base_tree;
    const Node* services = lookup_tree.find("services");
    const Node* base = services ? services->find(base_name) : nullptr;
    if (!base || !base->is_mapping()) {
      out_.diags.error(mark, path_key(path, "extends"),
                       "service \"" + base_name + "\" not found" + (base_file.empty() ? "" : " in " + from_file));
      return;
    }
    std::string key = from_file + "#" + base_name;
    if (std::find(chain.begin(), chain.end(), key) != chain.end()) {
      std::string cycle;
      for (const std::string& c : chain) cycle += c.substr(c.find('#') + 1) + " -> ";
      out_.diags.error(mark, path_key(path, "extends"), "extends cycle: " + cycle + base_name);
      return;
    }
    chain.push_back(key);
    Node resolved = *base;
    resolve_service_extends(resolved, path_key("services", base_name), from_file, lookup_tree, env, project_dir,
                            chain, depth + 1);
    if (!base_file.empty()) rebase_paths(resolved, dir_of(from_file));
    merge_service(resolved, service, path, out_.diags);
    service = std::move(resolved);
  }

  // Stage: the project name.
  std::string project_name(const Node& merged) {
    auto pick = [&]() -> std::pair<std::string, std::string> {
      if (!options_.project_name.empty()) return {options_.project_name, "-p"};
      for (const char* var : {"STACK_PROJECT_NAME", "COMPOSE_PROJECT_NAME"})
        if (auto it = out_.environment.find(var); it != out_.environment.end() && !it->second.empty())
          return {it->second, var};
      if (const Node* n = merged.find("name"); n && n->is_scalar() && !n->text().empty()) return {n->text(), "name"};
      return {base_of(out_.project_dir), "the project directory"};
    };
    auto [raw, origin] = pick();
    std::string name = normalize_project_name(raw);
    if (name.empty() || (origin == "-p" && name != raw)) {
      const Entry* e = merged.find_entry("name");
      out_.diags.error(origin == "name" && e ? e->key_mark : Mark{}, origin == "name" ? "name" : "",
                       "invalid project name \"" + excerpt(raw) + "\" (from " + origin +
                           "): use lowercase letters, digits, '_' and '-', starting with a letter or digit");
    }
    return name;
  }

  void check_top_level(Node& merged) {
    for (const Entry& e : merged.entries()) {
      if (e.key.rfind("x-", 0) == 0) continue;
      if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), e.key) == kTopLevelKeys.end()) {
        NormalizeContext cx{out_.diags, out_.project_dir, {}, {}, options_.interpolate};
        report_unknown_key(e.key_mark, "", e.key, kTopLevelKeys, cx);
      } else if (e.key == "version") {
        out_.diags.warning(e.key_mark, "version", "the attribute is obsolete and ignored");
      } else if (e.key == "models") {
        out_.diags.ignored(e.key_mark, e.key, "not supported by stack; ignored");
      }
    }
    merged.erase("version");
    const Node* services = merged.find("services");
    if (services && !services->is_mapping() && !services->is_null())
      out_.diags.error(services->mark(), "services", "expected a mapping of services");
  }

  // Stage: the keys that become parts of names and paths, checked before
  // anything uses them (every service's, whatever its profiles).
  void check_names(const Node& merged) {
    struct Section {
      const char* key;
      const char* singular;
    };
    for (Section section : {Section{"services", "service"}, Section{"volumes", "volume"},
                            Section{"networks", "network"}, Section{"secrets", "secret"},
                            Section{"configs", "config"}}) {
      const Node* resources = merged.find(section.key);
      if (!resources || !resources->is_mapping()) continue;
      bool services = std::string_view(section.key) == "services";
      for (const Entry& e : resources->entries()) {
        if (services && e.key.rfind("x-", 0) == 0) continue;  // extension fields, not services
        std::string quoted = "\"" + excerpt(e.key) + "\"";
        if (auto problem = resource_key_problem(e.key)) {
          out_.diags.error(e.key_mark, section.key,
                           std::string("invalid ") + section.singular + " name " + quoted + ": it " + *problem);
          continue;
        }
        // A service's containers are named <project>-<service>-<n>, each a directory.
        if (services && out_.name.size() + e.key.size() + 6 > 255)
          out_.diags.error(e.key_mark, section.key,
                           "invalid service name " + quoted +
                               ": its containers' names (<project>-<service>-<n>) would be longer than 255 "
                               "characters, the most a file name can have");
        // Secrets and configs are kept for other tools (stack ignores them): a `name:` still names an object.
        if (services || !e.value.is_mapping() || section.key == std::string_view("volumes") ||
            section.key == std::string_view("networks"))
          continue;
        if (const Node* name = e.value.find("name");
            name && name->is_scalar() && (options_.interpolate || name->text().find('$') == std::string::npos))
          if (auto problem = object_name_problem(name->text()))
            out_.diags.error(name->mark(), path_key(path_key(section.key, e.key), "name"),
                             std::string("invalid ") + section.singular + " name \"" + excerpt(name->text()) +
                                 "\": it " + *problem);
      }
    }
  }

  // Stage: drop the services whose profiles are not active.
  void apply_profiles(Node& merged) {
    Node* services = merged.find("services");
    if (!services || !services->is_mapping()) return;
    std::set<std::string> active(options_.profiles.begin(), options_.profiles.end());
    for (const char* var : {"STACK_PROFILES", "COMPOSE_PROFILES"}) {
      auto it = out_.environment.find(var);
      if (it == out_.environment.end() || !options_.profiles.empty()) continue;
      std::stringstream list(it->second);
      for (std::string p; std::getline(list, p, ',');)
        if (!p.empty()) active.insert(p);
    }
    std::set<std::string> all;
    auto profiles_of = [](const Node& service) {
      std::vector<std::string> out;
      if (const Node* p = service.find("profiles"))
        for (const Node& item : as_sequence(*p)) out.push_back(item.text());
      return out;
    };
    for (const Entry& e : services->entries())
      for (const std::string& p : profiles_of(e.value)) all.insert(p);
    for (const std::string& name : options_.services) {
      const Node* service = services->find(name);
      if (!service) {
        out_.diags.error({}, "", "no such service: " + name);
        continue;
      }
      for (const std::string& p : profiles_of(*service)) active.insert(p);
    }
    bool everything = active.count("*") > 0;
    std::set<std::string> disabled;
    for (const Entry& e : services->entries()) {
      std::vector<std::string> p = profiles_of(e.value);
      bool enabled = p.empty() || everything ||
                     std::any_of(p.begin(), p.end(), [&](const std::string& x) { return active.count(x) > 0; });
      if (!enabled) disabled.insert(e.key);
    }
    services->erase_if([&](const Entry& e) { return disabled.count(e.key) > 0; });
    disabled_ = disabled;
    out_.active_profiles.assign(active.begin(), active.end());
    out_.all_profiles.assign(all.begin(), all.end());
  }

  static std::vector<Node> as_sequence(const Node& n) {
    if (n.is_sequence()) return n.items();
    if (n.is_scalar()) return {n};
    return {};
  }

  std::set<std::string> disabled_;
  std::set<std::string> checked_sources_;  // secrets and configs whose source was checked

  // Stage: typed, long syntax, defaults filled.
  Node normalize(const Node& merged) {
    NormalizeContext cx{out_.diags, out_.project_dir, lookup_in(out_.environment),
                        [this](const std::string& p) { return source_.read(p); }, options_.interpolate};
    Node out = Node::mapping(merged.mark());
    out.set("name", Node::string(out_.name, merged.mark()));
    Node services = Node::mapping(merged.mark());
    if (const Node* s = merged.find("services"); s && s->is_mapping()) {
      for (const Entry& e : s->entries()) {
        if (e.key.rfind("x-", 0) == 0) continue;
        auto n = normalize_service(e.value, path_key("services", e.key), cx);
        if (!n) continue;
        // A service that is built and names no image gets <project>-<service>, as Compose names it.
        if (n->find("build") && !n->find("image"))
          if (auto problem = image_reference_problem(out_.name + "-" + e.key))
            out_.diags.error(e.key_mark, path_key("services", e.key),
                             "the image built for this service would be named \"" + excerpt(out_.name + "-" + e.key) +
                                 "\", which " + *problem + "; name it with image:");
        services.append(e.key, std::move(*n), e.key_mark);
      }
    }
    bool uses_default = false;
    for (const Entry& e : services.entries())
      if (const Node* nets = e.value.find("networks"); nets && nets->find("default")) uses_default = true;
    Node networks = Node::mapping(merged.mark());
    if (const Node* n = merged.find("networks"); n && !n->is_null())
      if (auto nn = normalize_networks(*n, out_.name, cx)) networks = std::move(*nn);
    if (uses_default && !networks.find("default")) {
      Node def = Node::mapping(merged.mark());
      def.set("driver", Node::string("bridge", merged.mark()));
      def.set("name", Node::string(out_.name + "_default", merged.mark()));
      if (auto problem = network_name_problem(out_.name + "_default"))
        out_.diags.error(merged.mark(), "networks.default",
                         "the project's default network would be named \"" + excerpt(out_.name + "_default") +
                             "\", which " + *problem + "; choose a shorter project name");
      networks.set("default", std::move(def));
    }
    Node volumes = Node::mapping(merged.mark());
    if (const Node* v = merged.find("volumes"); v && !v->is_null())
      if (auto vv = normalize_named_volumes(*v, out_.name, cx)) volumes = std::move(*vv);
    out.set("services", std::move(services));
    if (networks.size() > 0) out.set("networks", std::move(networks));
    if (volumes.size() > 0) out.set("volumes", std::move(volumes));
    for (const char* section : {"secrets", "configs"})
      if (const Node* v = merged.find(section); v && !v->is_null())
        if (auto objects = normalize_file_objects(*v, section, out_.name, cx); objects && objects->size() > 0)
          out.set(section, std::move(*objects));
    for (const Entry& e : merged.entries()) {
      if (e.key.rfind("x-", 0) == 0 || e.key == "models") out.set(e.key, e.value, e.key_mark);
    }
    return out;
  }

  // Stage: what services refer to exists.
  void check_references(Node& project) {
    Node* services = project.find("services");
    const Node* networks = project.find("networks");
    const Node* volumes = project.find("volumes");
    std::set<std::string_view> service_names;
    for (const Entry& s : services->entries()) service_names.insert(s.key);
    for (Entry& s : services->entries()) {
      std::string path = path_key("services", s.key);
      // network_mode service:NAME made NAME a dependency: a missing one is
      // said once, at network_mode.
      std::string shared;
      if (const Node* mode = s.value.find("network_mode"); mode && mode->text().rfind("service:", 0) == 0) {
        shared = mode->text().substr(8);
        std::string why = shared == s.key           ? "a service cannot join its own network namespace"
                          : service_names.count(shared) ? ""
                          : disabled_.count(shared) ? "service \"" + shared + "\" is not enabled by any active profile"
                                                    : "no service \"" + shared + "\" in the project";
        if (why.empty()) shared.clear();
        else out_.diags.error(mode->mark(), path_key(path, "network_mode"), "\"" + mode->text() + "\": " + why);
      }
      if (Node* deps = s.value.find("depends_on")) {
        std::set<std::string> drop;
        for (const Entry& d : deps->entries()) {
          bool required = d.value.find("required")->text() == "true";
          if (service_names.count(d.key) && d.key != shared) continue;
          if (d.key == shared) {
            drop.insert(d.key);
            continue;
          }
          if (disabled_.count(d.key)) {
            if (required)
              out_.diags.error(d.key_mark, path_key(path_key(path, "depends_on"), d.key),
                               "depends on service \"" + d.key + "\", which no active profile enables");
          } else if (required) {
            std::vector<std::string_view> names;
            for (const Entry& o : services->entries()) names.push_back(o.key);
            std::string message = "depends on undefined service \"" + d.key + "\"";
            std::string near = closest_name(d.key, names);
            if (!near.empty()) message += " (did you mean \"" + near + "\"?)";
            out_.diags.error(d.key_mark, path_key(path_key(path, "depends_on"), d.key), message);
          }
          drop.insert(d.key);
        }
        if (!drop.empty()) deps->erase_if([&](const Entry& d) { return drop.count(d.key) > 0; });
      }
      if (const Node* nets = s.value.find("networks")) {
        for (const Entry& n : nets->entries()) {
          if (networks && networks->find(n.key)) continue;
          out_.diags.error(n.key_mark, path_key(path_key(path, "networks"), n.key),
                           "uses network \"" + n.key + "\", which is not declared under top-level networks");
        }
      }
      if (const Node* vols = s.value.find("volumes")) {
        for (size_t i = 0; i < vols->items().size(); ++i) {
          const Node& v = vols->items()[i];
          const Node* source = v.find("source");
          if (v.find("type")->text() != "volume" || !source) continue;
          if (volumes && volumes->find(source->text())) continue;
          out_.diags.error(v.mark(), path_index(path_key(path, "volumes"), i),
                           "uses volume \"" + source->text() + "\", which is not declared under top-level volumes");
        }
      }
      for (const char* section : {"secrets", "configs"}) check_file_grants(project, s.value, path, section);
    }
  }

  // A service's secrets and configs name declared ones; for a command that
  // makes containers, their files exist and their variables are set, so
  // that a missing one fails before anything is made.
  void check_file_grants(const Node& project, const Node& service, const std::string& path, const std::string& section) {
    const Node* grants = service.find(section);
    if (!grants) return;
    const Node* declared = project.find(section);
    std::string singular = section == "secrets" ? "secret" : "config";
    for (size_t i = 0; i < grants->items().size(); ++i) {
      const Node& source = *grants->items()[i].find("source");
      const Node* object = declared ? declared->find(source.text()) : nullptr;
      std::string at = path_index(path_key(path, section), i);
      if (!object) {
        out_.diags.error(source.mark(), at,
                         "uses " + singular + " \"" + source.text() + "\", which is not declared under top-level " + section);
        continue;
      }
      if (!options_.creating || !checked_sources_.insert(section + "." + source.text()).second) continue;
      std::string where = path_key(section, source.text());
      if (const Node* file = object->find("file"); file && !source_.exists(file->text()))
        out_.diags.error(file->mark(), path_key(where, "file"),
                         singular + " file " + file->text() + " not found (" + at + " uses it)");
      if (const Node* variable = object->find("environment"); variable && !out_.environment.count(variable->text()))
        out_.diags.error(variable->mark(), path_key(where, "environment"),
                         "variable " + variable->text() + " is not set (" + at + " uses this " + singular + ")");
    }
  }
};

}  // namespace

std::vector<std::string> discover_stack_files(const std::string& start, StackFileSource& source, bool* several) {
  static const char* kNames[] = {"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"};
  for (std::string dir = start;; dir = dir_of(dir)) {
    std::vector<std::string> found;
    for (const char* name : kNames)
      if (source.exists(join_path(dir, name))) found.push_back(join_path(dir, name));
    if (!found.empty()) {
      if (several) *several = found.size() > 1;
      std::vector<std::string> files = {found[0]};
      std::string name = base_of(found[0]);
      std::string stem = name.substr(0, name.rfind('.'));
      for (const char* ext : {".yaml", ".yml"}) {
        std::string override_file = join_path(dir, stem + ".override" + ext);
        if (source.exists(override_file)) {
          files.push_back(override_file);
          break;
        }
      }
      return files;
    }
    if (dir == "/" || dir == "." || dir.empty()) break;
  }
  return {};
}

LoadedProject load_project(const LoadOptions& options, StackFileSource& files) {
  LoadedProject out;
  Loader(options, files, out).load();
  if (!out.ok()) out.tree = Node();
  return out;
}

}  // namespace stack::schema
