// PortProxy: published ports: host sockets bound up front, and forwarded to the container by a userland proxy.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "netbridge/ipv4.h"
#include "runtime/status.h"

namespace stack::netbridge {

using runtime::Status;

struct PortMapping {
  // An IPv4 or IPv6 address ("0.0.0.0", "::1"); empty: every address of
  // both families, as Docker publishes a port without one (IPv6 where the
  // host has it). bind() gives each bound socket its own mapping.
  std::string host_ip;
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // or "udp"

  // "0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp", as `docker port` prints it.
  std::string to_string() const;
};

// `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|udp]`, ranges
// expanded; an IPv6 HOST_IP in brackets ("[::1]:9100:8000"); a host port
// left out is 0, one the kernel chooses at bind.
Status parse_port_mappings(const std::string& text, std::vector<PortMapping>* out);

class PortProxy {
 public:
  ~PortProxy();

  // Binds (and for TCP listens on) every mapping's host address and port:
  // this is the reservation, so a port already taken fails here, named.
  // A mapping without an address is bound on 0.0.0.0 and, where the host
  // has IPv6, on [::] at the same port (v6 only, as Docker does).
  static Status bind(const std::vector<PortMapping>& mappings, std::unique_ptr<PortProxy>* out);

  // Forwards to `container` from now on, in threads of the calling process
  // (which may be a fork of the one that bound the ports):
  // TCP connections are spliced both ways with half-close; UDP datagrams go
  // through one session per client address, dropped after 30 s idle.
  // Once started, a further start (the container restarted) changes nothing.
  void start(Ipv4Address container);
  // Stops accepting, ends every forwarding and closes the sockets.
  void stop();

  // For a program this process execs (a shim's supervisor, or `stack`
  // back from it): the mappings, their sockets, left open across exec,
  // and the address forwarded to.
  std::string handover() const;
  // The proxy of a handover's sockets, not started; null when `text` is
  // not a handover. `container` gets the address it forwarded to.
  static std::unique_ptr<PortProxy> adopt(const std::string& text, Ipv4Address* container);

  // As bound: a host port 0 asked for is the one the kernel chose.
  const std::vector<PortMapping>& mappings() const { return mappings_; }

 private:
  PortProxy() = default;
  void serve_tcp(size_t index);
  void serve_udp(size_t index);

  std::vector<PortMapping> mappings_;
  std::vector<int> sockets_;
  Ipv4Address container_;
  int stop_pipe_[2] = {-1, -1};
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
};

}  // namespace stack::netbridge
