#include "netbridge/dns_resolver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "runtime/on_disk.h"

namespace stack::netbridge {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kTtl = 600;  // as Docker's embedded DNS
constexpr auto kUpstreamTimeout = std::chrono::seconds(2);
// Queries forwarded and not yet answered; more are answered SERVFAIL
// at once rather than holding a socket each.
constexpr size_t kMaxPending = 64;
// A query past EDNS's usual 4096 octets is no stub resolver's; replies
// are read at their own size.
constexpr size_t kMaxQuery = 4096;

// A query on its way to the upstream servers.
struct Forward {
  int socket = -1;
  std::string query;  // as the client sent it: the upstream's reply answers its id
  DnsQuery parsed;
  sockaddr_in client{};
  size_t upstream = 0;
  Clock::time_point deadline;
};

int64_t ns_of(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

// A connected UDP socket to `server`:53 with `query` sent; -1 when it cannot be sent.
int send_upstream(Ipv4Address server, const std::string& query) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0) return -1;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(kDnsPort);
  to.sin_addr.s_addr = htonl(server.value);
  if (::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 || ::send(s, query.data(), query.size(), 0) < 0) {
    ::close(s);
    return -1;
  }
  return s;
}

}  // namespace

DnsResolver::DnsResolver(int socket, std::string hosts_path, std::vector<Ipv4Address> upstreams)
    : socket_(socket), hosts_path_(std::move(hosts_path)), upstreams_(std::move(upstreams)) {}

DnsResolver::~DnsResolver() { stop(); }

std::vector<Ipv4Address> DnsResolver::upstreams(const std::string& host_resolv_conf, const std::vector<std::string>& servers) {
  std::vector<std::string> names = servers;
  if (names.empty()) {
    std::istringstream lines(host_resolv_conf);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string kind, server;
      if (words >> kind >> server && kind == "nameserver") names.push_back(server);
    }
  }
  std::vector<Ipv4Address> out;
  for (const std::string& n : names)
    if (std::optional<Ipv4Address> a = Ipv4Address::parse(n); a && std::find(out.begin(), out.end(), *a) == out.end())
      out.push_back(*a);
  // As a container's own resolv.conf falls back (runtime::resolv_conf).
  if (out.empty() && names.empty()) out.push_back(*Ipv4Address::parse("8.8.8.8"));
  return out;
}

void DnsResolver::start() {
  if (socket_ < 0 || started_.exchange(true)) return;
  ::fcntl(socket_, F_SETFD, FD_CLOEXEC);  // a handover meant for an exec that failed left it open
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) return;
  thread_ = std::thread([this] { serve(); });
}

