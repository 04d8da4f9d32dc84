#include "schema/merge.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "schema/shapes.h"

namespace stack::schema {
namespace {

enum class Rule {
  Deep,          // mappings merge key by key, lists append, scalars replace
  Replace,       // the override wins whole
  AsMap,         // a list or a mapping, merged as a mapping
  AppendUnique,  // lists append, duplicates dropped
  ByTarget,      // list entries with the same target replace each other
};

struct AttributeRule {
  std::string_view path;  // relative to the service
  Rule rule;
  ListSplit split = ListSplit::Equals;
};

constexpr std::array kServiceRules{
    AttributeRule{"command", Rule::Replace},
    AttributeRule{"entrypoint", Rule::Replace},
    AttributeRule{"healthcheck.test", Rule::Replace},
    AttributeRule{"environment", Rule::AsMap},
    AttributeRule{"labels", Rule::AsMap},
    AttributeRule{"annotations", Rule::AsMap},
    AttributeRule{"sysctls", Rule::AsMap},
    AttributeRule{"build.args", Rule::AsMap},
    AttributeRule{"build.labels", Rule::AsMap},
    AttributeRule{"deploy.labels", Rule::AsMap},
    AttributeRule{"extra_hosts", Rule::AsMap, ListSplit::HostEntry},
    AttributeRule{"networks", Rule::AsMap, ListSplit::NameOnly},
    AttributeRule{"depends_on", Rule::AsMap, ListSplit::NameOnly},
    AttributeRule{"ports", Rule::AppendUnique},
    AttributeRule{"expose", Rule::AppendUnique},
    AttributeRule{"dns", Rule::AppendUnique},
    AttributeRule{"dns_search", Rule::AppendUnique},
    AttributeRule{"dns_opt", Rule::AppendUnique},
    AttributeRule{"tmpfs", Rule::AppendUnique},
    AttributeRule{"cap_add", Rule::AppendUnique},
    AttributeRule{"cap_drop", Rule::AppendUnique},
    AttributeRule{"security_opt", Rule::AppendUnique},
    AttributeRule{"env_file", Rule::AppendUnique},
    AttributeRule{"profiles", Rule::AppendUnique},
    AttributeRule{"devices", Rule::AppendUnique},
    AttributeRule{"external_links", Rule::AppendUnique},
    AttributeRule{"group_add", Rule::AppendUnique},
    AttributeRule{"volumes", Rule::ByTarget},
    AttributeRule{"secrets", Rule::ByTarget},
    AttributeRule{"configs", Rule::ByTarget},
};

const AttributeRule* rule_for(std::string_view relative) {
  for (const AttributeRule& r : kServiceRules)
    if (r.path == relative) return &r;
  return nullptr;
}

std::string secret_target(const Node& entry) {
  if (entry.is_mapping()) {
    if (const Node* t = entry.find("target"); t && t->is_scalar()) return t->text();
    if (const Node* s = entry.find("source"); s && s->is_scalar()) return s->text();
    return {};
  }
  return entry.is_scalar() ? entry.text() : std::string();
}

void merge_value(Node& base, const Node& over, const std::string& relative, const std::string& path,
                 bool in_service, Diagnostics& diags);

void merge_mapping(Node& base, const Node& over, const std::string& relative, const std::string& path,
                   bool in_service, Diagnostics& diags) {
  for (const Entry& e : over.entries()) {
    std::string child_relative = relative.empty() ? e.key : relative + "." + e.key;
    std::string child_path = path_key(path, e.key);
    if (e.value.tag() == "!reset") {
      base.erase(e.key);
      continue;
    }
    Node* existing = base.find(e.key);
    if (!existing || e.value.tag() == "!override") {
      Node copy = e.value;
      strip_merge_tags(copy);
      base.set(e.key, std::move(copy), e.key_mark);
      continue;
    }
    merge_value(*existing, e.value, child_relative, child_path, in_service, diags);
  }
}

void merge_value(Node& base, const Node& over, const std::string& relative, const std::string& path,
                 bool in_service, Diagnostics& diags) {
  const AttributeRule* rule = in_service ? rule_for(relative) : nullptr;
  Rule r = rule ? rule->rule : Rule::Deep;
  Node clean = over;
  strip_merge_tags(clean);

  switch (r) {
    case Rule::Replace:
      base = std::move(clean);
      return;
    case Rule::AsMap: {
      auto b = list_to_map(base, rule->split, path, diags);
      auto o = list_to_map(clean, rule->split, path, diags);
      if (!b || !o) return;
      for (const Entry& e : o->entries()) {
        Node* existing = b->find(e.key);
        if (existing && existing->is_mapping() && e.value.is_mapping())
          merge_mapping(*existing, e.value, "", path_key(path, e.key), false, diags);
        else
          b->set(e.key, e.value, e.key_mark);
      }
      base = std::move(*b);
      return;
    }
    case Rule::AppendUnique: {
      Node merged = as_list(base);
      Node added = as_list(clean);
      // Scalars (nearly every item) are found by text in a hash set, so that
      // merging long lists stays linear; other items are compared one by one.
      auto scalar_key = [](const Node& n) { return (n.is_string() ? "s:" : "o:") + n.text(); };
      std::unordered_set<std::string> scalars;
      std::vector<size_t> others;
      for (size_t i = 0; i < merged.items().size(); ++i) {
        if (merged.items()[i].is_scalar()) scalars.insert(scalar_key(merged.items()[i]));
        else others.push_back(i);
      }
      for (const Node& item : added.items()) {
        if (item.is_scalar()) {
          if (scalars.insert(scalar_key(item)).second) merged.push_back(item);
          continue;
        }
        if (std::none_of(others.begin(), others.end(), [&](size_t i) { return merged.items()[i] == item; })) {
          others.push_back(merged.items().size());
          merged.push_back(item);
        }
      }
      base = std::move(merged);
      return;
    }
    case Rule::ByTarget: {
      if (!base.is_sequence() || !clean.is_sequence()) {
        base = std::move(clean);
        return;
      }
      auto target = relative == "volumes" ? volume_target : secret_target;
      std::unordered_map<std::string, size_t> by_target;  // the first entry of each target
      for (size_t i = 0; i < base.items().size(); ++i)
        if (std::string t = target(base.items()[i]); !t.empty()) by_target.emplace(std::move(t), i);
      for (const Node& item : clean.items()) {
        std::string t = target(item);
        if (auto it = by_target.find(t); !t.empty() && it != by_target.end()) {
          base.items()[it->second] = item;
          continue;
        }
        if (!t.empty()) by_target.emplace(std::move(t), base.items().size());
        base.push_back(item);
      }
      return;
    }
    case Rule::Deep:
      break;
  }
  if (base.is_mapping() && clean.is_mapping()) {
    merge_mapping(base, clean, relative, path, in_service, diags);
  } else if (base.is_sequence() && clean.is_sequence()) {
    for (const Node& item : clean.items()) base.push_back(item);
  } else {
    base = std::move(clean);
  }
}

}  // namespace

void strip_merge_tags(Node& node) {
  if (node.tag() == "!reset" || node.tag() == "!override") node.set_tag("");
  if (node.is_mapping()) {
    node.erase_if([](const Entry& e) { return e.value.tag() == "!reset"; });
    for (Entry& e : node.entries()) strip_merge_tags(e.value);
  } else if (node.is_sequence()) {
    for (Node& item : node.items()) strip_merge_tags(item);
  }
}

void merge_service(Node& base, const Node& over, const std::string& path, Diagnostics& diags) {
  if (!base.is_mapping() || !over.is_mapping()) {
    if (over.tag() == "!reset") return;
    base = over;
    strip_merge_tags(base);
    return;
  }
  merge_mapping(base, over, "", path, /*in_service=*/true, diags);
}

void merge_project(Node& base, const Node& over, Diagnostics& diags) {
  if (!over.is_mapping()) return;
  if (!base.is_mapping()) {
    base = over;
    strip_merge_tags(base);
    return;
  }
  for (const Entry& e : over.entries()) {
    if (e.key != "services" || !e.value.is_mapping()) {
      Node single = Node::mapping(over.mark());
      single.set(e.key, e.value, e.key_mark);
      merge_mapping(base, single, "", "", false, diags);
      continue;
    }
    Node* services = base.find("services");
    if (!services || !services->is_mapping()) {
      Node copy = e.value;
      strip_merge_tags(copy);
      base.set("services", std::move(copy), e.key_mark);
      continue;
    }
    for (const Entry& s : e.value.entries()) {
      if (s.value.tag() == "!reset") {
        services->erase(s.key);
        continue;
      }
      Node* existing = services->find(s.key);
      if (!existing || s.value.tag() == "!override") {
        Node copy = s.value;
        strip_merge_tags(copy);
        services->set(s.key, std::move(copy), s.key_mark);
        continue;
      }
      merge_service(*existing, s.value, path_key("services", s.key), diags);
    }
  }
}

}  // namespace stack::schema
