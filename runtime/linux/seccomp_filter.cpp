#include "runtime/linux/seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "runtime/on_disk.h"

namespace stack::runtime::linux_ {
namespace {

// The ordinary syscalls of Docker's default profile (x86-64 and generic).
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir",
    "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
    "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
    "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
    "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
    "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd",
    "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
    "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
    "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
    "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
    "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
    "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
    "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
    "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
    "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
    "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
    "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64",
    "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
    "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
    "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
    "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg",
    "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
    "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
    "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl",
    "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
    "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
    "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink",
    "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
    "waitpid", "write", "writev", "arch_prctl", "modify_ldt", "personality", "ptrace", "process_vm_readv",
    "process_vm_writev"};

// Only with CAP_SYS_ADMIN, as in Docker's profile.
constexpr const char* kSysAdmin[] = {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                                     "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
                                     "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
                                     "sethostname", "setns", "syslog", "umount", "umount2", "unshare", "pivot_root"};

// FNV-1a over the tables, at compile time: a cache key has only to change
// with them. SHA-256 over them cost about 1 ms in every shim (OpenSSL's
// lookup of the digest, and the pages that touches after a fork).
template <size_t N>
constexpr std::uint64_t hash_names(std::uint64_t hash, const char* const (&names)[N], char separator) {
  auto add = [&hash](char c) { hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull; };
  for (const char* name : names) {
    for (const char* c = name; *c; ++c) add(*c);
    add(separator);
  }
  return hash;
}
constexpr std::uint64_t kTablesHash = hash_names(hash_names(14695981039346656037ull, kAllowed, ','), kSysAdmin, ';');

struct Filter {
  scmp_filter_ctx ctx;
  explicit Filter(uint32_t default_action) : ctx(seccomp_init(default_action)) {
    // A binary tree of syscall numbers rather than a list: every syscall a
    // container makes walks this program, a few hundred rules long.
    if (ctx) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  }
  ~Filter() { seccomp_release(ctx); }
};

Status add(scmp_filter_ctx ctx, uint32_t action, const char* name, unsigned count = 0,
           const scmp_arg_cmp* args = nullptr) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return Status::ok();  // not on this architecture
  int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
  if (rc != 0 && rc != -EEXIST) return Status::error(std::string("seccomp rule for ") + name + ": " + std::strerror(-rc));
  return Status::ok();
}

// A comparison of a syscall's first argument. libseccomp's SCMP_A0 macro
// leaves the struct's last field to the initializer, which clang's
// -Wmissing-field-initializers refuses under -Werror.
scmp_arg_cmp first_argument(scmp_compare op, uint64_t datum_a, uint64_t datum_b = 0) {
  scmp_arg_cmp c{};
  c.arg = 0;
  c.op = op;
  c.datum_a = datum_a;
  c.datum_b = datum_b;
  return c;
}

Status export_program(scmp_filter_ctx ctx, std::string* bpf) {
  int fd = ::memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) return Status::from_errno("memfd for the seccomp program");
  int rc = seccomp_export_bpf(ctx, fd);
  Status s;
  if (rc != 0) s = Status::error(std::string("compiling the seccomp filter: ") + std::strerror(-rc));
  if (s && ::lseek(fd, 0, SEEK_SET) != 0) s = Status::from_errno("rewinding the seccomp program");
  bpf->clear();
  char buf[8192];
  for (ssize_t n; s && (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) s = Status::from_errno("reading the seccomp program");
    else bpf->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (s && (bpf->empty() || bpf->size() % sizeof(sock_filter) != 0)) s = Status::error("empty seccomp program");
  return s;
}

