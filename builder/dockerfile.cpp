#include "builder/dockerfile.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "schema/diagnostics.h"

namespace stack::builder {
namespace {

const std::vector<std::string_view> kKeywords = {"ADD",    "ARG",  "CMD",   "COPY",        "ENTRYPOINT", "ENV",
                                                 "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
                                                 "RUN",    "SHELL", "STOPSIGNAL", "USER",  "VOLUME",     "WORKDIR"};

// The flags each instruction takes; the others take none.
const std::map<std::string, std::set<std::string>>& allowed_flags() {
  static const std::map<std::string, std::set<std::string>> flags = {
      {"FROM", {"platform"}},
      {"RUN", {"mount", "network", "security"}},
      {"COPY", {"from", "chown", "chmod", "link", "parents", "exclude"}},
      {"ADD", {"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"}},
      {"HEALTHCHECK", {"interval", "timeout", "start-period", "start-interval", "retries"}},
  };
  return flags;
}

const std::set<std::string> kExecForms = {"RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "VOLUME", "SHELL"};
const std::set<std::string> kHeredocs = {"RUN", "COPY", "ADD"};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

bool is_comment(const std::string& line) {
  size_t b = line.find_first_not_of(" \t");
  return b != std::string::npos && line[b] == '#';
}

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// Whether `line` ends in the escape character (trailing spaces allowed):
// then it goes on, and *body is the line without it.
bool continues(const std::string& line, char escape, std::string* body) {
  size_t e = line.find_last_not_of(" \t\r");
  if (e == std::string::npos || line[e] != escape) return false;
  *body = line.substr(0, e);
  return true;
}

// `# key=value` lines at the very top.
Status read_directives(const std::vector<std::string>& lines, const std::string& file, size_t* next, char* escape) {
  std::set<std::string> seen;
  for (*next = 0; *next < lines.size(); ++*next) {
    const std::string& line = lines[*next];
    size_t hash = line.find_first_not_of(" \t");
    if (hash == std::string::npos || line[hash] != '#') return Status::ok();
    std::string body = line.substr(hash + 1);
    size_t eq = body.find('=');
    if (eq == std::string::npos) return Status::ok();
    std::string key = trim(body.substr(0, eq)), value = trim(body.substr(eq + 1));
    if (key.empty() || !std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isalnum(c); }))
      return Status::ok();
    key = upper(key);
    std::string where = file + ":" + std::to_string(*next + 1) + ": ";
    if (!seen.insert(key).second) return Status::error(where + "the " + key + " directive is given twice");
    if (key == "ESCAPE") {
      if (value != "\\" && value != "`") return Status::error(where + "escape must be \\ or `, not \"" + value + "\"");
      *escape = value[0];
    }
    // syntax= and check= are for BuildKit's front ends: read, not used.
  }
  return Status::ok();
}

// <<EOF, <<-EOF, <<'EOF', <<"EOF" in an instruction's first line.
std::vector<Heredoc> heredoc_markers(const std::string& text) {
  std::vector<Heredoc> out;
  for (size_t at = text.find("<<"); at != std::string::npos; at = text.find("<<", at + 2)) {
    if (at > 0 && text[at - 1] != ' ' && text[at - 1] != '\t') continue;  // not a word of its own
    size_t p = at + 2;
    Heredoc h;
    if (p < text.size() && text[p] == '-') h.strip_tabs = true, ++p;
    char quote = p < text.size() && (text[p] == '\'' || text[p] == '"') ? text[p] : 0;
    if (quote) ++p;
    size_t start = p;
    while (p < text.size() && (std::isalnum(static_cast<unsigned char>(text[p])) || text[p] == '_')) ++p;
    if (p == start || (quote && (p >= text.size() || text[p] != quote))) continue;
    h.name = text.substr(start, p - start);
    h.expand = !quote;
    out.push_back(h);
  }
  return out;
}

}  // namespace

