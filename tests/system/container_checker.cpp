// container_checker: runs inside a test container and reports what the
// kernel lets it do, one "name=result" line each (ok or the errno name).
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* result(long rc) {
  if (rc >= 0) return "ok";
  switch (errno) {
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return strerror(errno);
  }
}

// Forks up to `limit` sleeping children; prints how many forks succeeded.
static int fork_bomb(int limit) {
  int made = 0;
  pid_t children[4096];
  for (; made < limit && made < 4096; ++made) {
    pid_t pid = fork();
    if (pid < 0) break;
    if (pid == 0) {
      pause();
      _exit(0);
    }
    children[made] = pid;
  }
  printf("forked=%d\n", made);
  for (int i = 0; i < made; ++i) kill(children[i], SIGKILL);
  while (wait(nullptr) > 0) {
  }
  return 0;
}

// Sends every datagram back where it came from: busybox has no UDP server.
int udp_echo(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(static_cast<uint16_t>(port));
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) return 1;
  char buf[2048];
  for (;;) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n >= 0) sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "fork") == 0) return fork_bomb(atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "udp-echo") == 0) return udp_echo(atoi(argv[2]));
  printf("keyctl=%s\n", result(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0)));
  printf("unshare=%s\n", result(unshare(CLONE_NEWNS)));
  printf("mount=%s\n", result(mount("none", "/tmp", "tmpfs", 0, nullptr)));
  printf("clone3=%s\n", result(syscall(SYS_clone3, nullptr, 0)));
  int alg = socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0);
  printf("socket_alg=%s\n", result(alg));
  int vsock = socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
  printf("socket_vsock=%s\n", result(vsock));
  int inet = socket(AF_INET, SOCK_STREAM, 0);
  printf("socket_inet=%s\n", result(inet));
  printf("syscall_500=%s\n", result(syscall(500)));
  printf("bpf=%s\n", result(syscall(SYS_bpf, 0, nullptr, 0)));
  return 0;
}
