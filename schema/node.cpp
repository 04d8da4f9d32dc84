#include "schema/node.h"

#include <charconv>
#include <mutex>
#include <set>
#include <cmath>
#include <cstdlib>

namespace stack::schema {

const std::string* intern_file_name(const std::string& name) {
  static std::mutex lock;
  static std::set<std::string>* names = new std::set<std::string>;  // never freed: marks outlive everything
  std::lock_guard<std::mutex> guard(lock);
  return &*names->insert(name).first;
}

const std::string& Mark::file_name() const {
  static const std::string kUnknown = "<input>";
  return file ? *file : kUnknown;
}

Node Node::null(Mark mark) {
  Node n;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::string(std::string text, Mark mark) {
  Node n;
  n.kind_ = Kind::Scalar;
  n.type_ = Type::String;
  n.text_ = std::move(text);
  n.mark_ = std::move(mark);
  return n;
}

Node Node::integer(std::int64_t value, Mark mark) {
  Node n = string(std::to_string(value), std::move(mark));
  n.type_ = Type::Int;
  return n;
}

Node Node::number(double value, Mark mark) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) {
    Node n = string(std::to_string(static_cast<std::int64_t>(value)) + ".0", std::move(mark));
    n.type_ = Type::Float;
    return n;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  Node n = string(std::string(buf, ec == std::errc() ? end : buf), std::move(mark));
  n.type_ = Type::Float;
  return n;
}

Node Node::boolean(bool value, Mark mark) {
  Node n = string(value ? "true" : "false", std::move(mark));
  n.type_ = Type::Bool;
  return n;
}

Node Node::plain(std::string text, Mark mark) {
  Type type = resolve_plain_type(text);
  if (type == Type::Null) return null(std::move(mark));
  Node n = string(std::move(text), std::move(mark));
  n.type_ = type;
  n.plain_ = true;
  return n;
}

Node Node::sequence(Mark mark) {
  Node n;
  n.kind_ = Kind::Sequence;
  n.type_ = Type::String;
  n.mark_ = std::move(mark);
  return n;
}

Node Node::mapping(Mark mark) {
  Node n;
  n.kind_ = Kind::Mapping;
  n.type_ = Type::String;
  n.mark_ = std::move(mark);
  return n;
}

void Node::push_back(Node item) { items_.push_back(std::move(item)); }

const Entry* Node::find_entry(std::string_view key) const {
  if (kind_ != Kind::Mapping) return nullptr;
  for (const Entry& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

const Node* Node::find(std::string_view key) const {
  const Entry* e = find_entry(key);
  return e ? &e->value : nullptr;
}

Node* Node::find(std::string_view key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}

Node& Node::set(std::string key, Node value, Mark key_mark) {
  for (Entry& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      return e.value;
    }
  }
  if (!key_mark.known()) key_mark = value.mark();
  entries_.push_back(Entry{std::move(key), std::move(key_mark), std::move(value)});
  return entries_.back().value;
}

void Node::append(std::string key, Node value, Mark key_mark) {
  entries_.push_back(Entry{std::move(key), std::move(key_mark), std::move(value)});
}

bool Node::erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

size_t Node::size() const {
  if (kind_ == Kind::Mapping) return entries_.size();
  if (kind_ == Kind::Sequence) return items_.size();
  return 0;
}

namespace {

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && s[1] == 'o') {
    base = 8;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return negative ? -value : value;
}

std::optional<double> parse_float(std::string_view s) {
  if (s.empty()) return std::nullopt;
  // Only decimal forms; YAML's .inf/.nan have no use in a stack file.
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') digit = true;
    else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') return std::nullopt;
  }
  if (!digit) return std::nullopt;
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

}  // namespace

Node::Type resolve_plain_type(std::string_view t) {
  if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL") return Node::Type::Null;
  if (t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE")
    return Node::Type::Bool;
  if (parse_int(t)) return Node::Type::Int;
  if (parse_float(t)) return Node::Type::Float;
  return Node::Type::String;
}

std::optional<std::int64_t> Node::as_int() const {
  if (kind_ != Kind::Scalar || type_ == Type::Bool) return std::nullopt;
  return parse_int(text_);
}

std::optional<double> Node::as_number() const {
  if (kind_ != Kind::Scalar || type_ == Type::Bool) return std::nullopt;
  if (auto i = parse_int(text_)) return static_cast<double>(*i);
  return parse_float(text_);
}

std::optional<bool> Node::as_bool() const {
  if (kind_ != Kind::Scalar) return std::nullopt;
  if (text_ == "true" || text_ == "True" || text_ == "TRUE") return true;
  if (text_ == "false" || text_ == "False" || text_ == "FALSE") return false;
  if (type_ != Type::String) return std::nullopt;
  // Strings from interpolation or older files: accept the YAML 1.1 spellings.
  if (text_ == "yes" || text_ == "on" || text_ == "1") return true;
  if (text_ == "no" || text_ == "off" || text_ == "0") return false;
  return std::nullopt;
}

std::optional<std::string> Node::as_string() const {
  if (kind_ != Kind::Scalar) return std::nullopt;
  return text_;
}

std::string_view Node::describe() const {
  switch (kind_) {
    case Kind::Null: return "null";
    case Kind::Sequence: return "a list";
    case Kind::Mapping: return "a mapping";
    case Kind::Scalar: break;
  }
  switch (type_) {
    case Type::Int: return "an integer";
    case Type::Float: return "a number";
    case Type::Bool: return "a boolean";
    default: return "a string";
  }
}

bool Node::operator==(const Node& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::Null: return true;
    case Kind::Scalar: return text_ == o.text_ && (type_ == Type::String) == (o.type_ == Type::String);
    case Kind::Sequence: return items_ == o.items_;
    case Kind::Mapping:
      if (entries_.size() != o.entries_.size()) return false;
      for (const Entry& e : entries_) {
        const Node* other = o.find(e.key);
        if (!other || !(*other == e.value)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace stack::schema
