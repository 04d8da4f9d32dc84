#include "runtime/signal_names.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <utility>

namespace stack::runtime {

std::optional<int> signal_number(const std::string& name) {
  static const std::pair<const char*, int> kSignals[] = {
      {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},     {"CHLD", SIGCHLD},   {"CONT", SIGCONT},
      {"FPE", SIGFPE},   {"HUP", SIGHUP},   {"ILL", SIGILL},     {"INT", SIGINT},     {"IO", SIGIO},
      {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"PROF", SIGPROF},   {"PWR", SIGPWR},     {"QUIT", SIGQUIT},
      {"SEGV", SIGSEGV}, {"STOP", SIGSTOP}, {"SYS", SIGSYS},     {"TERM", SIGTERM},   {"TRAP", SIGTRAP},
      {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},   {"URG", SIGURG},     {"USR1", SIGUSR1},
      {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}};
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::toupper(c); });
  if (!n.empty() && std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isdigit(c); })) {
    int number = std::atoi(n.c_str());
    if (number > 0 && number <= SIGRTMAX) return number;
    return std::nullopt;
  }
  if (n.rfind("SIG", 0) == 0) n = n.substr(3);
  for (const auto& [signal_name, number] : kSignals)
    if (n == signal_name) return number;
  for (const auto& [base_name, base] : {std::pair{"RTMIN", SIGRTMIN}, std::pair{"RTMAX", SIGRTMAX}}) {
    std::string b = base_name;
    if (n == b) return base;
    if (n.rfind(b, 0) == 0 && n.size() > b.size() + 1 && (n[b.size()] == '+' || n[b.size()] == '-')) {
      std::string offset = n.substr(b.size() + 1);
      if (!std::all_of(offset.begin(), offset.end(), [](unsigned char c) { return std::isdigit(c); })) return std::nullopt;
      int number = base + (n[b.size()] == '+' ? 1 : -1) * std::atoi(offset.c_str());
      if (number >= SIGRTMIN && number <= SIGRTMAX) return number;
    }
  }
  return std::nullopt;
}

}  // namespace stack::runtime
