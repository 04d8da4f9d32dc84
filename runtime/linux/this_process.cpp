#include "runtime/linux/this_process.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <system_error>

namespace stack::runtime::linux_ {
namespace {

std::atomic<int> g_interrupts{0};
extern "C" void count_interrupt(int) { g_interrupts.fetch_add(1); }

}  // namespace

std::string own_executable() {
  std::error_code ec;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  return ec ? std::string() : self;
}

void lead_own_process_group() {
  if (::getpgrp() != ::getpid()) ::setpgid(0, 0);
}

void kill_own_process_group() {
  ::kill(0, SIGKILL);
  ::raise(SIGKILL);  // not in our group after all: still this process
  ::_exit(137);      // unreachable: SIGKILL cannot be caught
}

void count_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = count_interrupt;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int interrupts_counted() { return g_interrupts.load(); }

}  // namespace stack::runtime::linux_
