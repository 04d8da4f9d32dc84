// Node: a YAML value tree that keeps the file, line and column of every value and key.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stack::schema {

// Where a value came from. `file` is an interned name (see intern_file_name):
// marks are copied with every value, so they hold no reference count.
struct Mark {
  const std::string* file = nullptr;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;

  const std::string& file_name() const;
  bool known() const { return file != nullptr && line > 0; }
};

// A stable pointer for a file name, valid for the life of the process.
const std::string* intern_file_name(const std::string& name);
// The same, for a file that may hold secrets (an env file): errors about it
// name its file and line but never show its text.
const std::string* intern_confidential_file_name(const std::string& name);
bool file_is_confidential(const std::string* interned);

class Node;

struct Entry;

// Key -> position of a large mapping's entries, so that finding a key costs
// O(1) and loading stays linear in the size of the file. An open-addressing
// table of positions: it holds no copy of the keys (it reads them from the
// entries it is given), so building and copying it allocate once.
class EntryIndex {
 public:
  bool built() const { return !slots_.empty(); }
  void clear() { slots_.clear(); }
  void build(const std::vector<Entry>& entries);
  std::optional<size_t> find(std::string_view key, const std::vector<Entry>& entries) const;
  // Indexes the last of `entries`, just appended.
  void add_last(const std::vector<Entry>& entries);

 private:
  void insert(size_t position, const std::vector<Entry>& entries);
  std::vector<std::uint32_t> slots_;  // position + 1; 0 is an empty slot. Size: a power of two.
};

// A value of a stack file. Mappings keep their keys in file order; the
// serializer sorts them. Scalars keep the text and the type YAML resolved
// (a quoted "8080" stays a string, a plain 8080 is an int).
class Node {
 public:
  enum class Kind : std::uint8_t { Null, Scalar, Sequence, Mapping };
  enum class Type : std::uint8_t { String, Int, Float, Bool, Null };

  Node() = default;
  static Node null(Mark mark = {});
  static Node string(std::string text, Mark mark = {});
  static Node integer(std::int64_t value, Mark mark = {});
  static Node number(double value, Mark mark = {});
  static Node boolean(bool value, Mark mark = {});
  // A plain (unquoted) scalar: its type is resolved as YAML's core schema does.
  static Node plain(std::string text, Mark mark = {});
  static Node sequence(Mark mark = {});
  static Node mapping(Mark mark = {});

  Kind kind() const { return kind_; }
  Type type() const { return type_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_scalar() const { return kind_ == Kind::Scalar; }
  bool is_sequence() const { return kind_ == Kind::Sequence; }
  bool is_mapping() const { return kind_ == Kind::Mapping; }
  bool is_string() const { return kind_ == Kind::Scalar && type_ == Type::String; }

  const Mark& mark() const { return mark_; }
  void set_mark(Mark mark) { mark_ = std::move(mark); }
  // YAML tag such as "!reset" or "!override"; empty when none.
  const std::string& tag() const { return tag_; }
  void set_tag(std::string tag) { tag_ = std::move(tag); }

  // Scalar text as written (after interpolation).
  const std::string& text() const { return text_; }
  void set_text(std::string text) { text_ = std::move(text); }
  void set_type(Type type) { type_ = type; }
  // True for scalars written without quotes (their type came from resolution).
  bool plain_written() const { return plain_; }

  // Sequence items.
  const std::vector<Node>& items() const { return items_; }
  std::vector<Node>& items() { return items_; }
  void push_back(Node item);

  // Mapping entries, in order. Values may be changed in place; keys and the
  // set of entries change only through the methods below, which keep the
  // key index in step.
  const std::vector<Entry>& entries() const { return entries_; }
  std::span<Entry> entries();
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  const Entry* find_entry(std::string_view key) const;
  // Sets key (replacing the value of an existing entry, keeping its position).
  Node& set(std::string key, Node value, Mark key_mark = {});
  // Adds an entry whose key the caller knows is new (no search).
  void append(std::string key, Node value, Mark key_mark);
  // Replaces all entries by `entries`, whose keys the caller knows are distinct.
  void assign_entries(std::vector<Entry> entries);
  void reserve_entries(size_t n);
  bool erase(std::string_view key);
  // Erases every entry `drop` is true of, in one pass; returns how many.
  size_t erase_if(const std::function<bool(const Entry&)>& drop);
  size_t size() const;

  // Typed reads; nullopt where the value does not have that shape. Strings
  // that spell a number or bool are accepted, because interpolation makes
  // strings of everything.
  std::optional<std::int64_t> as_int() const;
  std::optional<double> as_number() const;
  std::optional<bool> as_bool() const;
  // Any scalar's text; nullopt for sequences, mappings and null.
  std::optional<std::string> as_string() const;

  // A short name for error messages: "a string", "a mapping", ...
  std::string_view describe() const;

  bool operator==(const Node& other) const;

 private:
  Kind kind_ = Kind::Null;
  Type type_ = Type::Null;
  bool plain_ = false;
  std::string text_;
  std::string tag_;
  Mark mark_;
  std::vector<Node> items_;
  std::vector<Entry> entries_;  // Entry is complete before any member is used
  EntryIndex index_;             // built once a mapping has kIndexedSize entries

  static constexpr size_t kIndexedSize = 16;  // below, a scan is as fast as a hash
  void index_appended();
};

struct Entry {
  std::string key;
  Mark key_mark;
  Node value;
};

// Defined once Entry is complete: clang instantiates what they use of the
// vector where they are defined.
inline std::span<Entry> Node::entries() { return entries_; }
inline void Node::reserve_entries(size_t n) { entries_.reserve(n); }

// Resolves a plain scalar's type by YAML 1.2 core-schema rules.
Node::Type resolve_plain_type(std::string_view text);

}  // namespace stack::schema
