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
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
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

// The architectures a process on this host can make syscalls as: the
// native one and the ABIs its kernel runs beside it, as Docker's profile
// lists them (archMap): 32-bit binaries are ordinary containers' work.
std::vector<uint32_t> host_architectures() {
  uint32_t native = seccomp_arch_native();
  switch (native) {
    case SCMP_ARCH_X86_64: return {native, SCMP_ARCH_X86, SCMP_ARCH_X32};
    case SCMP_ARCH_AARCH64: return {native, SCMP_ARCH_ARM};
    case SCMP_ARCH_S390X: return {native, SCMP_ARCH_S390};
    case SCMP_ARCH_MIPS64: return {native, SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPS};
    case SCMP_ARCH_MIPSEL64: return {native, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_MIPSEL};
    default: return {native};
  }
}

struct Filter {
  scmp_filter_ctx ctx;
  explicit Filter(uint32_t default_action) : ctx(seccomp_init(default_action)) {
    // A binary tree of syscall numbers rather than a list: every syscall a
    // container makes walks this program, a few hundred rules long.
    if (ctx) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  }
  ~Filter() { seccomp_release(ctx); }

  // Rules added after this apply to every one of `architectures` (the
  // native one is there from the start), each with its own numbers.
  Status add_architectures(const std::vector<uint32_t>& architectures) {
    for (uint32_t arch : architectures) {
      int rc = seccomp_arch_add(ctx, arch);
      if (rc != 0 && rc != -EEXIST) return Status::error("seccomp: adding architecture " + std::to_string(arch) + ": " + std::strerror(-rc));
    }
    return Status::ok();
  }
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

// The newest syscall a filter knows on one architecture (libseccomp's token).
struct NewestSyscall {
  uint32_t arch;
  uint32_t nr;
};

// The newest syscall among `names` on each of `architectures`: what the
// filter knows there. Names an architecture lacks resolve to libseccomp's
// negative pseudo numbers and count for nothing.
std::vector<NewestSyscall> newest_syscalls(const std::vector<uint32_t>& architectures, const std::vector<std::string>& names) {
  std::vector<NewestSyscall> newest;
  for (uint32_t arch : architectures) {
    NewestSyscall n{arch, 0};
    for (const std::string& name : names) {
      int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
      if (nr > 0) n.nr = std::max(n.nr, static_cast<uint32_t>(nr));
    }
    if (n.nr > 0) newest.push_back(n);
  }
  return newest;
}

// A classic BPF program with forward jumps to labels, resolved at the end.
class BpfAssembler {
 public:
  static constexpr int kNext = -1;  // a jump's target: the next instruction

  int label() {
    labels_.push_back(-1);
    return static_cast<int>(labels_.size()) - 1;
  }
  void bind(int label) { labels_[label] = static_cast<int>(code_.size()); }
  void load(uint32_t offset) { code_.push_back({{BPF_LD | BPF_W | BPF_ABS, 0, 0, offset}, kNext, kNext}); }
  void jump_if(uint16_t comparison, uint32_t k, int jt, int jf) {
    code_.push_back({{static_cast<uint16_t>(BPF_JMP | comparison | BPF_K), 0, 0, k}, jt, jf});
  }
  void jump(int target) { code_.push_back({{BPF_JMP | BPF_JA, 0, 0, 0}, target, kNext}); }
  void ret(uint32_t action) { code_.push_back({{BPF_RET | BPF_K, 0, 0, action}, kNext, kNext}); }

  Status assemble(std::string* out) const {
    std::vector<sock_filter> program;
    for (size_t i = 0; i < code_.size(); ++i) {
      sock_filter insn = code_[i].insn;
      auto offset = [&](int label) -> long { return label == kNext ? 0 : labels_[label] - static_cast<long>(i) - 1; };
      long jt = offset(code_[i].jt), jf = offset(code_[i].jf);
      if (BPF_CLASS(insn.code) == BPF_JMP && BPF_OP(insn.code) == BPF_JA) {
        insn.k = static_cast<uint32_t>(jt);
      } else if (BPF_CLASS(insn.code) == BPF_JMP) {
        if (jt < 0 || jt > 255 || jf < 0 || jf > 255) return Status::error("seccomp: a jump out of range in the ENOSYS stub");
        insn.jt = static_cast<uint8_t>(jt);
        insn.jf = static_cast<uint8_t>(jf);
      }
      program.push_back(insn);
    }
    out->assign(reinterpret_cast<const char*>(program.data()), program.size() * sizeof(sock_filter));
    return Status::ok();
  }

