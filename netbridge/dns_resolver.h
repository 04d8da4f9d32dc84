// DnsResolver: the DNS server a container on project networks asks at 127.0.0.11: names of its /etc/hosts answered, the rest forwarded.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "netbridge/dns_message.h"
#include "netbridge/ipv4.h"

namespace stack::netbridge {

// Where the resolver listens, inside the container's network namespace,
// as Docker's embedded DNS: 127.0.0.0/8 is local on lo there, so no
// address is added.
inline constexpr const char* kEmbeddedDnsAddress = "127.0.0.11";
inline constexpr uint16_t kDnsPort = 53;

class DnsResolver {
 public:
  // Serves on `socket`, a UDP socket bound to 127.0.0.11:53 in the
  // container's network namespace (ours from now on): A queries for names
  // of the host-side copy of its /etc/hosts at `hosts_path` (read again
  // whenever it changes, so answers follow peers as the file does) get
  // every address the file gives the name, other queries for those names an
  // empty answer; everything else goes to `upstreams` (port 53, in turn,
  // each given 2 s) and their reply is relayed, SERVFAIL when none replies.
  DnsResolver(int socket, std::string hosts_path, std::vector<Ipv4Address> upstreams);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // Serves from now on, in a thread of the calling process; a further
  // start changes nothing.
  void start();
  // Stops serving and closes the socket.
  void stop();

  // For a program this process execs (a shim's supervisor): the socket,
  // left open across exec, and what it answers from.
  std::string handover() const;
  // The resolver of a handover's socket, not started; null when `text` is not one.
  static std::unique_ptr<DnsResolver> adopt(const std::string& text);

  // The servers a container's queries go to: `servers` (its `dns:` key)
  // when set, else the nameservers of the host's resolv.conf text, loopback
  // ones included (the resolver runs in the host's network namespace).
  // IPv6 servers are left out.
  static std::vector<Ipv4Address> upstreams(const std::string& host_resolv_conf, const std::vector<std::string>& servers);

 private:
  void serve();
  const HostsTable& hosts();

  int socket_ = -1;
  std::string hosts_path_;
  std::vector<Ipv4Address> upstreams_;
  HostsTable hosts_;
  struct timespec hosts_mtime_ {};
  off_t hosts_size_ = -1;
  ino_t hosts_inode_ = 0;
  bool hosts_settled_ = false;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<bool> started_{false};
};

}  // namespace stack::netbridge
