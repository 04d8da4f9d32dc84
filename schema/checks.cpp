#include "schema/checks.h"

#include <cstdlib>
#include <filesystem>

#include "schema/shapes.h"
#include "schema/units.h"

namespace stack::schema {

namespace {

void expected(const Node& v, const std::string& path, NormalizeContext& cx, std::string_view what) {
  std::string got(v.describe());
  if (v.is_scalar()) got += " \"" + v.text() + "\"";
  cx.diags.error(v.mark(), path, "expected " + std::string(what) + ", got " + got);
}

}  // namespace

std::optional<Node> check_string(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (!v.is_scalar()) {
    expected(v, path, cx, "a string");
    return std::nullopt;
  }
  return Node::string(v.text(), v.mark());
}

std::optional<Node> check_bool(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (auto b = v.as_bool()) return Node::boolean(*b, v.mark());
  expected(v, path, cx, "a boolean");
  return std::nullopt;
}

std::optional<Node> check_int(const Node& v, const std::string& path, NormalizeContext& cx, std::int64_t min,
                              std::int64_t max) {
  auto i = v.as_int();
  if (!i) {
    expected(v, path, cx, "an integer");
    return std::nullopt;
  }
  if (*i < min || *i > max) {
    cx.diags.error(v.mark(), path,
                   std::to_string(*i) + " is out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
    return std::nullopt;
  }
  return Node::integer(*i, v.mark());
}

std::optional<Node> check_number(const Node& v, const std::string& path, NormalizeContext& cx) {
  auto d = v.as_number();
  if (!d) {
    expected(v, path, cx, "a number");
    return std::nullopt;
  }
  return Node::number(*d, v.mark());
}

std::optional<Node> check_cpus(const Node& v, const std::string& path, NormalizeContext& cx) {
  auto d = v.as_number();
  if (!d || *d < 0) {
    cx.diags.error(v.mark(), path, "expected a non-negative number of CPUs such as 0.5");
    return std::nullopt;
  }
  return Node::number(*d, v.mark());
}

std::optional<Node> check_duration(const Node& v, const std::string& path, NormalizeContext& cx) {
  std::optional<std::int64_t> ns = v.is_scalar() ? parse_duration(v.text()) : std::nullopt;
  if (!ns || *ns < 0) {
    expected(v, path, cx, "a duration such as \"1m30s\" or \"500ms\"");
    return std::nullopt;
  }
  return Node::string(format_duration(*ns), v.mark());
}

std::optional<Node> check_bytes(const Node& v, const std::string& path, NormalizeContext& cx) {
  std::optional<std::int64_t> bytes = v.is_scalar() ? parse_bytes(v.text()) : std::nullopt;
  if (!bytes) {
    expected(v, path, cx, "a byte size such as \"512m\" or \"1.5GB\"");
    return std::nullopt;
  }
  return Node::integer(*bytes, v.mark());
}

std::optional<Node> check_string_list(const Node& v, const std::string& path, NormalizeContext& cx,
                                      bool scalar_ok) {
  if (scalar_ok && v.is_scalar()) {
    Node out = Node::sequence(v.mark());
    out.push_back(Node::string(v.text(), v.mark()));
    return out;
  }
  if (!v.is_sequence()) {
    expected(v, path, cx, scalar_ok ? "a string or a list of strings" : "a list of strings");
    return std::nullopt;
  }
  Node out = Node::sequence(v.mark());
  bool ok = true;
  for (size_t i = 0; i < v.items().size(); ++i) {
    auto s = check_string(v.items()[i], path_index(path, i), cx);
    if (s) out.push_back(std::move(*s));
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Node> check_string_map(const Node& v, const std::string& path, NormalizeContext& cx) {
  // A mapping is read in place: copying 100k entries first doubled the time.
  std::optional<Node> from_list;
  if (!v.is_mapping()) {
    from_list = list_to_map(v, ListSplit::Equals, path, cx.diags);
    if (!from_list) return std::nullopt;
  }
  const Node& map = v.is_mapping() ? v : *from_list;
  Node out = Node::mapping(v.mark());
  out.reserve_entries(map.size());
  for (const Entry& e : map.entries()) {
    if (e.value.is_null()) {
      out.append(e.key, Node::null(e.value.mark()), e.key_mark);
    } else if (e.value.is_scalar()) {
      out.append(e.key, Node::string(e.value.text(), e.value.mark()), e.key_mark);
    } else {
      expected(e.value, path_key(path, e.key), cx, "a string");
    }
  }
  return out;
}

std::optional<Node> check_enum(const Node& v, const std::string& path, NormalizeContext& cx,
                               const std::vector<std::string_view>& allowed) {
  if (v.is_scalar()) {
    for (std::string_view a : allowed)
      if (v.text() == a) return Node::string(v.text(), v.mark());
  }
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  std::string message = "expected one of " + list;
  if (v.is_scalar()) {
    message += ", got \"" + v.text() + "\"";
    std::string near = closest_name(v.text(), allowed);
    if (!near.empty()) message += " (did you mean \"" + near + "\"?)";
  }
  cx.diags.error(v.mark(), path, message);
  return std::nullopt;
}

std::string absolute_path(const std::string& p, NormalizeContext& cx) {
  if (p.empty()) return cx.project_dir;
  if (p[0] == '/') return p;
  if (p == "~" || p.rfind("~/", 0) == 0) {
    std::optional<std::string> home = cx.environment("HOME");
    return (home ? *home : std::string("/root")) + p.substr(1);
  }
  return join_path(cx.project_dir, p);
}

std::string join_path(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  std::string joined = (std::filesystem::path(dir) / path).lexically_normal().string();
  if (joined.size() > 1 && joined.back() == '/') joined.pop_back();
  return joined;
}

std::optional<Node> check_path(const Node& v, const std::string& path, NormalizeContext& cx) {
  auto s = check_string(v, path, cx);
  if (!s) return std::nullopt;
  return Node::string(absolute_path(s->text(), cx), v.mark());
}

void report_unknown_key(const Mark& mark, const std::string& parent_path, const std::string& key,
                        const std::vector<std::string_view>& known, NormalizeContext& cx) {
  std::string message = "unknown key \"" + key + "\"";
  std::string near = closest_name(key, known);
  if (!near.empty()) message += " (did you mean \"" + near + "\"?)";
  cx.diags.error(mark, path_key(parent_path, key), message);
}

std::optional<Node> keep_as_is(const Node& v, const std::string&, NormalizeContext&) { return v; }

std::optional<Node> check_object(const Node& v, const std::string& path, NormalizeContext& cx,
                                 const std::vector<Field>& fields) {
  if (!v.is_mapping()) {
    expected(v, path, cx, "a mapping");
    return std::nullopt;
  }
  Node out = Node::mapping(v.mark());
  out.reserve_entries(v.size());
  for (const Entry& e : v.entries()) {
    std::string child = path_key(path, e.key);
    const Field* field = nullptr;
    for (const Field& f : fields)
      if (f.key == e.key) field = &f;
    if (!field) {
      if (e.key.rfind("x-", 0) == 0) {
        out.append(e.key, e.value, e.key_mark);
        continue;
      }
      std::vector<std::string_view> known;
      for (const Field& f : fields) known.push_back(f.key);
      report_unknown_key(e.key_mark, path, e.key, known, cx);
      continue;
    }
    if (!field->honoured) {
      cx.diags.ignored(e.key_mark, child, "not supported by stack; ignored");
      out.append(e.key, e.value, e.key_mark);
      continue;
    }
    if (e.value.is_null()) {
      // `key:` with no value means "unset" in Compose files.
      continue;
    }
    if (auto n = field->normalize(e.value, child, cx)) out.append(e.key, std::move(*n), e.key_mark);
  }
  return out;
}

std::optional<std::vector<std::string>> split_shell_words(std::string_view text, std::string* error) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        *error = "unterminated single quote";
        return std::nullopt;
      }
      word += text.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            (text[j + 1] == '"' || text[j + 1] == '\\' || text[j + 1] == '$' || text[j + 1] == '`'))
          ++j;
        word += text[j];
      }
      if (j >= text.size()) {
        *error = "unterminated double quote";
        return std::nullopt;
      }
      i = j;
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace stack::schema
