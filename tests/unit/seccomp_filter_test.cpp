// The compiled seccomp programs, run on syscalls of every ABI an x86-64
// host has (x86-64, i386 through int $0x80, x32), including the ABIs a
// test host's kernel may not run: what the kernel would answer each one.
#include "runtime/linux/seccomp_filter.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace stack::runtime::linux_ {
namespace {

// Runs a classic BPF program on one syscall as the kernel's seccomp does.
uint32_t run_program(const std::string& bpf, uint32_t arch, uint32_t nr, uint64_t arg0 = 0) {
  seccomp_data data{};
  data.nr = static_cast<int>(nr);
  data.arch = arch;
  data.args[0] = arg0;
  const auto* code = reinterpret_cast<const sock_filter*>(bpf.data());
  const size_t length = bpf.size() / sizeof(sock_filter);
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < length; ++pc) {
    const sock_filter& i = code[pc];
    const uint32_t operand = BPF_SRC(i.code) == BPF_X ? x : i.k;
    switch (BPF_CLASS(i.code)) {
      case BPF_LD:
        if (BPF_MODE(i.code) == BPF_ABS && BPF_SIZE(i.code) == BPF_W && i.k % 4 == 0 && i.k + 4 <= sizeof data)
          std::memcpy(&a, reinterpret_cast<const char*>(&data) + i.k, 4);
        else if (BPF_MODE(i.code) == BPF_MEM && i.k < BPF_MEMWORDS) a = mem[i.k];
        else if (BPF_MODE(i.code) == BPF_IMM) a = i.k;
        else return ADD_FAILURE() << "load " << i.code << " at " << pc, 0;
        break;
      case BPF_LDX:
        if (BPF_MODE(i.code) == BPF_MEM && i.k < BPF_MEMWORDS) x = mem[i.k];
        else if (BPF_MODE(i.code) == BPF_IMM) x = i.k;
        else return ADD_FAILURE() << "loadx " << i.code << " at " << pc, 0;
        break;
      case BPF_ST: mem[i.k % BPF_MEMWORDS] = a; break;
      case BPF_STX: mem[i.k % BPF_MEMWORDS] = x; break;
      case BPF_ALU:
        switch (BPF_OP(i.code)) {
          case BPF_AND: a &= operand; break;
          case BPF_OR: a |= operand; break;
          case BPF_ADD: a += operand; break;
          case BPF_SUB: a -= operand; break;
          case BPF_LSH: a <<= operand; break;
          case BPF_RSH: a >>= operand; break;
          default: return ADD_FAILURE() << "alu " << i.code << " at " << pc, 0;
        }
        break;
      case BPF_JMP: {
        bool taken;
        switch (BPF_OP(i.code)) {
          case BPF_JA: pc += i.k; continue;
          case BPF_JEQ: taken = a == operand; break;
          case BPF_JGT: taken = a > operand; break;
          case BPF_JGE: taken = a >= operand; break;
          case BPF_JSET: taken = (a & operand) != 0; break;
          default: return ADD_FAILURE() << "jump " << i.code << " at " << pc, 0;
        }
        pc += taken ? i.jt : i.jf;
        break;
      }
      case BPF_RET: return BPF_RVAL(i.code) == BPF_A ? a : i.k;
      case BPF_MISC:
        if (BPF_MISCOP(i.code) == BPF_TAX) x = a;
        else a = x;
        break;
      default: return ADD_FAILURE() << "instruction " << i.code << " at " << pc, 0;
    }
  }
  ADD_FAILURE() << "the program ran off its end";
  return 0;
}

std::string answer(uint32_t action) {
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return "allow";
    case SECCOMP_RET_ERRNO:
      if ((action & SECCOMP_RET_DATA) == EPERM) return "EPERM";
      if ((action & SECCOMP_RET_DATA) == ENOSYS) return "ENOSYS";
      return "errno " + std::to_string(action & SECCOMP_RET_DATA);
    case SECCOMP_RET_KILL_THREAD:
    case SECCOMP_RET_KILL_PROCESS: return "kill";
    default: return "action " + std::to_string(action);
  }
}

constexpr uint32_t kX32 = 0x40000000;

class DefaultProgram : public testing::Test {
 protected:
  void SetUp() override {
    if (seccomp_arch_native() != SCMP_ARCH_X86_64) GTEST_SKIP() << "these numbers are x86-64's, i386's and x32's";
    ASSERT_TRUE(default_seccomp_program({"CHOWN", "KILL"}, "", &bpf_));
  }
  std::string on(uint32_t arch, uint32_t nr, uint64_t arg0 = 0) { return answer(run_program(bpf_, arch, nr, arg0)); }
  std::string bpf_;
};

TEST_F(DefaultProgram, X86_64AllowsOrdinarySyscallsRefusesDangerousOnesAndSaysEnosysAboveWhatItKnows) {
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 39), "allow");    // getpid
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 165), "EPERM");   // mount
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 169), "EPERM");   // reboot
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 246), "EPERM");   // kexec_load
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 435), "ENOSYS");  // clone3, so that libc falls back to clone
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 56, 0), "allow");  // clone, fork-style
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 56, CLONE_NEWUSER), "EPERM");
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 41, AF_ALG), "EPERM");  // socket
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 41, AF_INET), "allow");
  // The newest the tables name that this libseccomp knows, then past it.
  int newest = seccomp_syscall_resolve_name("futex_requeue");
  if (newest > 0) {
    EXPECT_EQ(on(AUDIT_ARCH_X86_64, static_cast<uint32_t>(newest)), "allow");
  }
  for (uint32_t nr : {457u, 517u, 600u, 1000u, 2000u, 0x3fffffffu}) EXPECT_EQ(on(AUDIT_ARCH_X86_64, nr), "ENOSYS") << nr;
}