Status build_default(const std::vector<std::string>& capabilities, std::string* bpf) {
  Filter f(SCMP_ACT_ERRNO(EPERM));
  if (!f.ctx) return Status::error("seccomp_init failed");
  bool sys_admin = std::find(capabilities.begin(), capabilities.end(), "SYS_ADMIN") != capabilities.end();
  for (const char* name : kAllowed)
    if (Status s = add(f.ctx, SCMP_ACT_ALLOW, name); !s) return s;
  if (sys_admin) {
    for (const char* name : kSysAdmin)
      if (Status s = add(f.ctx, SCMP_ACT_ALLOW, name); !s) return s;
  } else {
    // fork-style clone only; clone3 gets ENOSYS so that libc falls back to clone.
    const uint64_t ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                        CLONE_NEWCGROUP;
    scmp_arg_cmp no_namespaces = first_argument(SCMP_CMP_MASKED_EQ, ns, 0);
    if (Status s = add(f.ctx, SCMP_ACT_ALLOW, "clone", 1, &no_namespaces); !s) return s;
    if (Status s = add(f.ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3"); !s) return s;
  }
  // socket: every family but AF_ALG (38) and AF_VSOCK (40).
  scmp_arg_cmp below = first_argument(SCMP_CMP_LT, AF_ALG);
  scmp_arg_cmp between = first_argument(SCMP_CMP_EQ, AF_ALG + 1);
  scmp_arg_cmp above = first_argument(SCMP_CMP_GT, AF_VSOCK);
  for (const scmp_arg_cmp* c : {&below, &between, &above})
    if (Status s = add(f.ctx, SCMP_ACT_ALLOW, "socket", 1, c); !s) return s;
  // Numbers past the newest syscall this filter knows: ENOSYS, not EPERM.
  int newest = 0;
  for (const char* name : {"cachestat", "fchmodat2", "map_shadow_stack", "futex_waitv", "mseal", "listmount"})
    newest = std::max(newest, seccomp_syscall_resolve_name(name));
  for (int nr = newest + 1; nr < newest + 64; ++nr) seccomp_rule_add(f.ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
  return export_program(f.ctx, bpf);
}

}  // namespace

Status default_seccomp_program(const std::vector<std::string>& capabilities, const std::string& cache_dir,
                               std::string* bpf) {
  bool sys_admin = std::find(capabilities.begin(), capabilities.end(), "SYS_ADMIN") != capabilities.end();
  // The cache key covers every input: the tables, the one capability that
  // changes the program, and the libseccomp that compiles it.
  const scmp_version* v = seccomp_version();
  char key[96];
  std::snprintf(key, sizeof key, "default-v3-%016llx-sys_admin%d-libseccomp%u.%u.%u.bpf",
                static_cast<unsigned long long>(kTablesHash), sys_admin ? 1 : 0, v->major, v->minor, v->micro);
  std::string cache = cache_dir.empty() ? "" : cache_dir + "/" + key;
  if (!cache.empty())
    if (auto cached = read_whole_file(cache); cached && !cached->empty() && cached->size() % sizeof(sock_filter) == 0) {
      *bpf = std::move(*cached);
      return Status::ok();
    }
  if (Status s = build_default(capabilities, bpf); !s) return s;
  if (!cache.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cache_dir, ec);
    write_file_atomically(cache, *bpf, 0644, /*durable=*/false);  // a lost cache is only rebuilt
  }
  return Status::ok();
}

Status load_seccomp_program(const std::string& bpf) {
  sock_fprog program{static_cast<unsigned short>(bpf.size() / sizeof(sock_filter)),
                     reinterpret_cast<sock_filter*>(const_cast<char*>(bpf.data()))};
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0)
    return Status::from_errno("loading the seccomp filter");
  return Status::ok();
}

Status profile_seccomp_program(const std::string& json_text, std::string* bpf) {
  nlohmann::json profile = nlohmann::json::parse(json_text, nullptr, false);
  if (!profile.is_object()) return Status::error("seccomp profile: not a JSON object");
  auto action_of = [](const std::string& action, int errno_ret) -> std::optional<uint32_t> {
    if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(static_cast<uint16_t>(errno_ret));
    if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
    if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    return std::nullopt;
  };
  auto default_action = action_of(profile.value("defaultAction", "SCMP_ACT_ERRNO"), profile.value("defaultErrnoRet", EPERM));
  if (!default_action) return Status::error("seccomp profile: unknown defaultAction");
  Filter f(*default_action);
  static const std::pair<const char*, scmp_compare> kOps[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (const auto& rule : profile.value("syscalls", nlohmann::json::array())) {
    auto action = action_of(rule.value("action", ""), rule.value("errnoRet", EPERM));
    if (!action) return Status::error("seccomp profile: unknown action " + rule.value("action", ""));
    std::vector<scmp_arg_cmp> args;
    for (const auto& a : rule.value("args", nlohmann::json::array())) {
      std::string op = a.value("op", "");
      auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& p) { return op == p.first; });
      if (it == std::end(kOps)) return Status::error("seccomp profile: unknown op " + op);
      args.push_back({a.value("index", 0u), it->second, a.value("value", uint64_t{0}), a.value("valueTwo", uint64_t{0})});
    }
    for (const auto& name : rule.value("names", nlohmann::json::array()))
      if (Status s = add(f.ctx, *action, name.get<std::string>().c_str(), static_cast<unsigned>(args.size()),
                         args.empty() ? nullptr : args.data());
          !s)
        return s;
  }
  return export_program(f.ctx, bpf);
}

Status seccomp_program_for(const ContainerSpec& spec, const std::vector<std::string>& capabilities,
                           const std::string& cache_dir, std::string* bpf) {
  bpf->clear();
  switch (spec.seccomp) {
    case SeccompMode::Default:
      return default_seccomp_program(capabilities, cache_dir, bpf);
    case SeccompMode::Profile:
      return profile_seccomp_program(spec.seccomp_profile_json, bpf);
    case SeccompMode::Unconfined:
      break;
  }
  return Status::ok();
}

}  // namespace stack::runtime::linux_
