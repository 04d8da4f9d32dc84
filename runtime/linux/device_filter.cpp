#include "runtime/linux/device_filter.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace stack::runtime::linux_ {
namespace {

bpf_insn instruction(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i {};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

// The context's fields (struct bpf_cgroup_dev_ctx): access_type, major, minor.
bpf_insn load_ctx_u32(uint8_t dst, int16_t offset) { return instruction(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, offset, 0); }
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) { return instruction(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return instruction(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn jump_if_not(uint8_t reg, int32_t imm) { return instruction(BPF_JMP | BPF_JNE | BPF_K, reg, 0, 0, imm); }
void append_return(std::vector<bpf_insn>* out, int32_t value) {
  out->push_back(instruction(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, value));
  out->push_back(instruction(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

int access_bits(const std::string& access) {
  int bits = 0;
  for (char c : access) bits |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
  return bits;
}

constexpr int kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

std::vector<bpf_insn> compile(const std::vector<DeviceRule>& rules) {
  // r2 = device type, r3 = access asked, r4 = major, r5 = minor.
  std::vector<bpf_insn> p = {load_ctx_u32(BPF_REG_2, 0), alu32_imm(BPF_AND, BPF_REG_2, 0xffff),
                             load_ctx_u32(BPF_REG_3, 0), alu32_imm(BPF_RSH, BPF_REG_3, 16),
                             load_ctx_u32(BPF_REG_4, 4), load_ctx_u32(BPF_REG_5, 8)};
  for (const DeviceRule& rule : rules) {
    // Each test jumps past the rest of this rule's block when it fails.
    std::vector<bpf_insn> block;
    std::vector<size_t> jumps;
    if (rule.type != 'a') {
      jumps.push_back(block.size());
      block.push_back(jump_if_not(BPF_REG_2, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    }
    if (int bits = access_bits(rule.access); bits != kAllAccess) {
      block.push_back(mov32_reg(BPF_REG_1, BPF_REG_3));
      block.push_back(alu32_imm(BPF_AND, BPF_REG_1, ~bits & kAllAccess));
      jumps.push_back(block.size());
      block.push_back(jump_if_not(BPF_REG_1, 0));
    }
    if (rule.major >= 0) {
      jumps.push_back(block.size());
      block.push_back(jump_if_not(BPF_REG_4, static_cast<int32_t>(rule.major)));
    }
    if (rule.minor >= 0) {
      jumps.push_back(block.size());
      block.push_back(jump_if_not(BPF_REG_5, static_cast<int32_t>(rule.minor)));
    }
    append_return(&block, 1);
    for (size_t at : jumps) block[at].off = static_cast<int16_t>(block.size() - at - 1);
    p.insert(p.end(), block.begin(), block.end());
  }
  append_return(&p, 0);
  return p;
}

long bpf(int command, bpf_attr* attr) { return ::syscall(__NR_bpf, command, attr, sizeof(*attr)); }

}  // namespace

Status attach_device_filter(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> program = compile(rules);
  // Loaded quietly; the verifier's log (which must fit its buffer, or the
  // load fails) only to explain a refusal.
  static thread_local char log[65536];
  auto load = [&](bool with_log) {
    bpf_attr attr {};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = reinterpret_cast<uint64_t>(program.data());
    attr.insn_cnt = static_cast<uint32_t>(program.size());
    attr.license = reinterpret_cast<uint64_t>("Apache");
    if (with_log) {
      log[0] = '\0';
      attr.log_buf = reinterpret_cast<uint64_t>(log);
      attr.log_size = sizeof(log);
      attr.log_level = 1;
    }
    return static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
  };
  int prog = load(false);
  if (prog < 0) {
    Status s = Status::from_errno("loading the device cgroup program for " + cgroup_dir);
    if (load(true) < 0 && log[0]) return Status::error(s.message() + ": " + log);
    return s;
  }
  int dir = ::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    Status s = Status::from_errno("opening " + cgroup_dir);
    ::close(prog);
    return s;
  }
  bpf_attr attach {};
  attach.target_fd = static_cast<uint32_t>(dir);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog);
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  Status result = bpf(BPF_PROG_ATTACH, &attach) == 0 ? Status::ok()
                                                     : Status::from_errno("attaching the device cgroup program to " + cgroup_dir);
  ::close(dir);
  ::close(prog);
  return result;
}

}  // namespace stack::runtime::linux_
