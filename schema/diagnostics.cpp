#include "schema/diagnostics.h"

#include <algorithm>

namespace stack::schema {

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
  items_.push_back({Diagnostic::Severity::Error, mark, std::move(path), std::move(message)});
  ++errors_;
}

void Diagnostics::warning(const Mark& mark, std::string path, std::string message) {
  if (strict_) return error(mark, std::move(path), std::move(message));
  items_.push_back({Diagnostic::Severity::Warning, mark, std::move(path), std::move(message)});
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
