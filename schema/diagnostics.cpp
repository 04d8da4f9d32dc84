#include "schema/diagnostics.h"

#include <algorithm>

namespace stack::schema {

namespace {

// Bounds of what one diagnostic prints, whatever the file holds: a 4 MB
// line or key gives a short error, never a 4 MB one.
constexpr size_t kMaxPath = 160;
constexpr size_t kMaxMessage = 320;
constexpr size_t kExcerptWidth = 100;

bool utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// `text` cut to at most `max` bytes, ending on a character boundary.
std::string_view head(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && utf8_continuation(text[end])) --end;
  return text.substr(0, end);
}

std::string_view tail(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t start = text.size() - max;
  while (start < text.size() && utf8_continuation(text[start])) ++start;
  return text.substr(start);
}

}  // namespace

std::string excerpt(std::string_view text, size_t max) {
  static constexpr std::string_view kEllipsis = "\u2026";
  if (text.size() <= max) return std::string(text);
  size_t room = max > kEllipsis.size() ? max - kEllipsis.size() : 0;
  size_t keep_tail = room / 3;
  std::string out(head(text, room - keep_tail));
  out += kEllipsis;
  out += tail(text, keep_tail);
  return out;
}

SourceLines::SourceLines(std::string text) : text_(std::move(text)) {
  for (size_t start = 0; start < text_.size();) {
    line_starts_.push_back(start);
    size_t newline = text_.find('\n', start);
    start = newline == std::string::npos ? text_.size() : newline + 1;
  }
}

std::string SourceLines::excerpt(const Mark& mark) const {
  if (!mark.known() || file_is_confidential(mark.file)) return {};
  size_t index = static_cast<size_t>(mark.line - 1);
  if (index >= line_starts_.size()) return {};
  size_t start = line_starts_[index];
  size_t end = std::min(text_.find('\n', start), text_.size());
  if (end > start && text_[end - 1] == '\r') --end;
  std::string_view line(text_.data() + start, end - start);
  size_t column = static_cast<size_t>(std::max(1, mark.column) - 1);
  // A window of the line around the column, marked where it was cut.
  size_t from = 0;
  if (line.size() > kExcerptWidth && column > kExcerptWidth / 2) {
    from = std::min(column - kExcerptWidth / 2, line.size() - std::min(line.size(), kExcerptWidth));
    while (from > 0 && utf8_continuation(line[from])) --from;
  }
  std::string_view shown = head(line.substr(from), kExcerptWidth);
  std::string out = "    ";
  size_t caret = column >= from ? column - from : 0;
  if (from > 0) {
    out += "\u2026";
    ++caret;
  }
  out += shown;
  if (from + shown.size() < line.size()) out += "\u2026";
  out += "\n    ";
  out += std::string(std::min(caret, kExcerptWidth + 1), ' ');
  out += "^\n";
  return out;
}

std::string Diagnostic::format() const {
  std::string out;
  if (mark.file) {
    out += *mark.file;
    if (mark.line > 0) out += ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
    out += ": ";
  }
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

void Diagnostics::error(const Mark& mark, std::string path, std::string message) {
  items_.push_back({Diagnostic::Severity::Error, mark, excerpt(path, kMaxPath), excerpt(message, kMaxMessage)});
  ++errors_;
}

void Diagnostics::ignored(const Mark& mark, std::string path, std::string message) {
  if (strict_) return error(mark, std::move(path), std::move(message));
  warning(mark, std::move(path), std::move(message));
  items_.back().ignored_key = true;
}

void Diagnostics::warning(const Mark& mark, std::string path, std::string message) {
  items_.push_back({Diagnostic::Severity::Warning, mark, excerpt(path, kMaxPath), excerpt(message, kMaxMessage)});
}

void Diagnostics::append(const Diagnostics& other) {
  for (const Diagnostic& d : other.items_) {
    items_.push_back(d);
    if (d.severity == Diagnostic::Severity::Error) ++errors_;
  }
}

std::string PathRef::str() const {
  if (!parent) return std::string(key);
  std::string base = parent->str();
  return is_index ? path_index(base, index) : path_key(base, key);
}

std::string path_key(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string path_index(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_name(std::string_view word, const std::vector<std::string_view>& names) {
  std::string_view best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (std::string_view name : names) {
    size_t d = edit_distance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return std::string(best);
}

}  // namespace stack::schema
