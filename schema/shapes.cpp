#include "schema/shapes.h"

namespace stack::schema {

std::optional<Node> list_to_map(const Node& node, ListSplit split, const std::string& path, Diagnostics& diags) {
  if (node.is_mapping()) return node;
  if (!node.is_sequence()) {
    diags.error(node.mark(), path, std::string("expected a mapping or a list, got ") + std::string(node.describe()));
    return std::nullopt;
  }
  Node out = Node::mapping(node.mark());
  for (size_t i = 0; i < node.items().size(); ++i) {
    const Node& item = node.items()[i];
    std::optional<std::string> text = item.as_string();
    if (!text) {
      diags.error(item.mark(), path_index(path, i), std::string("expected a string, got ") + std::string(item.describe()));
      continue;
    }
    std::string key = *text;
    Node value = Node::null(item.mark());
    if (split != ListSplit::NameOnly) {
      size_t at = key.find('=');
      if (split == ListSplit::HostEntry && at == std::string::npos) at = key.find(':');
      if (at != std::string::npos) {
        value = Node::string(key.substr(at + 1), item.mark());
        key.resize(at);
      } else if (split == ListSplit::HostEntry) {
        diags.error(item.mark(), path_index(path, i), "expected \"HOST=IP\" or \"HOST:IP\", got \"" + key + "\"");
        continue;
      }
    }
    if (key.empty()) {
      diags.error(item.mark(), path_index(path, i), "empty name");
      continue;
    }
    out.set(key, std::move(value), item.mark());
  }
  return out;
}

std::string volume_target(const Node& entry) {
  if (entry.is_mapping()) {
    const Node* target = entry.find("target");
    return target && target->is_scalar() ? target->text() : std::string();
  }
  if (!entry.is_scalar()) return {};
  const std::string& spec = entry.text();
  size_t first = spec.find(':');
  if (first == std::string::npos) return spec;
  size_t second = spec.find(':', first + 1);
  return spec.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

Node as_list(const Node& node) {
  if (node.is_sequence()) return node;
  Node out = Node::sequence(node.mark());
  if (!node.is_null()) out.push_back(node);
  return out;
}

}  // namespace stack::schema
