#include "ui/project_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <regex>

#include "runtime/on_disk.h"
#include "schema/units.h"

namespace stack::ui {
namespace {

// Compose's order: cyan, yellow, green, magenta, blue, then bright ones.
const char* const kColors[] = {"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m",
                               "\033[96m", "\033[93m", "\033[92m", "\033[95m", "\033[94m"};

void write_all(int fd, const std::string& text) {
  for (size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string since_timestamp(const std::string& text) {
  static const std::regex rfc3339(R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,9})?Z)");
  std::smatch m;
  if (std::regex_match(text, m, rfc3339)) {
    std::string fraction = m[2].matched ? m[2].str().substr(1) : "";
    fraction.resize(9, '0');
    return m[1].str() + "." + fraction + "Z";
  }
  std::optional<std::int64_t> ago = schema::parse_duration(text);
  if (!ago || *ago < 0) return "";
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::int64_t at = now.tv_sec * 1'000'000'000LL + now.tv_nsec - *ago;
  timespec then{static_cast<time_t>(at / 1'000'000'000LL), static_cast<long>(at % 1'000'000'000LL)};
  return runtime::format_timestamp(then);
}

void ProjectLogs::add(const std::string& name, const std::string& label) {
  Source s;
  s.name = name;
  s.label = label;
  s.color = kColors[sources_.size() % std::size(kColors)];
  width_ = std::max(width_, label.size());
  sources_.push_back(std::move(s));
}

bool ProjectLogs::has(const std::string& name) const {
  return std::any_of(sources_.begin(), sources_.end(), [&](const Source& s) { return s.name == name; });
}

void ProjectLogs::reopen_if_recreated(Source& s) {
  runtime::ContainerRecord r;
  if (!store_.find(s.name, &r) || r.id == s.id) return;
  s.id = r.id;
  s.log = std::make_unique<runtime::LogReader>(store_.log_path(r.id));
}

void ProjectLogs::read_source(Source& s, std::vector<std::pair<Source*, runtime::LogEntry>>* out) {
  if (!s.log) return;
  // Until its log is there (the container is starting), each call tries again.
  bool first_read = !s.log->started();
  std::deque<runtime::LogEntry> read;
  s.log->read_new([&](const runtime::LogEntry& e) {
    if (!view_.since.empty() && e.time < view_.since) return;
    read.push_back(e);
  });
  if (first_read && view_.tail >= 0) {
    // The entries of the last `tail` lines; a partial entry belongs to the line it starts.
    long lines = 0;
    for (auto it = read.rbegin(); it != read.rend(); ++it)
      if (!it->partial && ++lines > view_.tail) {
        read.erase(read.begin(), it.base());
        break;
      }
  }
  for (runtime::LogEntry& e : read) out->emplace_back(&s, std::move(e));
}

void ProjectLogs::print_new() {
  std::vector<std::pair<Source*, runtime::LogEntry>> entries;
  for (Source& s : sources_) {
    reopen_if_recreated(s);
    read_source(s, &entries);
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.second.time < b.second.time; });
  std::string text;
  for (auto& [source, e] : entries) {
    Source& s = *source;
    if (s.at_line_start) {
      if (view_.prefix) {
        std::string label = s.label + std::string(width_ - s.label.size(), ' ') + "  | ";
        text += view_.color ? s.color + label + "\033[0m" : label;
      }
      if (view_.timestamps) text += e.time + " ";
    }
    text += e.text;
    if (!e.partial) text += '\n';
    s.at_line_start = !e.partial;
  }
  write_all(STDOUT_FILENO, text);
}

std::optional<long> parse_tail(const std::string& text) {
  if (text == "all") return -1;
  char* end = nullptr;
  long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 0) return std::nullopt;
  return n;
}

}  // namespace stack::ui
