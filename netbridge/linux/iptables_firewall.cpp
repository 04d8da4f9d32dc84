// Firewall through the iptables command: the rules kept few and keyed on our bridge names (stk-*).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "netbridge/firewall.h"
#include "runtime/on_disk.h"

extern char** environ;

namespace stack::netbridge {
namespace {

constexpr const char* kChain = "STACK-FORWARD";

// Runs iptables with `args` (no shell); its stderr, trimmed, is the error.
Status iptables(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"iptables", "-w"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) return Status::from_errno("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = ::posix_spawnp(&pid, "iptables", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(err[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; rc == 0 && (n = ::read(err[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<size_t>(n));
  ::close(err[0]);
  std::string command;
  for (size_t i = 0; i + 1 < argv.size(); ++i) command += (i ? " " : "") + full[i];
  if (rc != 0) return Status::from_errno("running iptables (is it installed?)", rc);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Status::error(command + ": " + (message.empty() ? "failed" : message));
}

struct Rule {
  const char* table;
  const char* chain;
  std::vector<std::string> spec;
};

// In the order they must be matched; appended in this order.
std::vector<Rule> rules_of(const NetworkRecord& n) {
  const std::string& br = n.bridge;
  std::vector<Rule> rules = {{"filter", kChain, {"-i", br, "-o", br, "-j", "ACCEPT"}},
                             {"filter", kChain, {"-i", br, "-o", "stk-+", "-j", "DROP"}}};
  if (n.internal) {
    rules.push_back({"filter", kChain, {"-i", br, "-j", "DROP"}});
    rules.push_back({"filter", kChain, {"-o", br, "-j", "DROP"}});
    return rules;
  }
  rules.push_back({"filter", kChain, {"-i", br, "-j", "ACCEPT"}});
  rules.push_back({"filter", kChain, {"-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}});
  rules.push_back({"nat", "POSTROUTING", {"-s", n.subnet.to_string(), "!", "-o", br, "-j", "MASQUERADE"}});
  return rules;
}

std::vector<std::string> command(const char* op, const Rule& r) {
  std::vector<std::string> args = {"-t", r.table, op, r.chain};
  args.insert(args.end(), r.spec.begin(), r.spec.end());
  return args;
}

class IptablesFirewall : public Firewall {
 public:
  Status add_network(const NetworkRecord& n) override {
    // Our chain, jumped to first from FORWARD: a host whose FORWARD policy
    // is DROP (Docker's) still forwards our traffic, and ours is decided
    // before other rules see it.
    if (!iptables({"-t", "filter", "-n", "-L", kChain}))
      if (Status s = iptables({"-t", "filter", "-N", kChain}); !s) return s;
    if (!iptables({"-t", "filter", "-C", "FORWARD", "-j", kChain}))
      if (Status s = iptables({"-t", "filter", "-I", "FORWARD", "-j", kChain}); !s) return s;
    for (const Rule& r : rules_of(n))
      if (!iptables(command("-C", r)))
        if (Status s = iptables(command("-A", r)); !s) return s.with_context("network " + n.name);
    if (!n.internal)
      if (Status s = runtime::write_file("/proc/sys/net/ipv4/ip_forward", "1\n"); !s)
        return s.with_context("network " + n.name + ": turning IPv4 forwarding on");
    return Status::ok();
  }

  Status remove_network(const NetworkRecord& n) override {
    for (const Rule& r : rules_of(n))
      while (iptables(command("-C", r))) iptables(command("-D", r));
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<Firewall> iptables_firewall() { return std::make_unique<IptablesFirewall>(); }

}  // namespace stack::netbridge