void DnsResolver::stop() {
  if (thread_.joinable()) {
    (void)!::write(stop_pipe_[1], "x", 1);
    thread_.join();
  }
  for (int* fd : {&stop_pipe_[0], &stop_pipe_[1], &socket_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

std::string DnsResolver::handover() const {
  if (socket_ < 0) return {};
  ::fcntl(socket_, F_SETFD, 0);
  nlohmann::json upstreams = nlohmann::json::array();
  for (const Ipv4Address& a : upstreams_) upstreams.push_back(a.to_string());
  return nlohmann::json{{"fd", socket_}, {"hosts", hosts_path_}, {"upstreams", upstreams}}.dump();
}

std::unique_ptr<DnsResolver> DnsResolver::adopt(const std::string& text) {
  int fd = -1;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    fd = j.at("fd").get<int>();
    if (fd < 0) return nullptr;
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    std::vector<Ipv4Address> upstreams;
    for (const nlohmann::json& u : j.at("upstreams")) {
      std::optional<Ipv4Address> a = Ipv4Address::parse(u.get<std::string>());
      if (!a) throw std::invalid_argument("upstream");
      upstreams.push_back(*a);
    }
    return std::make_unique<DnsResolver>(fd, j.at("hosts").get<std::string>(), std::move(upstreams));
  } catch (const std::exception&) {
    // Not served: the socket handed over is not kept open either.
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
}

const HostsTable& DnsResolver::hosts() {
  struct stat st {};
  if (::stat(hosts_path_.c_str(), &st) != 0) return hosts_;
  // A file's times tick at the kernel's coarse clock (a few ms): a rewrite
  // within the tick we read it in would keep its time, so a copy read that
  // soon after a change is read again next time.
  bool same = hosts_settled_ && ns_of(st.st_mtim) == ns_of(hosts_mtime_) && st.st_size == hosts_size_ && st.st_ino == hosts_inode_;
  if (same) return hosts_;
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::optional<std::string> text = runtime::read_whole_file(hosts_path_);
  if (!text) return hosts_;
  hosts_ = HostsTable::parse(*text);
  hosts_mtime_ = st.st_mtim;
  hosts_size_ = st.st_size;
  hosts_inode_ = st.st_ino;
  hosts_settled_ = ns_of(now) - ns_of(st.st_mtim) > 100'000'000;
  return hosts_;
}

void DnsResolver::serve() {
  std::vector<Forward> pending;
  // Made at the first query: an idle container's shim touches none of it.
  std::string buffer;
  auto reply = [&](const std::string& answer, const sockaddr_in& client) {
    if (!answer.empty())
      ::sendto(socket_, answer.data(), answer.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&client), sizeof client);
  };
  auto fail = [&](Forward& f) {
    reply(dns_answer(f.parsed, {}, 0, kDnsServerFailure), f.client);
    ::close(f.socket);
    f.socket = -1;
  };
  // Sends `f` on to its next upstream server; false when none is left.
  auto next_upstream = [&](Forward& f) {
    if (f.socket >= 0) ::close(f.socket);
    f.socket = -1;
    for (; f.upstream < upstreams_.size(); ++f.upstream) {
      f.socket = send_upstream(upstreams_[f.upstream], f.query);
      if (f.socket >= 0) {
        f.deadline = Clock::now() + kUpstreamTimeout;
        return true;
      }
    }
    return false;
  };
  for (;;) {
    std::vector<pollfd> fds{{stop_pipe_[0], POLLIN, 0}, {socket_, POLLIN, 0}};
    int timeout = -1;
    Clock::time_point now = Clock::now();
    for (const Forward& f : pending) {
      fds.push_back({f.socket, POLLIN, 0});
      auto left = std::chrono::ceil<std::chrono::milliseconds>(f.deadline - now).count();
      timeout = timeout < 0 ? static_cast<int>(std::max<int64_t>(left, 0)) : std::min(timeout, static_cast<int>(std::max<int64_t>(left, 0)));
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents) break;
    now = Clock::now();
    for (size_t i = 0; i < pending.size(); ++i) {
      Forward& f = pending[i];
      if (fds[2 + i].revents) {
        ssize_t size = ::recv(f.socket, nullptr, 0, MSG_PEEK | MSG_TRUNC);
        std::string answer(static_cast<size_t>(std::max<ssize_t>(size, 1)), '\0');
        ssize_t n = ::recv(f.socket, answer.data(), answer.size(), 0);
        // Only the reply to this query's id: a stray datagram is not relayed.
        if (n >= 12 && answer.compare(0, 2, f.query, 0, 2) == 0) {
          answer.resize(static_cast<size_t>(n));
          reply(answer, f.client);
          ::close(f.socket);
          f.socket = -1;
          continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {  // refused: the next one
          ++f.upstream;
          if (!next_upstream(f)) fail(f);
          continue;
        }
      }
      if (now >= f.deadline) {
        ++f.upstream;
        if (!next_upstream(f)) fail(f);
      }
    }
    std::erase_if(pending, [](const Forward& f) { return f.socket < 0; });
    if (!fds[1].revents) continue;
    sockaddr_in client{};
    socklen_t client_size = sizeof client;
    buffer.resize(kMaxQuery);
    ssize_t n = ::recvfrom(socket_, buffer.data(), buffer.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&client), &client_size);
    if (n <= 0 || client_size != sizeof client) continue;
    std::string_view packet(buffer.data(), static_cast<size_t>(n));
    DnsQuery query;
    switch (parse_dns_query(packet, &query)) {
      case DnsParse::Drop:
        continue;
      case DnsParse::FormatError:
        reply(dns_error(packet, kDnsFormatError), client);
        continue;
      case DnsParse::NotImplemented:
        reply(dns_error(packet, kDnsNotImplemented), client);
        continue;
      case DnsParse::Query:
        break;
    }
    if (const std::vector<Ipv4Address>* addresses = hosts().find(query.name); addresses && query.klass == kDnsClassIn) {
      // The name is a container's: only A records; AAAA and the rest are
      // empty answers, never forwarded (the world does not know it).
      reply(dns_answer(query, query.type == kDnsTypeA ? *addresses : std::vector<Ipv4Address>{}, kTtl), client);
      continue;
    }
    Forward f{-1, std::string(packet), query, client, 0, {}};
    if (pending.size() >= kMaxPending || !next_upstream(f)) {
      reply(dns_answer(query, {}, 0, kDnsServerFailure), client);
      continue;
    }
    pending.push_back(std::move(f));
  }
  for (Forward& f : pending) ::close(f.socket);
}

}  // namespace stack::netbridge
