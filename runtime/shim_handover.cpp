#include "runtime/shim_handover.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

namespace stack::runtime {
namespace {

nlohmann::json resume_json(const ShimResume& r) {
  return {{"id", r.id},           {"terminal", r.terminal},       {"back_off_ms", r.back_off_ms},
          {"began_ns", r.began_ns}, {"wait_status", r.wait_status}, {"ports", r.ports}};
}

ShimResume resume_from(const nlohmann::json& j) {
  ShimResume r;
  r.id = j.at("id").get<std::string>();
  r.terminal = j.at("terminal").get<bool>();
  r.back_off_ms = j.at("back_off_ms").get<int64_t>();
  r.began_ns = j.at("began_ns").get<int64_t>();
  r.wait_status = j.at("wait_status").get<int>();
  r.ports = j.at("ports").get<std::string>();
  return r;
}

}  // namespace

std::string to_text(const ShimResume& r) { return resume_json(r).dump(); }

Status parse_shim_resume(const std::string& text, ShimResume* out) {
  try {
    *out = resume_from(nlohmann::json::parse(text));
    return Status::ok();
  } catch (const nlohmann::json::exception& e) {
    return Status::error(std::string("the shim's resume state: ") + e.what());
  }
}

std::string to_text(const SupervisorHandover& h) {
  nlohmann::json j = {{"log_path", h.log_path},
                      {"log_max_size", h.log_max_size},
                      {"log_max_files", h.log_max_files},
                      {"out_fd", h.out_fd},
                      {"err_fd", h.err_fd},
                      {"pid", h.pid},
                      {"health", h.health ? h.health->to_json() : nlohmann::json()},
                      {"health_state_path", h.health_state_path},
                      {"spec_path", h.spec_path},
                      {"cgroup_root", h.cgroup_root},
                      {"health_bpf_fd", h.health_bpf_fd},
                      {"stack_binary", h.stack_binary},
                      {"dns", h.dns},
                      {"resume", resume_json(h.resume)}};
  return j.dump();
}

Status parse_supervisor_handover(const std::string& text, SupervisorHandover* out) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    SupervisorHandover h;
    h.log_path = j.at("log_path").get<std::string>();
    h.log_max_size = j.at("log_max_size").get<std::int64_t>();
    h.log_max_files = j.at("log_max_files").get<int>();
    h.out_fd = j.at("out_fd").get<int>();
    h.err_fd = j.at("err_fd").get<int>();
    h.pid = j.at("pid").get<pid_t>();
    if (!j.at("health").is_null()) h.health = HealthCheck::from_json(j.at("health"));
    h.health_state_path = j.at("health_state_path").get<std::string>();
    h.spec_path = j.at("spec_path").get<std::string>();
    h.cgroup_root = j.at("cgroup_root").get<std::string>();
    h.health_bpf_fd = j.at("health_bpf_fd").get<int>();
    h.stack_binary = j.at("stack_binary").get<std::string>();
    h.dns = j.value("dns", std::string());
    h.resume = resume_from(j.at("resume"));
    *out = std::move(h);
    return Status::ok();
  } catch (const nlohmann::json::exception& e) {
    return Status::error(std::string("the shim's handover: ") + e.what());
  }
}

int handover_fd(const std::string& text) {
  int fd = ::memfd_create("stack-shim-handover", 0);
  if (fd < 0) return -1;
  for (size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

std::optional<std::string> read_handover(const std::string& argument) {
  if (argument.rfind("fd:", 0) != 0 || argument.size() == 3 ||
      argument.find_first_not_of("0123456789", 3) != std::string::npos)
    return std::nullopt;
  return read_handed_fd(std::stoi(argument.substr(3)));
}

std::string read_handed_fd(int fd) {
  std::string text;
  char buf[4096];
  for (off_t at = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
  }
  ::close(fd);
  return text;
}

}  // namespace stack::runtime
