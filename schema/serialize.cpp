#include "schema/serialize.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace stack::schema {
namespace {

std::vector<const Entry*> sorted_entries(const Node& node) {
  std::vector<const Entry*> entries;
  for (const Entry& e : node.entries()) entries.push_back(&e);
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) { return a->key < b->key; });
  return entries;
}

// A string that would read back as another type (or not at all) is quoted.
bool needs_quotes(const std::string& s) {
  if (s.empty() || resolve_plain_type(s) != Node::Type::String) return true;
  static const char* kWords[] = {"yes", "no", "on", "off", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF", "y", "n"};
  for (const char* w : kWords)
    if (s == w) return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  if (std::string("-?:,[]{}#&*!|>'\"%@`~").find(s.front()) != std::string::npos) return true;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\n' || c == '\t' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
    if (c == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return true;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return true;
  }
  return false;
}

void emit(YAML::Emitter& out, const Node& node) {
  switch (node.kind()) {
    case Node::Kind::Null:
      out << YAML::Null;
      return;
    case Node::Kind::Scalar:
      if (node.type() == Node::Type::String && needs_quotes(node.text()))
        out << YAML::DoubleQuoted << node.text();
      else
        out << node.text();
      return;
    case Node::Kind::Sequence:
      if (node.items().empty()) out << YAML::Flow;  // "[]" rather than a dangling block
      out << YAML::BeginSeq;
      for (const Node& item : node.items()) emit(out, item);
      out << YAML::EndSeq;
      return;
    case Node::Kind::Mapping:
      if (node.entries().empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const Entry* e : sorted_entries(node)) {
        out << YAML::Key;
        if (needs_quotes(e->key)) out << YAML::DoubleQuoted;
        out << e->key << YAML::Value;
        emit(out, e->value);
      }
      out << YAML::EndMap;
      return;
  }
}

nlohmann::ordered_json to_json_value(const Node& node) {
  switch (node.kind()) {
    case Node::Kind::Null:
      return nullptr;
    case Node::Kind::Scalar:
      switch (node.type()) {
        case Node::Type::Int:
          if (auto i = node.as_int()) return *i;
          return node.text();
        case Node::Type::Float:
          if (auto d = node.as_number()) return *d;
          return node.text();
        case Node::Type::Bool:
          return node.as_bool().value_or(false);
        default:
          return node.text();
      }
    case Node::Kind::Sequence: {
      auto array = nlohmann::ordered_json::array();
      for (const Node& item : node.items()) array.push_back(to_json_value(item));
      return array;
    }
    case Node::Kind::Mapping: {
      auto object = nlohmann::ordered_json::object();
      for (const Entry* e : sorted_entries(node)) object[e->key] = to_json_value(e->value);
      return object;
    }
  }
  return nullptr;
}

}  // namespace

std::string to_yaml(const Node& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetNullFormat(YAML::LowerNull);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  emit(out, node);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

std::string to_json(const Node& node, int indent) {
  std::string text = to_json_value(node).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
  return indent < 0 ? text : text + "\n";
}

std::string service_config_hash(const Node& service) {
  Node copy = service;
  for (const char* key : {"scale", "profiles", "build", "depends_on", "pull_policy"}) copy.erase(key);
  if (Node* deploy = copy.find("deploy")) deploy->erase("replicas");
  std::string canonical = to_json(copy, -1);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace stack::schema
