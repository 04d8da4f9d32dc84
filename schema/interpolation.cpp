#include "schema/interpolation.h"

namespace stack::schema {
namespace {

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// Recursive descent over one value. When `evaluate` is false (the branch of
// a default that is not taken) the text is only checked for syntax.
class Interpolator {
 public:
  Interpolator(std::string_view text, const VariableLookup& lookup, Interpolation& out)
      : text_(text), lookup_(lookup), out_(out) {}

  void run() {
    std::string value = sequence(/*in_braces=*/false, /*evaluate=*/true);
    if (!out_.error && pos_ < text_.size()) fail("unexpected '}'");
    out_.value = std::move(value);
  }

 private:
  std::string_view text_;
  const VariableLookup& lookup_;
  Interpolation& out_;
  size_t pos_ = 0;

  void fail(const std::string& message) {
    if (!out_.error) out_.error = "invalid interpolation in \"" + std::string(text_) + "\": " + message;
  }

  std::string sequence(bool in_braces, bool evaluate) {
    std::string out;
    while (pos_ < text_.size() && !out_.error) {
      char c = text_[pos_];
      if (in_braces && c == '}') return out;
      if (c != '$') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] == '$') {
        out += '$';
        ++pos_;
      } else if (pos_ < text_.size() && text_[pos_] == '{') {
        ++pos_;
        out += braced(evaluate);
      } else if (pos_ < text_.size() && name_start(text_[pos_])) {
        std::string name = read_name();
        out += substitute(name, evaluate);
      } else {
        fail("'$' must start a variable; write '$$' for a literal '$'");
      }
    }
    if (in_braces && !out_.error) fail("missing '}'");
    return out;
  }

  std::string read_name() {
    size_t start = pos_;
    while (pos_ < text_.size() && name_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  std::string substitute(const std::string& name, bool evaluate) {
    if (!evaluate) return {};
    std::optional<std::string> v = lookup_(name);
    if (!v) {
      out_.unset.push_back(name);
      return {};
    }
    return *v;
  }

  std::string braced(bool evaluate) {
    if (pos_ >= text_.size() || !name_start(text_[pos_])) {
      fail("expected a variable name after '${'");
      return {};
    }
    std::string name = read_name();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return substitute(name, evaluate);
    }
    if (pos_ >= text_.size()) {
      fail("missing '}'");
      return {};
    }
    bool colon = false;
    if (pos_ < text_.size() && text_[pos_] == ':') {
      colon = true;
      ++pos_;
    }
    if (pos_ >= text_.size() || (text_[pos_] != '-' && text_[pos_] != '?' && text_[pos_] != '+')) {
      fail("expected '}', ':-', '-', ':?', '?', ':+' or '+' after '${" + name + "'");
      return {};
    }
    char op = text_[pos_++];
    std::optional<std::string> value = evaluate ? lookup_(name) : std::nullopt;
    // ':' forms treat an empty value like an unset one.
    bool present = value.has_value() && !(colon && value->empty());
    bool use_word = op == '+' ? present : !present;
    std::string word = sequence(/*in_braces=*/true, evaluate && use_word);
    if (out_.error) return {};
    ++pos_;  // the closing '}'
    if (!evaluate) return {};
    switch (op) {
      case '-': return present ? *value : word;
      case '+': return present ? word : std::string();
      default:  // '?'
        if (!present) {
          out_.error = "required variable " + name + " is " + (value ? "empty" : "missing a value") +
                       (word.empty() ? std::string() : ": " + word);
          return {};
        }
        return *value;
    }
  }
};

void walk(Node& node, const VariableLookup& lookup, Diagnostics& diags, std::set<std::string>& warned,
          const PathRef& path) {
  switch (node.kind()) {
    case Node::Kind::Scalar: {
      if (node.type() != Node::Type::String || node.text().find('$') == std::string::npos) return;
      Interpolation r = interpolate(node.text(), lookup);
      if (r.error) {
        diags.error(node.mark(), path.str(), *r.error);
        return;
      }
      for (const std::string& name : r.unset) {
        if (warned.insert(name).second)
          diags.warning(node.mark(), path.str(),
                        "variable " + name + " is not set; substituting an empty string");
      }
      // A quoted scalar stays a string; a plain one is typed again, so that
      // `replicas: ${N}` is a number after substitution. Empty stays "".
      Node::Type type = Node::Type::String;
      if (node.plain_written()) {
        type = resolve_plain_type(r.value);
        if (type == Node::Type::Null) type = Node::Type::String;
      }
      node.set_text(std::move(r.value));
      node.set_type(type);
      return;
    }
    case Node::Kind::Sequence:
      for (size_t i = 0; i < node.items().size(); ++i) walk(node.items()[i], lookup, diags, warned, path.item(i));
      return;
    case Node::Kind::Mapping:
      for (Entry& e : node.entries()) walk(e.value, lookup, diags, warned, path.child(e.key));
      return;
    case Node::Kind::Null:
      return;
  }
}

}  // namespace

Interpolation interpolate(std::string_view text, const VariableLookup& lookup) {
  Interpolation out;
  Interpolator(text, lookup, out).run();
  return out;
}

void interpolate_tree(Node& root, const VariableLookup& lookup, Diagnostics& diags,
                      std::set<std::string>& warned_unset) {
  walk(root, lookup, diags, warned_unset, PathRef{});
}

}  // namespace stack::schema
