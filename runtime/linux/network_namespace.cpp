#include "runtime/linux/network_namespace.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace stack::runtime::linux_ {

bool is_network_namespace(const std::string& path) {
  constexpr long kNsfsMagic = 0x6e736673;  // NSFS_MAGIC, <linux/magic.h>
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && static_cast<long>(fs.f_type) == kNsfsMagic;
}

Status create_network_namespace(const std::string& path) {
  int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (file < 0) return Status::from_errno("creating " + path);
  ::close(file);
  int own = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) {
    ::unlink(path.c_str());
    return Status::from_errno("opening our network namespace");
  }
  Status s;
  if (::unshare(CLONE_NEWNET) != 0) s = Status::from_errno("creating a network namespace");
  if (s && ::mount("/proc/self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0)
    s = Status::from_errno("keeping the network namespace at " + path);
  if (s) {
    int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (sock < 0 || ::ioctl(sock, SIOCGIFFLAGS, &request) != 0) s = Status::from_errno("reading lo flags");
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (s && ::ioctl(sock, SIOCSIFFLAGS, &request) != 0) s = Status::from_errno("bringing lo up");
    if (sock >= 0) ::close(sock);
  }
  // Back to ours whatever happened: the rest of this process runs there.
  if (::setns(own, CLONE_NEWNET) != 0 && s) s = Status::from_errno("returning to our network namespace");
  ::close(own);
  if (!s) remove_network_namespace(path);
  return s;
}

std::string process_network_namespace(pid_t pid) { return "/proc/" + std::to_string(pid) + "/ns/net"; }

int bind_in_network_namespace(const std::string& path, int type, uint32_t address, uint16_t port) {
  // In the calling thread and back, as create_network_namespace does: a
  // thread of its own would cost more than the rest of a container's start
  // where creating threads is slow. setns moves this thread only (whose
  // namespace /proc/thread-self names; /proc/self is the main thread's).
  int own = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) return -errno;
  int ns = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) {
    int e = errno;
    ::close(own);
    return -e;
  }
  int result = 0;
  if (::setns(ns, CLONE_NEWNET) != 0) result = -errno;
  ::close(ns);
  if (result == 0) {
    int s = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    at.sin_addr.s_addr = htonl(address);
    if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 ||
        (type == SOCK_STREAM && ::listen(s, SOMAXCONN) != 0)) {
      result = -errno;
      if (s >= 0) ::close(s);
    } else {
      result = s;
    }
    // Back to ours whatever happened: the rest of this thread runs there.
    if (::setns(own, CLONE_NEWNET) != 0) {
      if (result >= 0) ::close(result);
      result = -errno;
    }
  }
  ::close(own);
  return result;
}

Status remove_network_namespace(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return Status::from_errno("unmounting " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::from_errno("removing " + path);
  return Status::ok();
}

}  // namespace stack::runtime::linux_
