// container_checker: runs inside a test container and reports what the
// kernel lets it do, one "name=result" line each (ok or the errno name).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
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
    default: return strerrorname_np(errno) ? strerrorname_np(errno) : strerror(errno);
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

// Pushes `text` into the input of the terminal `fd` is, if the kernel lets
// it (TIOCSTI); the result of the first character.
static const char* push_input(int fd, const char* text) {
  long rc = 0;
  for (const char* c = text; *c && rc == 0; ++c) rc = ioctl(fd, TIOCSTI, c);
  return result(rc);
}

// What a process can do to the terminal of whoever started it.
static int terminal_injection() {
  printf("session_leader=%s\n", getsid(0) == getpid() ? "yes" : "no");
  for (int fd = 0; fd <= 2; ++fd) {
    char text[32];
    snprintf(text, sizeof text, ":injected-fd%d\n", fd);
    printf("tiocsti_fd%d=%s\n", fd, push_input(fd, text));
  }
  int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
  printf("open_dev_tty=%s\n", result(tty));
  if (tty >= 0) printf("tiocsti_dev_tty=%s\n", push_input(tty, ":injected-dev-tty\n"));
  // Making the caller's terminal ours, as a session leader may.
  printf("tiocsctty_fd1=%s\n", result(ioctl(1, TIOCSCTTY, 0)));
  return 0;
}

// kill(0): every process in our process group.
static int kill_group() {
  printf("pid=%d pgrp_is_ours=%s\n", getpid(), getpgrp() == getpid() ? "yes" : "no");
  fflush(stdout);
  long rc = kill(0, SIGKILL);
  // Only a PID 1 outlives its own SIGKILL.
  printf("kill0=%s survived\n", result(rc));
  return 0;
}

#if defined(__x86_64__)
// The i386 entry point from 64-bit code: int $0x80, i386 numbering,
// arguments in ebx, ecx, edx, esi, edi; -errno in eax.
static long i386_syscall(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  long rc;
  __asm__ volatile("int $0x80" : "=a"(rc) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
  if (rc < 0 && rc > -4096) {
    errno = static_cast<int>(-rc);
    return -1;
  }
  return rc;
}
#endif

// Runs `probe` in a child, its output relayed through a pipe, and says
// which signal ended it, if one did: a seccomp kill is SIGSYS, an ABI
// the kernel does not run SIGSEGV (int $0x80) or nothing at all.
static void in_child(const char* name, void (*probe)(FILE* out)) {
  fflush(stdout);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    FILE* out = fdopen(pipe_fds[1], "w");
    setvbuf(out, nullptr, _IONBF, 0);
    probe(out);
    _exit(0);
  }
  close(pipe_fds[1]);
  char buf[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) fwrite(buf, 1, static_cast<size_t>(n), stdout);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    printf("%s=killed by %s\n", name, WTERMSIG(status) == SIGSYS ? "SIGSYS" : WTERMSIG(status) == SIGSEGV ? "SIGSEGV" : strsignal(WTERMSIG(status)));
}

// Dangerous syscalls, each with arguments that would do nothing harmful
// had it been allowed; the i386 numbers for the same ones.
struct Dangerous {
  const char* name;
  long nr, i386_nr;
  long a, b, c;
};
const Dangerous kDangerous[] = {
    {"keyctl", SYS_keyctl, 288, 0, -3, 0},      {"add_key", SYS_add_key, 286, 0, 0, 0},
    {"request_key", SYS_request_key, 287, 0, 0, 0}, {"mount", SYS_mount, 21, 0, 0, 0},
    {"umount2", SYS_umount2, 52, 0, 0, 0},      {"unshare", SYS_unshare, 310, CLONE_NEWNS, 0, 0},
    {"setns", SYS_setns, 346, -1, 0, 0},        {"pivot_root", SYS_pivot_root, 217, 0, 0, 0},
    {"swapon", SYS_swapon, 87, 0, 0, 0},        {"swapoff", SYS_swapoff, 115, 0, 0, 0},
    {"reboot", SYS_reboot, 88, 0, 0, 0},        {"kexec_load", SYS_kexec_load, 283, 0, 0, 0},
    {"init_module", SYS_init_module, 128, 0, 0, 0}, {"finit_module", SYS_finit_module, 350, -1, 0, 0},
    {"delete_module", SYS_delete_module, 129, 0, 0, 0}, {"bpf", SYS_bpf, 357, 0, 0, 0},
    {"perf_event_open", SYS_perf_event_open, 336, 0, 0, -1}, {"open_by_handle_at", SYS_open_by_handle_at, 342, -1, 0, 0},
    {"acct", SYS_acct, 51, 0, 0, 0},
};

// Syscalls numbered past what any filter knows, the ABIs beside x86-64,
// and the dangerous syscalls through the i386 entry point too.
static int syscall_abis() {
  printf("syscall_457=%s\n", result(syscall(457)));
  printf("syscall_1000=%s\n", result(syscall(1000)));
  printf("syscall_2000=%s\n", result(syscall(2000)));
  int refused = 0;
  for (const Dangerous& d : kDangerous) refused += syscall(d.nr, d.a, d.b, d.c, 0, 0) < 0 && errno == EPERM;
  printf("dangerous_refused=%d/%zu\n", refused, sizeof kDangerous / sizeof kDangerous[0]);
#if defined(__x86_64__)
  in_child("x32", [](FILE* out) { fprintf(out, "x32_getpid=%s\n", result(syscall(0x40000000 | SYS_getpid))); });
  in_child("i386", [](FILE* out) {
    long pid = i386_syscall(20);
    fprintf(out, "i386_getpid=%s\n", pid == getpid() ? "same" : result(pid));
    fprintf(out, "i386_syscall_1000=%s\n", result(i386_syscall(1000)));
    int refused = 0;
    for (const Dangerous& d : kDangerous) {
      long rc = i386_syscall(d.i386_nr, d.a, d.b, d.c);
      refused += rc < 0 && errno == EPERM;
      if (strcmp(d.name, "mount") == 0 || strcmp(d.name, "reboot") == 0) fprintf(out, "i386_%s=%s\n", d.name, result(rc));
    }
    fprintf(out, "i386_dangerous_refused=%d/%zu\n", refused, sizeof kDangerous / sizeof kDangerous[0]);
  });
#endif
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "tiocsti") == 0) return terminal_injection();
  if (argc == 2 && strcmp(argv[1], "kill-group") == 0) return kill_group();
  if (argc == 2 && strcmp(argv[1], "syscalls") == 0) return syscall_abis();
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
