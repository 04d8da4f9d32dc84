#include "ui/progress_display.h"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

#include "runtime/linux/terminal_size.h"

namespace stack::ui {

ProgressDisplay::ProgressDisplay(std::ostream& out, bool terminal) : out_(out), terminal_(terminal), screen_rows_(24) {
  if (!terminal_) return;
  if (unsigned rows = runtime::linux_::terminal_rows(STDOUT_FILENO); rows > 1) screen_rows_ = rows - 1u;
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!finished_) {
      wake_.wait_for(lock, std::chrono::milliseconds(100));
      if (finished_) break;
      ++frame_;
      if (std::any_of(rows_.begin(), rows_.end(), [](const Row& r) { return !r.done; })) redraw_locked();
    }
  });
}

ProgressDisplay::~ProgressDisplay() { finish(); }

void ProgressDisplay::finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    if (terminal_) redraw_locked();
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::string ProgressDisplay::row(const std::string& object, const std::string& status, bool done, double seconds,
                                 int frame, size_t object_width) {
  static const char* kSpinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
  char took[32];
  std::snprintf(took, sizeof took, "%.1fs", seconds);
  std::string mark = !done                ? std::string("\033[34m") + kSpinner[frame % 10] + "\033[0m"
                     : status == "Error" ? "\033[31m✘\033[0m"
                                         : "\033[32m✔\033[0m";
  std::string padded = object + std::string(object_width > object.size() ? object_width - object.size() : 0, ' ');
  return " " + mark + " " + padded + "  " + status + "  " + took;
}

void ProgressDisplay::update(const std::string& object, const std::string& status, bool done, Clock::time_point since) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(rows_.begin(), rows_.end(), [&](const Row& r) { return r.object == object; });
  if (it == rows_.end()) {
    it = rows_.insert(rows_.end(), Row{object, "", false, since, {}, false});
  } else if (it->done && !done) {  // a finished row starting a new step
    it->since = since;
    it->printed = false;
  }
  it->status = status;
  it->done = done;
  if (done) it->ended = Clock::now();
  if (!terminal_) {
    if (done) out_ << " " << object << "  " << status << std::endl;
    return;
  }
  if (!finished_) redraw_locked();
  else if (done)  // below whatever followed the rows
    out_ << row(object, status, true, it->seconds(it->ended), 0, 0) << std::endl;
}

void ProgressDisplay::redraw_locked() {
  Clock::time_point now = Clock::now();
  if (rows_.size() > screen_rows_) {
    // Moving up past the top of the screen cannot be done: from here on,
    // each row is printed once, when it is done.
    for (Row& r : rows_)
      if (r.done && !r.printed) {
        out_ << (drawn_ > 0 ? "\033[" + std::to_string(drawn_) + "F\033[J" : std::string())
             << row(r.object, r.status, true, r.seconds(now), 0, 0) << "\n";
        drawn_ = 0;
        r.printed = true;
      }
    out_ << std::flush;
    return;
  }
  size_t width = 0;
  for (const Row& r : rows_) width = std::max(width, r.object.size());
  std::string screen;
  if (drawn_ > 0) screen += "\033[" + std::to_string(drawn_) + "F";  // to the first row's start
  for (const Row& r : rows_) {
    screen += "\033[2K" + row(r.object, r.status, r.done, r.seconds(now), frame_, width) + "\n";
  }
  drawn_ = rows_.size();
  out_ << screen << std::flush;
}

}  // namespace stack::ui
