// Unit tests of the forked-task runner that `up` launches containers with:
// reports, exit statuses and signals come back per task, in order; at most
// `parallel` children at once; a child kept running is reaped later.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "runtime/linux/forked_tasks.h"

namespace stack::runtime::linux_ {
namespace {

// Counters the children share with the test: how many run now, and the
// most that ever did at once.
struct SharedCounts {
  std::atomic<int> now{0}, most{0};
};

SharedCounts* map_shared_counts() {
  void* p = ::mmap(nullptr, sizeof(SharedCounts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : new (p) SharedCounts;
}

// In a child: a short write to a pipe is whole; a failed one shows in the report the test checks.
void write_all(int fd, const std::string& text) { (void)!::write(fd, text.data(), text.size()); }

TEST(ForkedTasks, BringsBackEachTasksReportAndEndInOrderAtMostParallelAtOnce) {
  SharedCounts* counts = map_shared_counts();
  ASSERT_NE(counts, nullptr);
  // Task 0 runs on until this pipe's write end closes: its end of file.
  int release[2];
  ASSERT_EQ(::pipe(release), 0);
  auto task = [&](size_t i, int report_fd) {
    int running = counts->now.fetch_add(1) + 1;
    for (int most = counts->most.load(); running > most && !counts->most.compare_exchange_weak(most, running);) {
    }
    ::close(release[1]);
    auto done = [&](int rc) {
      counts->now.fetch_sub(1);
      return rc;
    };
    switch (i) {
      case 0: {  // reports success, then runs on
        done(0);
        write_all(report_fd, std::string("0:running") + '\0');
        char c;
        while (::read(release[0], &c, 1) > 0) {
        }
        return 0;
      }
      case 1:  // ends without a word
        return done(3);
      case 2:  // reports a failure, then ends
        write_all(report_fd, std::string("127:exec: no such file") + '\0');
        return done(127);
      case 3:  // an error without a report's NUL, as a launch that failed before its shim sends
        write_all(report_fd, "image busybox: not found");
        return done(125);
      default:  // killed
        done(0);
        ::raise(SIGKILL);
        return 0;
    }
  };
  std::vector<size_t> asked;
  auto runs_on = [&](size_t i, const std::string& report) {
    asked.push_back(i);
    return report == "0:running";
  };
  std::vector<ForkedTaskEnd> ends = run_forked_tasks(5, 2, task, runs_on);
  ::close(release[0]);

  ASSERT_EQ(ends.size(), 5u);
  EXPECT_TRUE(ends[0].reported);
  EXPECT_EQ(ends[0].report, "0:running");
  EXPECT_GT(ends[0].running, 0);
  EXPECT_EQ(ends[0].exit_code, -1);

  EXPECT_FALSE(ends[1].reported);
  EXPECT_EQ(ends[1].report, "");
  EXPECT_EQ(ends[1].running, -1);
  EXPECT_EQ(ends[1].exit_code, 3);

  EXPECT_TRUE(ends[2].reported);
  EXPECT_EQ(ends[2].report, "127:exec: no such file");
  EXPECT_EQ(ends[2].running, -1);
  EXPECT_EQ(ends[2].exit_code, 127);

  EXPECT_FALSE(ends[3].reported);
  EXPECT_EQ(ends[3].report, "image busybox: not found");
  EXPECT_EQ(ends[3].exit_code, 125);

  EXPECT_FALSE(ends[4].reported);
  EXPECT_EQ(ends[4].exit_code, -1);
  EXPECT_EQ(ends[4].signal, SIGKILL);

  for (const ForkedTaskEnd& end : ends) EXPECT_EQ(end.error, "");
  std::sort(asked.begin(), asked.end());  // asked as the reports come
  EXPECT_EQ(asked, (std::vector<size_t>{0, 2})) << "only whole reports are asked about";
  EXPECT_LE(counts->most.load(), 2);
  EXPECT_GE(counts->most.load(), 1);

  // Let task 0 end, then reap it: the list empties once it has ended.
  std::vector<pid_t> left = {ends[0].running};
  reap_ended_children(&left);
  EXPECT_EQ(left.size(), 1u) << "still running while the pipe is open";
  ::close(release[1]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    reap_ended_children(&left);
    std::this_thread::yield();
  }
  EXPECT_TRUE(left.empty());
  ::munmap(counts, sizeof(SharedCounts));
}

TEST(ForkedTasks, RunsOneAtATimeWhenParallelIsOne) {
  SharedCounts* counts = map_shared_counts();
  ASSERT_NE(counts, nullptr);
  auto task = [&](size_t i, int report_fd) {
    int running = counts->now.fetch_add(1) + 1;
    for (int most = counts->most.load(); running > most && !counts->most.compare_exchange_weak(most, running);) {
    }
    counts->now.fetch_sub(1);
    write_all(report_fd, std::to_string(i) + '\0');
    return static_cast<int>(i);
  };
  std::vector<ForkedTaskEnd> ends = run_forked_tasks(4, 1, task, [](size_t, const std::string&) { return false; });
  ASSERT_EQ(ends.size(), 4u);
  for (size_t i = 0; i < ends.size(); ++i) {
    EXPECT_TRUE(ends[i].reported);
    EXPECT_EQ(ends[i].report, std::to_string(i));
    EXPECT_EQ(ends[i].exit_code, static_cast<int>(i));
  }
  EXPECT_EQ(counts->most.load(), 1);
  ::munmap(counts, sizeof(SharedCounts));
}

TEST(ForkedTasks, NoTasksForkNothing) {
  bool forked = false;
  std::vector<ForkedTaskEnd> ends = run_forked_tasks(
      0, 2,
      [&](size_t, int) {
        forked = true;
        return 0;
      },
      [](size_t, const std::string&) { return false; });
  EXPECT_TRUE(ends.empty());
  EXPECT_FALSE(forked);
}

}  // namespace
}  // namespace stack::runtime::linux_
