#include "schema/node.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <set>
#include <cmath>
#include <cstdlib>

namespace stack::schema {

namespace {

struct FileNames {
  std::mutex lock;
  std::set<std::string> names;
  std::set<const std::string*> confidential;
};

FileNames& file_names() {
  static FileNames* names = new FileNames;  // never freed: marks outlive everything
  return *names;
}

}  // namespace

const std::string* intern_file_name(const std::string& name) {
  FileNames& f = file_names();
  std::lock_guard<std::mutex> guard(f.lock);
  return &*f.names.insert(name).first;
}

const std::string* intern_confidential_file_name(const std::string& name) {
  FileNames& f = file_names();
  std::lock_guard<std::mutex> guard(f.lock);
  const std::string* interned = &*f.names.insert(name).first;
  f.confidential.insert(interned);
  return interned;
}

bool file_is_confidential(const std::string* interned) {
  FileNames& f = file_names();
  std::lock_guard<std::mutex> guard(f.lock);
  return interned && f.confidential.count(interned) > 0;
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

namespace {

size_t hash_key(std::string_view key) { return std::hash<std::string_view>{}(key); }

}  // namespace

void EntryIndex::build(const std::vector<Entry>& entries) {
  size_t capacity = 64;
  while (capacity < entries.size() * 2) capacity *= 2;
  slots_.assign(capacity, 0);
  for (size_t i = 0; i < entries.size(); ++i) insert(i, entries);
}

void EntryIndex::insert(size_t position, const std::vector<Entry>& entries) {
  size_t mask = slots_.size() - 1;
  for (size_t slot = hash_key(entries[position].key) & mask;; slot = (slot + 1) & mask) {
    if (slots_[slot] == 0) {
      slots_[slot] = static_cast<std::uint32_t>(position + 1);
      return;
    }
  }
}

std::optional<size_t> EntryIndex::find(std::string_view key, const std::vector<Entry>& entries) const {
  size_t mask = slots_.size() - 1;
  for (size_t slot = hash_key(key) & mask;; slot = (slot + 1) & mask) {
    std::uint32_t at = slots_[slot];
    if (at == 0) return std::nullopt;
    if (entries[at - 1].key == key) return at - 1;
  }
}

void EntryIndex::add_last(const std::vector<Entry>& entries) {
  if (entries.size() * 2 > slots_.size()) build(entries);  // at most half full: probes stay short
  else insert(entries.size() - 1, entries);
}

const Entry* Node::find_entry(std::string_view key) const {
  if (kind_ != Kind::Mapping) return nullptr;
  if (index_.built()) {
    std::optional<size_t> at = index_.find(key, entries_);
    return at ? &entries_[*at] : nullptr;
  }
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

void Node::index_appended() {
  if (index_.built()) index_.add_last(entries_);
  else if (entries_.size() >= kIndexedSize) index_.build(entries_);
}

Node& Node::set(std::string key, Node value, Mark key_mark) {
  if (Entry* e = const_cast<Entry*>(find_entry(key))) {
    e->value = std::move(value);
    return e->value;
  }
  if (!key_mark.known()) key_mark = value.mark();
  entries_.push_back(Entry{std::move(key), std::move(key_mark), std::move(value)});
  index_appended();
  return entries_.back().value;
}

void Node::append(std::string key, Node value, Mark key_mark) {
  entries_.push_back(Entry{std::move(key), std::move(key_mark), std::move(value)});
  index_appended();
}

void Node::assign_entries(std::vector<Entry> entries) {
  entries_ = std::move(entries);
  index_.clear();
  if (entries_.size() >= kIndexedSize) index_.build(entries_);
}

bool Node::erase(std::string_view key) {
  const Entry* e = find_entry(key);
  if (!e) return false;
  entries_.erase(entries_.begin() + (e - entries_.data()));
  // Positions after the erased entry moved: one linear rebuild, as the erase itself.
  index_.clear();
  if (entries_.size() >= kIndexedSize) index_.build(entries_);
  return true;
}

size_t Node::erase_if(const std::function<bool(const Entry&)>& drop) {
  size_t before = entries_.size();
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), drop), entries_.end());
  if (entries_.size() != before) {
    index_.clear();
    if (entries_.size() >= kIndexedSize) index_.build(entries_);
  }
  return before - entries_.size();
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
