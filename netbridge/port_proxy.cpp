#include "netbridge/port_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

namespace stack::netbridge {
namespace {

sockaddr_in socket_address(Ipv4Address a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(a.value);
  s.sin_port = htons(port);
  return s;
}

// A host address of either family as a socket address; nullopt when `ip`
// is neither.
std::optional<sockaddr_storage> host_socket_address(const std::string& ip, uint16_t port, socklen_t* length) {
  sockaddr_storage s{};
  if (ip.find(':') == std::string::npos) {
    auto v4 = Ipv4Address::parse(ip);
    if (!v4) return std::nullopt;
    sockaddr_in a = socket_address(*v4, port);
    std::memcpy(&s, &a, sizeof a);
    *length = sizeof a;
    return s;
  }
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  if (::inet_pton(AF_INET6, ip.c_str(), &a.sin6_addr) != 1) return std::nullopt;
  std::memcpy(&s, &a, sizeof a);
  *length = sizeof a;
  return s;
}

uint16_t port_of(const sockaddr_storage& s) {
  return ntohs(s.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(s).sin6_port
                                       : reinterpret_cast<const sockaddr_in&>(s).sin_port);
}

// Binds (and for TCP listens on) one mapping; its port is the one bound.
// `missing_family`: set when the host has no such address family (IPv6
// turned off), which a default [::] binding may skip.
Status bind_mapping(PortMapping* m, int* fd_out, bool* missing_family) {
  bool tcp = m->protocol == "tcp";
  socklen_t length = 0;
  std::optional<sockaddr_storage> at = host_socket_address(m->host_ip, m->host_port, &length);
  if (!at) return Status::error("publishing port " + m->to_string() + ": " + m->host_ip + " is not an IP address");
  auto failed = [&] {
    return Status::from_errno("publishing port " + std::to_string(m->host_port) + "/" + m->protocol + " on " +
                              (at->ss_family == AF_INET6 ? "[" + m->host_ip + "]" : m->host_ip));
  };
  int fd = ::socket(at->ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (missing_family) *missing_family = errno == EAFNOSUPPORT;
    return failed();
  }
  int one = 1;
  if (tcp) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // past TIME_WAIT, not past a listener
  // [::] beside 0.0.0.0, not over it.
  if (at->ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&*at), length) != 0 || (tcp && ::listen(fd, 512) != 0)) {
    if (missing_family) *missing_family = errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT;
    Status s = failed();
    ::close(fd);
    return s;
  }
  if (m->host_port == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&*at), &length) == 0) m->host_port = port_of(*at);
  *fd_out = fd;
  return Status::ok();
}

std::optional<int> parse_port(const std::string& s) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  int p = std::stoi(s);
  if (p < 1 || p > 65535) return std::nullopt;
  return p;
}

// "8000-8010" or "8000".
bool parse_range(const std::string& s, int* first, int* last) {
  size_t dash = s.find('-');
  auto a = parse_port(s.substr(0, dash));
  auto b = dash == std::string::npos ? a : parse_port(s.substr(dash + 1));
  if (!a || !b || *b < *a) return false;
  *first = *a;
  *last = *b;
  return true;
}

// One direction of a TCP connection, through a pipe with splice: the bytes
// never come up to user space. At EOF the other side is told with a
// half-close; after an error both are shut, which ends the other direction.
void pump(int from, int to) {
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) return;
  ::fcntl(pipe[1], F_SETPIPE_SZ, 1 << 20);
  bool failed = false;
  for (;;) {
    ssize_t n = ::splice(from, nullptr, pipe[1], nullptr, 1 << 20, SPLICE_F_MOVE);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed = n < 0;
      break;
    }
    while (n > 0) {
      ssize_t m = ::splice(pipe[0], nullptr, to, nullptr, static_cast<size_t>(n), SPLICE_F_MOVE);
      if (m < 0 && errno == EINTR) continue;
      if (m <= 0) {
        failed = true;
        break;
      }
      n -= m;
    }
    if (failed) break;
  }
  ::close(pipe[0]);
  ::close(pipe[1]);
  if (failed) {
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
  } else {
    ::shutdown(to, SHUT_WR);
  }
}

