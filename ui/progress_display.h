// ProgressDisplay: what `up` is doing to each object, redrawn in place on a terminal as Compose does, plain lines otherwise.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace stack::ui {

class ProgressDisplay {
 public:
  using Clock = std::chrono::steady_clock;

  // `terminal`: rows redrawn in place with a spinner and elapsed time,
  // "✔ Container p-web-1  Started  0.3s" once done (appended once done
  // when there are more rows than the terminal has); otherwise one plain
  // line per finished step, " Container p-web-1  Started".
  ProgressDisplay(std::ostream& out, bool terminal);
  ~ProgressDisplay();  // finish()
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // `object` ("Container p-web-1") is now in `status`; `done` ends its
  // step ("Error" is marked as failed). A new row's clock starts at `since`.
  void update(const std::string& object, const std::string& status, bool done, Clock::time_point since = Clock::now());

  // Stops redrawing; later output goes below the rows. Idempotent.
  void finish();

  // The row as it is drawn at `now` (tested without a terminal).
  static std::string row(const std::string& object, const std::string& status, bool done, double seconds, int frame,
                         size_t object_width);

 private:
  struct Row {
    std::string object, status;
    bool done = false;
    Clock::time_point since, ended;
    bool printed = false;  // appended as a finished line (no room to redraw)
    double seconds(Clock::time_point now) const {
      return std::chrono::duration<double>((done ? ended : now) - since).count();
    }
  };
  void redraw_locked();

  std::ostream& out_;
  bool terminal_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Row> rows_;
  size_t drawn_ = 0;  // rows on the screen, to move back up over
  size_t screen_rows_;  // more rows than this: finished ones are appended instead of redrawn
  int frame_ = 0;
  bool finished_ = false;
  std::thread ticker_;  // terminal only: keeps spinners and clocks moving
};

}  // namespace stack::ui
