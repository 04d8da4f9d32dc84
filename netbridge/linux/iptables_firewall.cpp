// Firewall through the iptables command: the rules kept few and keyed on our bridge names (stk-*).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "netbridge/dns_resolver.h"
#include "netbridge/firewall.h"
#include "runtime/on_disk.h"

extern char** environ;

namespace stack::netbridge {
namespace {

constexpr const char* kChain = "STACK-FORWARD";

// Runs `args` (no shell) with `input` on its stdin; its stdout goes to
// *output when asked, and its stderr, trimmed, is the error.
Status run_tool(std::vector<std::string> args, const std::string& input, std::string* output) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return Status::from_errno("pipe");
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return Status::from_errno("pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  pid_t pid;
  int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  for (int fd : {in[0], out[1], err[1]}) ::close(fd);
  // Our input is a few lines: it fits the pipe, so write it all, then read.
  if (rc == 0 && !input.empty()) (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  std::string stdout_text, message;
  char buf[4096];
  for (ssize_t n; rc == 0 && (n = ::read(out[0], buf, sizeof buf)) > 0;) stdout_text.append(buf, static_cast<size_t>(n));
  for (ssize_t n; rc == 0 && (n = ::read(err[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  ::close(err[0]);
  std::string command;
  for (size_t i = 0; i < args.size(); ++i) command += (i ? " " : "") + args[i];
  if (rc != 0) return Status::from_errno("running " + args[0] + " (is iptables installed?)", rc);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output) *output = std::move(stdout_text);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Status::error(command + ": " + (message.empty() ? "failed" : message));
}

Status iptables(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"iptables", "-w"};
  full.insert(full.end(), args.begin(), args.end());
  return run_tool(full, "", nullptr);
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

// A rule as iptables-save prints it, without its "-A CHAIN".
std::string saved_form(const Rule& r) {
  std::string line;
  for (const std::string& a : r.spec) line += " " + a;
  return line;
}

// Whether `saved` (iptables-save's output) has `line` in `table`.
bool has_line(const std::string& saved, const std::string& table, const std::string& line) {
  size_t start = saved.find("*" + table + "\n");
  if (start == std::string::npos) return false;
  size_t end = saved.find("\nCOMMIT", start);
  std::string section = saved.substr(start, end == std::string::npos ? std::string::npos : end - start);
  return (section + "\n").find("\n" + line + "\n") != std::string::npos;
}

// The changes for a network, as one iptables-restore --noflush batch: one
// iptables-save to see what is there and one restore, rather than an
// iptables run per rule and check (each about 15 ms).
class IptablesFirewall : public Firewall {
 public:
  Status add_network(const NetworkRecord& n) override {
    std::string saved;
    if (Status s = run_tool({"iptables-save"}, "", &saved); !s) return s.with_context("network " + n.name);
    std::string filter, nat;
    // Our chain, jumped to first from FORWARD: a host whose FORWARD policy
    // is DROP (Docker's) still forwards our traffic, and ours is decided
    // before other rules see it.
    if (saved.find("\n:" + std::string(kChain) + " ") == std::string::npos) filter += std::string(":") + kChain + " - [0:0]\n";
    if (!has_line(saved, "filter", std::string("-A FORWARD -j ") + kChain)) filter += std::string("-I FORWARD -j ") + kChain + "\n";
    for (const Rule& r : rules_of(n)) {
      std::string line = std::string("-A ") + r.chain + saved_form(r);
      if (has_line(saved, r.table, line)) continue;
      (std::string(r.table) == "nat" ? nat : filter) += line + "\n";
    }
    std::string batch;
    if (!filter.empty()) batch += "*filter\n" + filter + "COMMIT\n";
    if (!nat.empty()) batch += "*nat\n" + nat + "COMMIT\n";
    if (!batch.empty())
      if (Status s = run_tool({"iptables-restore", "-w", "--noflush"}, batch, nullptr); !s)
        return s.with_context("network " + n.name);
    if (!n.internal)
      if (Status s = runtime::write_file("/proc/sys/net/ipv4/ip_forward", "1\n"); !s)
        return s.with_context("network " + n.name + ": turning IPv4 forwarding on");
    return Status::ok();
  }

  Status remove_network(const NetworkRecord& n) override {
    // Ours were all added together: deleting them as one batch, without
    // looking first, works unless one went meanwhile; then one at a time.
    std::string filter, nat;
    for (const Rule& r : rules_of(n)) (std::string(r.table) == "nat" ? nat : filter) += "-D " + std::string(r.chain) + saved_form(r) + "\n";
    std::string batch;
    if (!filter.empty()) batch += "*filter\n" + filter + "COMMIT\n";
    if (!nat.empty()) batch += "*nat\n" + nat + "COMMIT\n";
    if (batch.empty() || run_tool({"iptables-restore", "-w", "--noflush"}, batch, nullptr)) return Status::ok();
    std::string saved;
    if (Status s = run_tool({"iptables-save"}, "", &saved); !s) return s.with_context("network " + n.name);
    for (const Rule& r : rules_of(n))
      if (has_line(saved, r.table, "-A " + std::string(r.chain) + saved_form(r))) iptables(command("-D", r));
    return Status::ok();
  }
};

}  // namespace

std::unique_ptr<Firewall> iptables_firewall() { return std::make_unique<IptablesFirewall>(); }

Status redirect_embedded_dns(const std::string& network_namespace, uint16_t port, bool first) {
  // In a chain of their own, which OUTPUT jumps to: declared again, the
  // chain is emptied (iptables-restore --noflush), so a new port replaces
  // the old one's rules.
  std::string to = std::string(kEmbeddedDnsAddress) + ":" + std::to_string(port);
  std::string batch = "*nat\n:STACK-DNS - [0:0]\n";
  if (first) batch += std::string("-A OUTPUT -d ") + kEmbeddedDnsAddress + "/32 -j STACK-DNS\n";
  for (const char* protocol : {"udp", "tcp"})
    batch += std::string("-A STACK-DNS -p ") + protocol + " -m " + protocol + " --dport " + std::to_string(kDnsPort) +
             " -j DNAT --to-destination " + to + "\n";
  batch += "COMMIT\n";
  return run_tool({"nsenter", "--net=" + network_namespace, "iptables-restore", "-w", "--noflush"}, batch, nullptr)
      .with_context("sending " + std::string(kEmbeddedDnsAddress) + ":53 to the embedded resolver");
}

}  // namespace stack::netbridge