// A whole proxied connection; owns both sockets.
void relay_connection(int client, Ipv4Address container, uint16_t port) {
  int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to = socket_address(container, port);
  if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    if (upstream >= 0) ::close(upstream);
    ::close(client);
    return;
  }
  std::thread back(pump, upstream, client);
  pump(client, upstream);
  back.join();
  ::close(upstream);
  ::close(client);
}

constexpr auto kUdpIdle = std::chrono::seconds(30);

}  // namespace

std::string PortMapping::to_string() const {
  std::string ip = host_ip.empty() ? "0.0.0.0" : host_ip.find(':') != std::string::npos ? "[" + host_ip + "]" : host_ip;
  return ip + ":" + std::to_string(host_port) + "->" + std::to_string(container_port) + "/" + protocol;
}

Status parse_port_mappings(const std::string& text, std::vector<PortMapping>* out) {
  auto bad = [&](const std::string& why) { return Status::error("port \"" + text + "\": " + why); };
  std::string spec = text, protocol = "tcp";
  if (size_t slash = spec.find('/'); slash != std::string::npos) {
    protocol = spec.substr(slash + 1);
    spec = spec.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp") return bad("protocol must be tcp or udp");
  }
  std::string ip, host, container = spec;
  if (size_t colon = spec.rfind(':'); colon != std::string::npos) {
    container = spec.substr(colon + 1);
    host = spec.substr(0, colon);
    if (size_t first = host.rfind(':'); first != std::string::npos) {
      ip = host.substr(0, first);
      host = host.substr(first + 1);
    }
  }
  std::string address = ip;
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
  socklen_t length = 0;
  if (!address.empty() && !host_socket_address(address, 0, &length)) return bad("host address " + ip + " is not an IP address");
  int c_first, c_last, h_first, h_last;
  if (!parse_range(container, &c_first, &c_last)) return bad("container port must be 1-65535 or a range of them");
  if (host.empty()) {
    // As Docker and Compose: a port published without a host port gets
    // one the kernel chooses.
    for (int p = c_first; p <= c_last; ++p) out->push_back({address, 0, static_cast<uint16_t>(p), protocol});
    return Status::ok();
  } else if (!parse_range(host, &h_first, &h_last)) {
    return bad("host port must be 1-65535 or a range of them");
  }
  if (h_last - h_first != c_last - c_first) return bad("host and container ranges differ in size");
  for (int i = 0; i <= c_last - c_first; ++i)
    out->push_back({address, static_cast<uint16_t>(h_first + i), static_cast<uint16_t>(c_first + i), protocol});
  return Status::ok();
}

PortProxy::~PortProxy() { stop(); }

Status PortProxy::bind(const std::vector<PortMapping>& mappings, std::unique_ptr<PortProxy>* out) {
  std::unique_ptr<PortProxy> proxy(new PortProxy);
  for (const PortMapping& asked : mappings) {
    PortMapping m = asked;
    bool both = m.host_ip.empty();
    if (both) m.host_ip = "0.0.0.0";
    int fd = -1;
    if (Status s = bind_mapping(&m, &fd, nullptr); !s) return s;  // the proxy closes what it bound so far
    proxy->mappings_.push_back(m);
    proxy->sockets_.push_back(fd);
    if (!both) continue;
    // The same port on [::]; a host without IPv6 has only the first.
    PortMapping v6 = m;
    v6.host_ip = "::";
    bool missing_family = false;
    if (Status s = bind_mapping(&v6, &fd, &missing_family); !s) {
      if (missing_family) continue;
      return s;
    }
    proxy->mappings_.push_back(v6);
    proxy->sockets_.push_back(fd);
  }
  *out = std::move(proxy);
  return Status::ok();
}

std::string PortProxy::handover() const {
  nlohmann::json ports = nlohmann::json::array();
  for (size_t i = 0; i < mappings_.size() && i < sockets_.size(); ++i) {
    const PortMapping& m = mappings_[i];
    ::fcntl(sockets_[i], F_SETFD, 0);
    ports.push_back({{"host_ip", m.host_ip}, {"host_port", m.host_port}, {"container_port", m.container_port},
                     {"protocol", m.protocol}, {"fd", sockets_[i]}});
  }
  return nlohmann::json{{"address", container_.to_string()}, {"ports", ports}}.dump();
}

