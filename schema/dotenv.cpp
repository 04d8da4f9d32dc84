#include "schema/dotenv.h"

#include <memory>
#include <unordered_map>

namespace stack::schema {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

EnvList parse_dotenv(std::string_view text, const std::string& file, const VariableLookup& lookup,
                     Diagnostics& diags) {
  // An env file may be anything (even /etc/shadow given by mistake): its
  // errors name the line, never its text, not even the variable's name.
  const std::string* file_name = intern_confidential_file_name(file);
  EnvList out;
  // Key -> position in `out`: a file of n lines loads in O(n).
  std::unordered_map<std::string, size_t> position;
  auto lookup_here = [&](std::string_view name) -> std::optional<std::string> {
    if (auto v = lookup(name)) return v;
    if (auto it = position.find(std::string(name)); it != position.end()) return out[it->second].second;
    return std::nullopt;
  };
  auto set = [&](std::string key, std::string value) {
    if (auto it = position.find(key); it != position.end()) {
      out[it->second].second = std::move(value);
      return;
    }
    position.emplace(key, out.size());
    out.emplace_back(std::move(key), std::move(value));
  };

  size_t pos = 0;
  int line = 1;
  auto next_line = [&] {
    while (pos < text.size() && text[pos] != '\n') ++pos;
    if (pos < text.size()) {
      ++pos;
      ++line;
    }
  };
  while (pos < text.size()) {
    size_t start = pos;
    int start_line = line;
    Mark mark{file_name, start_line, 1};
    while (pos < text.size() && blank(text[pos])) ++pos;
    if (pos >= text.size()) break;
    if (text[pos] == '\n' || text[pos] == '#') {
      next_line();
      continue;
    }
    if (text.substr(pos, 7) == "export " || text.substr(pos, 7) == "export\t") {
      pos += 7;
      while (pos < text.size() && blank(text[pos])) ++pos;
    }
    size_t key_start = pos;
    while (pos < text.size() && text[pos] != '=' && text[pos] != '\n' && !blank(text[pos])) ++pos;
    std::string key(text.substr(key_start, pos - key_start));
    mark.column = static_cast<int>(key_start - start) + 1;
    while (pos < text.size() && blank(text[pos])) ++pos;
    if (!valid_key(key)) {
      diags.error(mark, "", "env file line is not KEY=VALUE: a variable name is letters, digits, '_', '.' and '-' "
                  "(the line is not shown: env files may hold secrets)");
      next_line();
      continue;
    }
    if (pos >= text.size() || text[pos] == '\n' || text[pos] == '#') {
      // `KEY` alone passes the variable through from the environment.
      next_line();
      if (auto v = lookup(key)) set(key, *v);
      continue;
    }
    if (text[pos] != '=') {
      diags.error(mark, "", "env file line is not KEY=VALUE: expected '=' after the variable name");
      next_line();
      continue;
    }
    ++pos;
    while (pos < text.size() && blank(text[pos])) ++pos;

    std::string value;
    bool interpolate_value = true;
    if (pos < text.size() && (text[pos] == '\'' || text[pos] == '"')) {
      char quote = text[pos++];
      bool closed = false;
      while (pos < text.size()) {
        char c = text[pos++];
        if (c == '\n') ++line;
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && pos < text.size()) {
          char e = text[pos++];
          switch (e) {
            case 'n': value += '\n'; break;
            case 't': value += '\t'; break;
            case 'r': value += '\r'; break;
            case '"': value += '"'; break;
            case '\\': value += '\\'; break;
            case '$': value += "$$"; break;  // stays literal through interpolation
            default: value += '\\'; value += e; break;
          }
          continue;
        }
        if (quote == '"' && c == '$' && pos < text.size() && text[pos] == '$') {
          value += "$$";
          ++pos;
          continue;
        }
        value += c;
      }
      if (!closed) {
        diags.error(mark, "", "unterminated quoted value in env file");
        break;
      }
      interpolate_value = quote == '"';
      next_line();  // anything after the closing quote is a comment
    } else {
      size_t value_start = pos;
      while (pos < text.size() && text[pos] != '\n') {
        if (text[pos] == '#' && pos > value_start && blank(text[pos - 1])) break;
        ++pos;
      }
      value = std::string(text.substr(value_start, pos - value_start));
      while (!value.empty() && blank(value.back())) value.pop_back();
      next_line();
    }
    if (interpolate_value) {
      Interpolation r = interpolate(value, lookup_here);
      if (r.error) {
        // The interpolator's message quotes the value: say only what is wrong.
        diags.error(mark, "", "invalid ${...} in env file value (a syntax error, or a ${VAR:?} whose variable is unset)");
        continue;  // already on the next line
      }
      value = std::move(r.value);
    }
    set(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace stack::schema