std::vector<std::string> split_words(const std::string& text, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == escape && quote == '"' && i + 1 < text.size()) word += text[++i];
      else word += c;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(word), word.clear(), in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') quote = c;
    else if (c == escape && i + 1 < text.size()) word += text[++i];
    else word += c;
  }
  if (in_word) words.push_back(word);
  return words;
}

Status parse_pairs(const std::string& text, char escape, bool legacy_allowed,
                   std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  std::string t = trim(text);
  size_t first_space = t.find_first_of(" \t");
  std::string first = t.substr(0, first_space);
  if (legacy_allowed && first.find('=') == std::string::npos) {
    if (first_space == std::string::npos) return Status::error("\"" + t + "\" is not KEY=VALUE");
    std::vector<std::string> value = split_words(t.substr(first_space), escape);
    std::string joined;
    for (const std::string& v : value) joined += (joined.empty() ? "" : " ") + v;
    out->emplace_back(first, joined);
    return Status::ok();
  }
  for (const std::string& word : split_words(t, escape)) {
    size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0) return Status::error("\"" + word + "\" is not KEY=VALUE");
    out->emplace_back(word.substr(0, eq), word.substr(eq + 1));
  }
  return Status::ok();
}

Status expand_words(const std::string& text, char escape,
                    const std::function<std::optional<std::string>(const std::string&)>& lookup, std::string* out) {
  std::string result;
  char quote = 0;
  auto name_char = [](char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (!first && std::isdigit(static_cast<unsigned char>(c)));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == escape && i + 1 < text.size() && quote != '\'') {
      // An escaped '$' stays a '$'; other escapes are split_words' to read.
      if (text[i + 1] == '$') result += '$';
      else result += std::string(1, c) + text[i + 1];
      ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      if (!quote) quote = c;
      else if (quote == c) quote = 0;
      result += c;
      continue;
    }
    if (c != '$' || quote == '\'' || i + 1 == text.size()) {
      result += c;
      continue;
    }
    if (text[i + 1] != '{') {
      size_t j = i + 1;
      while (j < text.size() && name_char(text[j], j == i + 1)) ++j;
      if (j == i + 1) {
        result += c;
        continue;
      }
      result += lookup(text.substr(i + 1, j - i - 1)).value_or("");
      i = j - 1;
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string::npos) return Status::error("\"" + text.substr(i) + "\": ${ is not closed");
    std::string inner = text.substr(i + 2, close - i - 2);
    size_t n = 0;
    while (n < inner.size() && name_char(inner[n], n == 0)) ++n;
    if (n == 0) return Status::error("\"${" + inner + "}\": not a variable name");
    std::string name = inner.substr(0, n), rest = inner.substr(n);
    std::optional<std::string> value = lookup(name);
    bool colon = !rest.empty() && rest[0] == ':';
    std::string modifier = colon ? rest.substr(1, 1) : rest.substr(0, 1);
    std::string word = rest.substr(std::min(rest.size(), colon ? size_t{2} : size_t{1}));
    bool set = colon ? value && !value->empty() : value.has_value();
    if (rest.empty()) result += value.value_or("");
    else if (modifier == "-") {
      std::string fallback;
      if (Status s = expand_words(word, escape, lookup, &fallback); !s) return s;
      result += set ? *value : fallback;
    } else if (modifier == "+") {
      std::string alternative;
      if (Status s = expand_words(word, escape, lookup, &alternative); !s) return s;
      result += set ? alternative : "";
    } else {
      return Status::error("\"${" + inner + "}\": only the :- :+ - + modifiers are supported");
    }
    i = close;
  }
  *out = result;
  return Status::ok();
}