std::unique_ptr<PortProxy> PortProxy::adopt(const std::string& text, Ipv4Address* container) {
  std::unique_ptr<PortProxy> proxy(new PortProxy);
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    for (const nlohmann::json& p : j.at("ports")) {
      PortMapping m{p.at("host_ip").get<std::string>(), p.at("host_port").get<uint16_t>(), p.at("container_port").get<uint16_t>(),
                    p.at("protocol").get<std::string>()};
      int fd = p.at("fd").get<int>();
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      proxy->mappings_.push_back(m);
      proxy->sockets_.push_back(fd);
    }
    std::optional<Ipv4Address> address = Ipv4Address::parse(j.at("address").get<std::string>());
    if (container && address) *container = *address;
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
  return proxy;
}

void PortProxy::start(Ipv4Address container) {
  // Again after a restart: the container kept its network namespace and
  // so its address, and the forwarding threads never stopped.
  if (!threads_.empty()) return;
  container_ = container;
  // A handover meant for an exec that failed left them open across exec.
  for (int fd : sockets_) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  // Made here, in the process that forwards: a pipe made at bind() would be
  // shared with the process that bound the ports and forked us, and its
  // stop() would stop ours.
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) return;
  for (size_t i = 0; i < mappings_.size(); ++i) {
    if (mappings_[i].protocol == "tcp") threads_.emplace_back(&PortProxy::serve_tcp, this, i);
    else threads_.emplace_back(&PortProxy::serve_udp, this, i);
  }
}

void PortProxy::stop() {
  if (stopping_.exchange(true)) return;
  if (stop_pipe_[1] >= 0) (void)!::write(stop_pipe_[1], "x", 1);
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  for (int fd : sockets_) ::close(fd);
  sockets_.clear();
  for (int& fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

void PortProxy::serve_tcp(size_t index) {
  int listener = sockets_[index];
  uint16_t port = mappings_[index].container_port;
  for (;;) {
    pollfd fds[2] = {{listener, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    // Each connection owns its sockets and outlives nothing of ours.
    std::thread(relay_connection, client, container_, port).detach();
  }
}

void PortProxy::serve_udp(size_t index) {
  struct Session {
    int fd;
    sockaddr_storage client;
    socklen_t client_length;
    std::chrono::steady_clock::time_point last;
  };
  int host = sockets_[index];
  sockaddr_in to = socket_address(container_, mappings_[index].container_port);
  std::map<std::string, Session> sessions;  // by client address and port, as bytes
  char buf[65536];
  for (;;) {
    std::vector<pollfd> fds = {{host, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    std::vector<std::string> keys;
    for (const auto& [key, s] : sessions) {
      fds.push_back({s.fd, POLLIN, 0});
      keys.push_back(key);
    }
    int ready = ::poll(fds.data(), fds.size(), 1000);
    if (ready < 0 && errno != EINTR) break;
    if (fds[1].revents) break;
    auto now = std::chrono::steady_clock::now();
    if (ready > 0 && fds[0].revents) {
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(host, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n >= 0) {
        std::string key(reinterpret_cast<const char*>(&from), len);
        auto it = sessions.find(key);
        if (it == sessions.end()) {
          int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
          if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0)
            it = sessions.emplace(key, Session{fd, from, len, now}).first;
          else if (fd >= 0)
            ::close(fd);
        }
        if (it != sessions.end()) {
          (void)!::send(it->second.fd, buf, static_cast<size_t>(n), 0);
          it->second.last = now;
        }
      }
    }
    for (size_t i = 0; ready > 0 && i < keys.size(); ++i) {
      if (!fds[i + 2].revents) continue;
      Session& s = sessions[keys[i]];
      ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
      if (n >= 0) {
        (void)!::sendto(host, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&s.client), s.client_length);
        s.last = now;
      }
    }
    for (auto it = sessions.begin(); it != sessions.end();) {
      if (now - it->second.last > kUdpIdle) {
        ::close(it->second.fd);
        it = sessions.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [key, s] : sessions) ::close(s.fd);
}

}  // namespace stack::netbridge
