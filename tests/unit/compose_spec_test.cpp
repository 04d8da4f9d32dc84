// Every attribute of the Compose specification's JSON schema (tests/compose-spec/compose-spec.json) is one stack knows: applied, refused or warned by name, never "unknown key".
#include <gtest/gtest.h>

#include <fstream>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "schema/loader.h"
#include "schema/project.h"
#include "tests/unit/stack_file_text.h"

namespace stack::schema {
namespace {

using nlohmann::json;

json spec() {
  std::ifstream in(COMPOSE_SPEC_JSON);
  return json::parse(in);
}

// One attribute the schema allows: the keys leading to it from the top of
// a stack file, with placeholder names where the schema has a pattern
// (a service's, a network's), and whether its value is a list of mappings.
struct Attribute {
  std::vector<std::string> keys;
  std::vector<bool> in_list;  // keys[i] is the key of a mapping inside a list
};

// The objects a schema node may be, following $ref and oneOf/anyOf: each
// with the properties it lists.
void objects_of(const json& root, const json& node, std::vector<const json*>* out, int depth = 0) {
  if (depth > 8 || !node.is_object()) return;
  if (auto ref = node.find("$ref"); ref != node.end()) {
    std::string path = ref->get<std::string>();  // "#/definitions/NAME"
    objects_of(root, root["definitions"][path.substr(path.rfind('/') + 1)], out, depth + 1);
    return;
  }
  for (const char* alternatives : {"oneOf", "anyOf"})
    if (auto it = node.find(alternatives); it != node.end())
      for (const json& alternative : *it) objects_of(root, alternative, out, depth + 1);
  if (node.contains("properties") || node.contains("patternProperties")) out->push_back(&node);
  if (auto items = node.find("items"); items != node.end()) {
    std::vector<const json*> in_items;
    objects_of(root, *items, &in_items, depth + 1);
    for (const json* o : in_items) out->push_back(o);  // marked as in a list by the walk
  }
}

bool is_list_of_objects(const json& root, const json& node, int depth = 0) {
  if (depth > 8 || !node.is_object()) return false;
  if (auto ref = node.find("$ref"); ref != node.end()) {
    std::string path = ref->get<std::string>();
    return is_list_of_objects(root, root["definitions"][path.substr(path.rfind('/') + 1)], depth + 1);
  }
  if (node.contains("items")) return true;
  for (const char* alternatives : {"oneOf", "anyOf"})
    if (auto it = node.find(alternatives); it != node.end())
      for (const json& alternative : *it)
        if (is_list_of_objects(root, alternative, depth + 1)) return true;
  return false;
}

// Walks every attribute under `node`, three mappings deep at most below a
// service (deploy.resources.limits.cpus).
void walk(const json& root, const json& node, Attribute at, std::vector<Attribute>* out) {
  if (at.keys.size() > 6) return;
  std::vector<const json*> objects;
  objects_of(root, node, &objects);
  bool list = is_list_of_objects(root, node) && !node.contains("properties");
  for (const json* object : objects) {
    if (auto props = object->find("properties"); props != object->end())
      for (const auto& [key, child] : props->items()) {
        Attribute next = at;
        next.keys.push_back(key);
        next.in_list.push_back(list);
        out->push_back(next);
        walk(root, child, next, out);
      }
    // A map of named objects (services, networks, depends_on): one name.
    if (auto patterns = object->find("patternProperties"); patterns != object->end())
      for (const auto& [pattern, child] : patterns->items()) {
        if (pattern == "^x-") continue;
        Attribute next = at;
        next.keys.push_back("n1");
        next.in_list.push_back(false);
        walk(root, child, next, out);
      }
  }
}

// The YAML of `a` set to a placeholder: each key a mapping (or a list of
// one) holding the next, the last one's value an empty string.
std::string yaml_of(const Attribute& a, const std::string& value = "\"\"") {
  std::string text, indent;
  for (size_t i = 0; i < a.keys.size(); ++i) {
    text += indent + (a.in_list[i] ? "- " : "") + a.keys[i] + ":";
    if (a.in_list[i]) indent += "  ";
    text += i + 1 == a.keys.size() ? " " + value + "\n" : "\n";
    indent += "  ";
  }
  return text;
}

std::string dotted(const Attribute& a) {
  std::string path;
  for (const std::string& k : a.keys) path += (path.empty() ? "" : ".") + k;
  return path;
}

// As docs/compatibility.md names it: a name of the user's is "*", a
// mapping in a list "[]" ("services.*.ports[].target").
std::string table_name(const Attribute& a) {
  std::string path;
  for (size_t i = 0; i < a.keys.size(); ++i) {
    if (a.in_list[i]) path += "[]";
    path += (path.empty() ? "" : ".") + (a.keys[i] == "n1" ? std::string("*") : a.keys[i]);
  }
  return path;
}

// Every attribute of the specification, once each, in the walk's order.
std::vector<Attribute> spec_attributes() {
  json root = spec();
  std::vector<Attribute> all, out;
  walk(root, root, {}, &all);
  std::set<std::string> seen;
  for (const Attribute& a : all)
    if (seen.insert(dotted(a)).second) out.push_back(a);
  return out;
}

// Whether loading the attribute (set to a placeholder) warns it ignored,
// at its own path: what --strict refuses.
bool warned_ignored_in(const Attribute& a, const LoadedProject& loaded) {
  for (const Diagnostic& d : loaded.diags.all()) {
    // At the attribute, or at one it is part of (deploy.placement for
    // deploy.placement.constraints); services.n1.ports[0].x is ports.x.
    std::string path = d.path;
    for (size_t open; (open = path.find('[')) != std::string::npos;) path.replace(open, path.find(']', open) - open + 1, "");
    std::string want = dotted(a);
    if (d.ignored_key && (path == want || want.rfind(path + ".", 0) == 0)) return true;
  }
  return false;
}

// The placeholder is each of a few values of every shape, since a value of
// the wrong type is an error before anything is warned.
bool warned_ignored(const Attribute& a) {
  for (const char* value : {"\"\"", "1", "true", "\"5s\"", "{}", "{a: b}", "[]", "[a]"}) {
    test_support::OneStackFile files(yaml_of(a, value));
    LoadOptions o;
    o.working_dir = "/p";
    LoadedProject loaded = load_project(o, files);
    if (warned_ignored_in(a, loaded)) return true;
  }
  return false;
}

TEST(ComposeSpec, EveryAttributeOfTheSpecificationIsOneStackKnows) {
  json root = spec();
  std::vector<Attribute> attributes;
  walk(root, root, {}, &attributes);
  ASSERT_GT(attributes.size(), 300u) << "the walk missed most of the schema";
  std::set<std::string> seen;
  std::vector<std::string> unknown;
  for (const Attribute& a : attributes) {
    if (!seen.insert(dotted(a)).second) continue;
    if (a.keys.front() == "version" || a.keys.front() == "include") continue;  // read before the tables
    test_support::OneStackFile files(yaml_of(a));
    LoadOptions o;
    o.working_dir = "/p";
    LoadedProject loaded = load_project(o, files);
    for (const Diagnostic& d : loaded.diags.all())
      if (d.message.rfind("unknown key \"" + a.keys.back() + "\"", 0) == 0) unknown.push_back(dotted(a) + " (" + d.path + ")");
  }
  std::string list;
  for (const std::string& u : unknown) list += "\n  " + u;
  EXPECT_TRUE(unknown.empty()) << unknown.size() << " attributes of compose-spec.json are unknown to stack:" << list;
  std::cout << seen.size() << " attributes of compose-spec.json checked\n";
}

// docs/compatibility.md is the code's table: a row for every attribute of
// the specification, and those it calls ignored exactly those the loader
// warns ignored (STACK_UPDATE_FIXTURES=1 prints the rows as the code has
// them, for a new specification).
TEST(ComposeSpec, CompatibilityTableIsWhatTheLoaderDoes) {
  std::ifstream in(COMPATIBILITY_MD);
  ASSERT_TRUE(in) << COMPATIBILITY_MD;
  std::map<std::string, std::string> rows;  // attribute -> what stack does
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    size_t end = line.find("` |", 3);
    if (end == std::string::npos) continue;
    size_t cell = end + 3, cell_end = line.find('|', cell);
    std::string what = line.substr(cell, cell_end - cell);
    what.erase(0, what.find_first_not_of(' '));
    what.erase(what.find_last_not_of(' ') + 1);
    rows[line.substr(3, end - 3)] = what;
  }
  bool print = std::getenv("STACK_UPDATE_FIXTURES") != nullptr;
  std::vector<std::string> missing, wrong;
  std::set<std::string> known;
  for (const Attribute& a : spec_attributes()) {
    if (a.keys.front() == "version" || a.keys.front() == "include") continue;  // read before the tables
    std::string name = table_name(a);
    known.insert(name);
    bool ignored = warned_ignored(a);
    if (print) std::cout << "| `" << name << "` | " << (ignored ? "ignored" : "applied") << " | |\n";
    auto row = rows.find(name);
    if (row == rows.end()) {
      missing.push_back(name);
    } else if ((row->second == "ignored") != ignored) {
      wrong.push_back(name + " (the table says " + row->second + ", the loader " + (ignored ? "ignores it" : "does not") + ")");
    }
  }
  std::vector<std::string> extra;
  for (const auto& [name, what] : rows)
    if (!known.count(name) && name != "version" && name.rfind("include", 0) != 0) extra.push_back(name);
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += "\n  " + s;
    return out;
  };
  EXPECT_TRUE(missing.empty()) << missing.size() << " attributes have no row in docs/compatibility.md:" << list(missing);
  EXPECT_TRUE(wrong.empty()) << "rows that say otherwise than the code:" << list(wrong);
  EXPECT_TRUE(extra.empty()) << "rows of no attribute of the specification:" << list(extra);
}

}  // namespace
}  // namespace stack::schema