Status parse_dockerfile(const std::string& text, const std::string& file, Dockerfile* out) {
  Dockerfile df;
  df.file = file;
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  size_t i = 0;
  if (Status s = read_directives(lines, file, &i, &df.escape); !s) return s;
  bool from_seen = false;
  while (i < lines.size()) {
    if (is_blank(lines[i]) || is_comment(lines[i])) {
      ++i;
      continue;
    }
    Instruction ins;
    ins.line = static_cast<int>(i + 1);
    std::string where = file + ":" + std::to_string(ins.line) + ": ";
    std::string logical, body;
    // Continuations, skipping the comment and blank lines among them.
    for (; i < lines.size(); ++i) {
      if (!logical.empty() && (is_comment(lines[i]) || is_blank(lines[i]))) continue;
      ins.original += (ins.original.empty() ? "" : "\n") + lines[i];
      if (!continues(lines[i], df.escape, &body)) {
        logical += lines[i];
        ++i;
        break;
      }
      logical += body;
    }
    logical = trim(logical);
    size_t space = logical.find_first_of(" \t");
    ins.keyword = upper(logical.substr(0, space));
    std::string rest = space == std::string::npos ? "" : trim(logical.substr(space));
    if (std::find(kKeywords.begin(), kKeywords.end(), ins.keyword) == kKeywords.end()) {
      std::string hint = schema::closest_name(ins.keyword, kKeywords);
      return Status::error(where + "unknown instruction " + logical.substr(0, space) +
                           (hint.empty() ? "" : " (did you mean " + hint + "?)"));
    }
    // Flags: --name=value (or --name), before the arguments.
    auto allowed = allowed_flags().find(ins.keyword);
    while (rest.rfind("--", 0) == 0) {
      size_t end = rest.find_first_of(" \t");
      std::string flag = rest.substr(2, end == std::string::npos ? std::string::npos : end - 2);
      rest = end == std::string::npos ? "" : trim(rest.substr(end));
      size_t eq = flag.find('=');
      std::string name = flag.substr(0, eq), value = eq == std::string::npos ? "true" : flag.substr(eq + 1);
      if (allowed == allowed_flags().end() || !allowed->second.count(name))
        return Status::error(where + ins.keyword + " does not take the flag --" + name);
      if (name == "mount") ins.mounts.push_back(value);
      ins.flags[name] = value;
    }
    ins.text = rest;
    if (kHeredocs.count(ins.keyword)) {
      for (Heredoc h : heredoc_markers(rest)) {
        bool closed = false;
        for (; i < lines.size(); ++i) {
          std::string line = lines[i];
          ins.original += "\n" + line;
          if (h.strip_tabs) line.erase(0, line.find_first_not_of('\t') == std::string::npos ? line.size() : line.find_first_not_of('\t'));
          if (line == h.name) {
            closed = true;
            ++i;
            break;
          }
          h.content += line + "\n";
        }
        if (!closed) return Status::error(where + "the here-document <<" + h.name + " is not closed");
        ins.heredocs.push_back(std::move(h));
      }
    }
    std::string args = ins.text;
    if (ins.keyword == "HEALTHCHECK" && upper(args.substr(0, 4)) == "CMD ") args = trim(args.substr(4));
    if ((kExecForms.count(ins.keyword) || ins.keyword == "HEALTHCHECK") && !args.empty() && args[0] == '[') {
      nlohmann::json j = nlohmann::json::parse(args, nullptr, false);
      if (j.is_array() && std::all_of(j.begin(), j.end(), [](const nlohmann::json& e) { return e.is_string(); }))
        ins.exec_form = j.get<std::vector<std::string>>();
    }
    if (ins.keyword == "SHELL" && !ins.exec_form) return Status::error(where + "SHELL takes a JSON array: SHELL [\"/bin/sh\", \"-c\"]");
    if (ins.text.empty() && !ins.exec_form) return Status::error(where + ins.keyword + " needs arguments");
    if (ins.keyword == "FROM") from_seen = true;
    else if (!from_seen && ins.keyword != "ARG")
      return Status::error(where + ins.keyword + " comes before any FROM (only ARG may)");
    df.instructions.push_back(std::move(ins));
  }
  if (!from_seen) return Status::error(file + ": no FROM instruction");
  *out = std::move(df);
  return Status::ok();
}

}  // namespace stack::builder