 private:
  struct Pending {
    sock_filter insn;
    int jt, jf;
  };
  std::vector<Pending> code_;
  std::vector<int> labels_;
};

// x32's syscalls arrive as x86-64's, their numbers with this bit set.
constexpr uint32_t kX32SyscallBit = 0x40000000;

// What runs before libseccomp's program: a syscall numbered above the
// newest its architecture's filter knows returns ENOSYS, as runc's
// patched filter does, so that a newer binary falls back (glibc from
// clone3 to clone, from statx to fstatat); anything else goes on to the
// program, which also refuses unknown architectures. libseccomp 2.5 has
// no rule for a range of numbers, and a rule per number cannot cover
// them all.
Status enosys_stub(const std::vector<NewestSyscall>& newest, std::string* stub) {
  BpfAssembler a;
  const int enosys = a.label(), program = a.label();
  auto x32 = std::find_if(newest.begin(), newest.end(), [](const NewestSyscall& n) { return n.arch == SCMP_ARCH_X32; });
  a.load(offsetof(seccomp_data, arch));
  for (const NewestSyscall& n : newest) {
    if (n.arch == SCMP_ARCH_X32) continue;  // within x86-64's
    const int other_arch = a.label();
    a.jump_if(BPF_JEQ, n.arch, BpfAssembler::kNext, other_arch);
    a.load(offsetof(seccomp_data, nr));
    if (n.arch == SCMP_ARCH_X86_64) {
      // Without x32 in the filter, its calls are the program's to refuse.
      const int x32_call = x32 != newest.end() ? a.label() : program;
      a.jump_if(BPF_JGE, kX32SyscallBit, x32_call, BpfAssembler::kNext);
      a.jump_if(BPF_JGT, n.nr, enosys, program);
      if (x32 != newest.end()) {
        a.bind(x32_call);
        a.jump_if(BPF_JGT, x32->nr, enosys, program);
      }
    } else {
      a.jump_if(BPF_JGT, n.nr, enosys, program);
    }
    a.bind(other_arch);  // the architecture is still loaded
  }
  a.jump(program);
  a.bind(enosys);
  a.ret(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  a.bind(program);
  return a.assemble(stub);
}

// libseccomp's program, after `stub` (forward jumps only: prepending
// moves none of the program's own targets).
Status export_program(scmp_filter_ctx ctx, const std::vector<NewestSyscall>& newest, std::string* bpf) {
  std::string stub;
  if (!newest.empty())
    if (Status s = enosys_stub(newest, &stub); !s) return s;
  int fd = ::memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) return Status::from_errno("memfd for the seccomp program");
  int rc = seccomp_export_bpf(ctx, fd);
  Status s;
  if (rc != 0) s = Status::error(std::string("compiling the seccomp filter: ") + std::strerror(-rc));
  if (s && ::lseek(fd, 0, SEEK_SET) != 0) s = Status::from_errno("rewinding the seccomp program");
  *bpf = stub;
  char buf[8192];
  for (ssize_t n; s && (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) s = Status::from_errno("reading the seccomp program");
    else bpf->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (s && (bpf->size() == stub.size() || bpf->size() % sizeof(sock_filter) != 0)) s = Status::error("empty seccomp program");
  if (s && bpf->size() / sizeof(sock_filter) > BPF_MAXINSNS)
    s = Status::error("the seccomp program has " + std::to_string(bpf->size() / sizeof(sock_filter)) +
                      " instructions; the kernel takes at most " + std::to_string(BPF_MAXINSNS));
  return s;
}

// Part of the cache key: bump it with every change to what build_default
// makes of the same tables, or programs cached by an older stack are used.
// 4: i386 and x32 allowed, ENOSYS above the newest syscall of each.
constexpr int kDefaultProgramVersion = 4;

Status build_default(const std::vector<std::string>& capabilities, std::string* bpf) {
  Filter f(SCMP_ACT_ERRNO(EPERM));
  if (!f.ctx) return Status::error("seccomp_init failed");
  const std::vector<uint32_t> architectures = host_architectures();
  if (Status s = f.add_architectures(architectures); !s) return s;
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
  // Every name counts, whatever its action: a number above all of them is
  // a syscall this filter predates.
  std::vector<std::string> names(std::begin(kAllowed), std::end(kAllowed));
  names.insert(names.end(), std::begin(kSysAdmin), std::end(kSysAdmin));
  names.push_back("socket");
  return export_program(f.ctx, newest_syscalls(architectures, names), bpf);
}

}  // namespace

Status default_seccomp_program(const std::vector<std::string>& capabilities, const std::string& cache_dir,
                               std::string* bpf) {
  bool sys_admin = std::find(capabilities.begin(), capabilities.end(), "SYS_ADMIN") != capabilities.end();
  // The cache key covers every input: how the program is built, the
  // tables, the one capability that changes the program, and the
  // libseccomp that compiles it.
  const scmp_version* v = seccomp_version();
  char key[96];
  std::snprintf(key, sizeof key, "default-v%d-%016llx-sys_admin%d-libseccomp%u.%u.%u.bpf", kDefaultProgramVersion,
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

namespace {

// A libseccomp token from Docker's name of an architecture ("SCMP_ARCH_X86"); 0: unknown.
uint32_t architecture_token(std::string name) {
  const std::string prefix = "SCMP_ARCH_";
  if (name.rfind(prefix, 0) != 0) return 0;
  name = name.substr(prefix.size());
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return seccomp_arch_resolve_name(name.c_str());
}

// The architectures of a profile that this host runs, as Docker reads
// them: `architectures`, and the entry of `archMap` for the native one
// with its subArchitectures. Other hosts' are left out: their syscalls
// never come here.
Status profile_architectures(const nlohmann::json& profile, std::vector<uint32_t>* out) {
  const std::vector<uint32_t> runnable = host_architectures();
  out->assign(1, runnable.front());
  auto take = [&](const nlohmann::json& name) -> Status {
    uint32_t token = name.is_string() ? architecture_token(name.get<std::string>()) : 0;
    if (token == 0) return Status::error("seccomp profile: unknown architecture " + name.dump());
    if (std::find(runnable.begin(), runnable.end(), token) != runnable.end() &&
        std::find(out->begin(), out->end(), token) == out->end())
      out->push_back(token);
    return Status::ok();
  };
  for (const auto& name : profile.value("architectures", nlohmann::json::array()))
    if (Status s = take(name); !s) return s;
  for (const auto& entry : profile.value("archMap", nlohmann::json::array())) {
    if (!entry.is_object() || !entry.contains("architecture")) return Status::error("seccomp profile: an archMap entry without architecture");
    const nlohmann::json& arch = entry["architecture"];
    if (!arch.is_string() || architecture_token(arch.get<std::string>()) != runnable.front()) continue;
    if (Status s = take(arch); !s) return s;
    for (const auto& sub : entry.value("subArchitectures", nlohmann::json::array()))
      if (Status s = take(sub); !s) return s;
  }
  return Status::ok();
}

}  // namespace

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
  if (!f.ctx) return Status::error("seccomp_init failed");
  std::vector<uint32_t> architectures;
  if (Status s = profile_architectures(profile, &architectures); !s) return s;
  if (Status s = f.add_architectures(architectures); !s) return s;
  std::vector<std::string> names;
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
    for (const auto& name : rule.value("names", nlohmann::json::array())) {
      if (!name.is_string()) return Status::error("seccomp profile: a syscall name that is not a string: " + name.dump());
      names.push_back(name.get<std::string>());
      if (Status s = add(f.ctx, *action, names.back().c_str(), static_cast<unsigned>(args.size()),
                         args.empty() ? nullptr : args.data());
          !s)
        return s;
    }
  }
  // A profile that allows by default leaves unknown syscalls to the
  // kernel; one that refuses them says ENOSYS above what it knows, as the
  // default filter does.
  bool permissive = *default_action == SCMP_ACT_ALLOW || *default_action == SCMP_ACT_LOG;
  return export_program(f.ctx, permissive ? std::vector<NewestSyscall>{} : newest_syscalls(architectures, names), bpf);
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