TEST_F(DefaultProgram, I386IsAllowedWithTheSameRefusals) {
  EXPECT_EQ(on(AUDIT_ARCH_I386, 20), "allow");    // getpid
  EXPECT_EQ(on(AUDIT_ARCH_I386, 192), "allow");   // mmap2
  EXPECT_EQ(on(AUDIT_ARCH_I386, 4), "allow");     // write
  EXPECT_EQ(on(AUDIT_ARCH_I386, 21), "EPERM");    // mount
  EXPECT_EQ(on(AUDIT_ARCH_I386, 52), "EPERM");    // umount2
  EXPECT_EQ(on(AUDIT_ARCH_I386, 88), "EPERM");    // reboot
  EXPECT_EQ(on(AUDIT_ARCH_I386, 128), "EPERM");   // init_module
  EXPECT_EQ(on(AUDIT_ARCH_I386, 283), "EPERM");   // kexec_load
  EXPECT_EQ(on(AUDIT_ARCH_I386, 310), "EPERM");   // unshare
  EXPECT_EQ(on(AUDIT_ARCH_I386, 357), "EPERM");   // bpf
  EXPECT_EQ(on(AUDIT_ARCH_I386, 288), "EPERM");   // keyctl
  EXPECT_EQ(on(AUDIT_ARCH_I386, 120, 0), "allow");  // clone
  EXPECT_EQ(on(AUDIT_ARCH_I386, 120, CLONE_NEWNS), "EPERM");
  EXPECT_EQ(on(AUDIT_ARCH_I386, 359, AF_VSOCK), "EPERM");  // socket
  EXPECT_EQ(on(AUDIT_ARCH_I386, 435), "ENOSYS");  // clone3
  for (uint32_t nr : {457u, 1000u, 2000u}) EXPECT_EQ(on(AUDIT_ARCH_I386, nr), "ENOSYS") << nr;
}

TEST_F(DefaultProgram, X32IsAllowedWithTheSameRefusals) {
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, kX32 | 39), "allow");    // getpid
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, kX32 | 512), "allow");   // x32's rt_sigaction
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, kX32 | 165), "EPERM");   // mount
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, kX32 | 169), "EPERM");   // reboot
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, kX32 | 13), "EPERM");    // x86-64's rt_sigaction, not x32's
  for (uint32_t nr : {600u, 1000u, 2000u}) EXPECT_EQ(on(AUDIT_ARCH_X86_64, kX32 | nr), "ENOSYS") << nr;
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 0xffffffffu), "ENOSYS");  // -1, as the kernel answers it
}

TEST_F(DefaultProgram, OtherArchitecturesAreKilled) {
  EXPECT_EQ(on(AUDIT_ARCH_AARCH64, 172), "kill");
  EXPECT_EQ(on(AUDIT_ARCH_AARCH64, 2000), "kill");
}

TEST_F(DefaultProgram, WithSysAdminTheNamespaceAndMountSyscallsAreAllowedOnEveryAbi) {
  ASSERT_TRUE(default_seccomp_program({"SYS_ADMIN"}, "", &bpf_));
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, 165), "allow");
  EXPECT_EQ(on(AUDIT_ARCH_I386, 21), "allow");
  EXPECT_EQ(on(AUDIT_ARCH_X86_64, kX32 | 165), "allow");
  EXPECT_EQ(on(AUDIT_ARCH_I386, 88), "EPERM");  // reboot needs more than SYS_ADMIN
  EXPECT_EQ(on(AUDIT_ARCH_I386, 1000), "ENOSYS");
}

TEST(ProfileProgram, CoversTheArchitecturesItNamesAndSaysEnosysAboveItsNewestSyscall) {
  if (seccomp_arch_native() != SCMP_ARCH_X86_64) GTEST_SKIP() << "these numbers are x86-64's and i386's";
  std::string bpf;
  // archMap as Docker's profile has it: only the native entry counts.
  ASSERT_TRUE(profile_seccomp_program(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                  {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
      "syscalls": [{"names": ["getpid", "write", "exit_group", "openat"], "action": "SCMP_ACT_ALLOW"}]})", &bpf));
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_X86_64, 39)), "allow");
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_X86_64, 165)), "EPERM");     // mount: below openat (257)
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_X86_64, 258)), "ENOSYS");    // above it
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_I386, 20)), "allow");
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_I386, 21)), "EPERM");
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_I386, 296)), "ENOSYS");      // above i386's openat (295)
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_X86_64, kX32 | 39)), "kill");  // x32 not named
  // Without architectures: the native one only.
  ASSERT_TRUE(profile_seccomp_program(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]})", &bpf));
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_I386, 20)), "kill");
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_X86_64, 1000)), "ENOSYS");
  // Allowing by default: unknown syscalls are the kernel's to answer.
  ASSERT_TRUE(profile_seccomp_program(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]})", &bpf));
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_X86_64, 1000)), "allow");
  EXPECT_EQ(answer(run_program(bpf, AUDIT_ARCH_X86_64, 165)), "EPERM");
  Status bad = profile_seccomp_program(R"({"architectures": ["SCMP_ARCH_VAX"], "syscalls": []})", &bpf);
  EXPECT_FALSE(bad);
  EXPECT_NE(bad.message().find("unknown architecture \"SCMP_ARCH_VAX\""), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace stack::runtime::linux_
