#include "runtime/container_store.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "runtime/linux/cgroups.h"
#include "runtime/linux/network_namespace.h"
#include "runtime/object_names.h"
#include "runtime/on_disk.h"
#include "runtime/signal_names.h"

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

nlohmann::json record_json(const ContainerRecord& r) {
  return {{"Id", r.id},           {"Name", r.name},         {"Image", r.image},
          {"ImageId", r.image_id}, {"Command", r.command},   {"Created", r.created},
          {"Finished", r.finished}, {"Status", std::string(to_string(r.state))},    {"Pid", r.pid},
          {"PidStartTime", r.pid_start_time}, {"Runner", r.runner}, {"RunnerStartTime", r.runner_start_time},
          {"ExitCode", r.exit_code}, {"OOMKilled", r.oom_killed}, {"AutoRemove", r.remove_on_exit},
          {"StopSignal", r.stop_signal}, {"StopTimeout", r.stop_timeout}, {"Detached", r.detached}, {"Tty", r.tty}, {"Networks", r.networks}, {"Ports", r.ports}, {"Gpus", r.gpus}, {"Labels", r.labels},
          {"RestartPolicy", r.restart.to_string()}, {"RestartCount", r.restart_count},
          {"Healthcheck", r.healthcheck ? r.healthcheck->to_json() : nlohmann::json()},
          {"LogConfig", {{"Type", r.log.driver}, {"MaxSize", r.log.max_size}, {"MaxFile", r.log.max_files}}}};
}

ContainerRecord record_from_json(const nlohmann::json& j) {
  ContainerRecord r;
  r.id = j.value("Id", "");
  r.name = j.value("Name", "");
  r.image = j.value("Image", "");
  r.image_id = j.value("ImageId", "");
  r.command = j.value("Command", std::vector<std::string>{});
  r.created = j.value("Created", "");
  r.finished = j.value("Finished", "");
  // A word no state has (a record from a newer stack?), or Dead, which is
  // never written, reads as Exited: shown as ended, removable, startable.
  std::optional<ContainerState> state = parse_container_state(j.value("Status", "created"));
  r.state = state && state != ContainerState::Dead ? *state : ContainerState::Exited;
  r.pid = j.value("Pid", 0);
  r.pid_start_time = j.value("PidStartTime", 0ull);
  r.runner = j.value("Runner", 0);
  r.runner_start_time = j.value("RunnerStartTime", 0ull);
  r.exit_code = j.value("ExitCode", 0);
  r.oom_killed = j.value("OOMKilled", false);
  r.remove_on_exit = j.value("AutoRemove", false);
  r.stop_signal = j.value("StopSignal", "SIGTERM");
  r.stop_timeout = j.value("StopTimeout", 10);
  r.detached = j.value("Detached", false);
  r.tty = j.value("Tty", false);
  r.networks = j.value("Networks", std::vector<std::string>{});
  r.ports = j.value("Ports", std::vector<std::string>{});
  r.gpus = j.value("Gpus", std::vector<std::string>{});
  r.labels = j.value("Labels", std::map<std::string, std::string>{});
  r.restart = RestartPolicy::parse(j.value("RestartPolicy", "no")).value_or(RestartPolicy{});
  r.restart_count = j.value("RestartCount", 0);
  if (auto h = j.find("Healthcheck"); h != j.end() && h->is_object()) r.healthcheck = HealthCheck::from_json(*h);
  if (auto l = j.find("LogConfig"); l != j.end() && l->is_object()) {
    r.log.driver = l->value("Type", r.log.driver);
    r.log.max_size = l->value("MaxSize", r.log.max_size);
    r.log.max_files = l->value("MaxFile", r.log.max_files);
  }
  return r;
}

}  // namespace

unsigned long long process_start_time(pid_t pid) {
  std::optional<std::string> stat = read_whole_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return 0;
  // Fields after the command name, which may hold spaces: state is field 3.
  // Split by hand: a stream here would set up its locale in every shim.
  size_t close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return 0;
  const char* field = stat->c_str() + close + 2;
  if (*field == 'Z' || *field == 'X') return 0;  // a zombie no longer runs anything
  for (int i = 3; i < 22; ++i) {
    field = std::strchr(field, ' ');
    if (!field) return 0;
    ++field;
  }
  return std::strtoull(field, nullptr, 10);
}

nlohmann::json ContainerRecord::to_json() const { return record_json(*this); }

ContainerRecord ContainerRecord::from_json(const nlohmann::json& j) { return record_from_json(j); }

bool ContainerRecord::running() const {
  return state == ContainerState::Running && pid > 0 && process_start_time(pid) == pid_start_time;
}

void ContainerRecord::move_to(ContainerState to) {
  if (transition_allowed(state, to)) {
    state = to;
    return;
  }
  spdlog::error("container {}: no move from {} to {}; left {}", name, to_string(state), to_string(to), to_string(state));
}

bool ContainerRecord::starting() const { return (state == ContainerState::Created || incomplete()) && runner_alive(); }

bool ContainerRecord::runner_alive() const { return runner > 0 && process_start_time(runner) == runner_start_time; }

namespace {

// Left behind: neither it nor its runner runs, and its end was not recorded.
bool stale(const ContainerRecord& r) {
  if (r.state == ContainerState::Exited || r.running() || r.starting()) return false;
  return !r.runner_alive();  // else: still cleaning up or waiting to restart
}

}  // namespace

std::vector<ContainerRecord> ContainerStore::reclaim_stale(const std::string& cgroup_root) {
  remove_leftovers();
  std::vector<ContainerRecord> reclaimed;
  std::vector<ContainerRecord> records;
  if (!list(&records)) return reclaimed;
  for (ContainerRecord& listed : records) {
    if (!stale(listed)) continue;
    // Again under the lock, from disk: a runner may have recorded the end,
    // or `rm` removed the container, since the list was read.
    FileLock lock;
    if (!FileLock::acquire(root_ + "/lock", &lock)) continue;
    ContainerRecord r;
    if (!find(listed.id, &r) || !stale(r)) continue;
    linux_::ContainerCgroup cgroup = linux_::ContainerCgroup::open_existing(cgroup_root, r.id);
    cgroup.kill_all();
    cgroup.remove();
    std::error_code ec;
    // One never completely created is no container to start again: its
    // network namespace may have joined some of its networks or none.
    // Removed, it is created anew by the next `up`.
    if (r.remove_on_exit || r.incomplete()) {
      linux_::remove_network_namespace(network_namespace_path(r.id));
      fs::remove_all(dir(r.id), ec);
      release_name(r);
    } else {
      r.move_to(ContainerState::Exited);
      r.exit_code = -1;
      save(r);
    }
    reclaimed.push_back(r);
  }
  return reclaimed;
}

Status signal_container(const ContainerRecord& record, int signal) {
  if (!record.running()) return Status::error("container " + record.name + " is not running");
  if (::kill(record.pid, signal) != 0) return Status::from_errno("signalling container " + record.name);
  return Status::ok();
}

void ContainerStore::wait_until_finished(const ContainerRecord& record, int timeout_ms) const {
  auto finished = [&] {
    if (!record.runner_alive()) return true;
    std::optional<std::string> text = read_whole_file(dir(record.id) + "/state.json");
    if (!text) return true;
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    return j.is_object() && j.value("Status", "") == to_string(ContainerState::Exited);
  };
  for (int waited = 0; waited < timeout_ms && !finished(); waited += 5)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// Whether `pid` will see `signal`: it has a handler (SigCgt in
// /proc/PID/status), blocks it to collect it from a signalfd (SigBlk), or
// is waiting for signals in sigtimedwait (tini), which unblocks the ones it
// waits for meanwhile. A container's init ignores the other signals, so
// sending one and waiting for it to exit would only wait out the grace period.
bool catches_signal(pid_t pid, int signal) {
  std::string proc = "/proc/" + std::to_string(pid);
  std::optional<std::string> syscall = read_whole_file(proc + "/syscall");
  if (syscall && std::atoi(syscall->c_str()) == SYS_rt_sigtimedwait) return true;
  std::optional<std::string> status = read_whole_file(proc + "/status");
  if (!status) return true;
  for (const char* field : {"\nSigCgt:", "\nSigBlk:"}) {
    size_t at = status->find(field);
    if (at == std::string::npos) return true;
    unsigned long long mask = std::strtoull(status->c_str() + at + 8, nullptr, 16);
    if ((mask >> (signal - 1)) & 1) return true;
  }
  return false;
}

Status ContainerStore::stop(const ContainerRecord& record, int timeout_s, const std::string& cgroup_root) const {
  stop_all({record}, timeout_s, cgroup_root);
  return Status::ok();
}

void ContainerStore::stop_all(const std::vector<ContainerRecord>& records, int timeout_s, const std::string& cgroup_root,
                              const std::function<bool()>& hurry) const {
  // Its pid namespace dies with its init, and its shim then kills whatever
  // else is left in its cgroup: no need to freeze the cgroup here, unless
  // there is no shim to do it.
  auto kill_now = [&cgroup_root](const ContainerRecord& r) {
    if (!r.runner_alive() || ::kill(r.pid, SIGKILL) != 0) linux_::ContainerCgroup::open_existing(cgroup_root, r.id).kill_all();
  };
  std::vector<const ContainerRecord*> waiting;
  for (const ContainerRecord& r : records) {
    if (!r.running() && !r.runner_alive()) continue;
    // First, so that a restart policy does not bring it back.
    write_file(stopped_marker_path(r.id), "", 0644);
    if (!r.running()) continue;
    int signal = signal_number(r.stop_signal).value_or(SIGTERM);
    if (timeout_s > 0 && catches_signal(r.pid, signal) && ::kill(r.pid, signal) == 0) {
      waiting.push_back(&r);
      continue;
    }
    if (timeout_s > 0)
      spdlog::debug("container {}: its init has no handler for {}: killing it at once", r.name, r.stop_signal);
    kill_now(r);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (!waiting.empty()) {
    std::erase_if(waiting, [](const ContainerRecord* r) { return !r->running(); });
    if (waiting.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline || (hurry && hurry())) {
      for (const ContainerRecord* r : waiting) {
        spdlog::debug("container {}: still running after {}: killing it", r->name, r->stop_signal);
        kill_now(*r);
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const ContainerRecord& r : records) wait_until_finished(r, 10000);
}

Status ContainerStore::kill(const ContainerRecord& record, int signal) const {
  if (record.running() &&
      (signal == SIGKILL || signal == SIGTERM || signal == SIGINT || signal == signal_number(record.stop_signal)))
    write_file(stopped_marker_path(record.id), "", 0644);
  return signal_container(record, signal);
}

std::optional<HealthState> ContainerStore::health(const ContainerRecord& record) const {
  if (!record.healthcheck) return std::nullopt;
  return read_health_state(health_path(record.id));
}

Status ContainerStore::create(ContainerRecord* record) {
  if (!valid_object_name(record->name))
    return Status::error("invalid container name \"" + record->name + "\" (letters, digits, '_', '.', '-')");
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return Status::error("creating " + root_ + ": " + ec.message());
  // Every container's files otherwise share one block group, where a
  // no-journal ext4 steps over the inodes freed in the last minutes one by
  // one on each create: up to a quarter of the CPU of a 50-service `up`
  // run after a few `down`s. Spread, that `up` takes 11% less CPU.
  mark_top_of_trees(root_);
  FileLock lock;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  // The names index (names/<name> -> ID) saves reading every record; made
  // from the records the first time, for containers made before it.
  if (!fs::is_directory(names_dir())) {
    std::vector<ContainerRecord> existing;
    if (Status s = list(&existing); !s) return s;
    fs::create_directories(names_dir() + ".new", ec);
    for (const ContainerRecord& c : existing) fs::create_symlink(c.id, names_dir() + ".new/" + c.name, ec);
    fs::rename(names_dir() + ".new", names_dir(), ec);
    if (ec) return Status::error("indexing container names in " + names_dir() + ": " + ec.message());
  }
  if (std::optional<std::string> holder = id_named(record->name)) {
    if (::access((dir(*holder) + "/state.json").c_str(), F_OK) == 0)
      return Status::error("the container name \"" + record->name + "\" is already in use by container " + holder->substr(0, 12));
    ::unlink(name_path(record->name).c_str());  // its container is gone (removed by its --rm runner)
  }
  record->created = timestamp_now();
  record->state = ContainerState::Creating;  // a new record: no move
  record->runner = ::getpid();
  record->runner_start_time = process_start_time(record->runner);
  // Its writable layer and log are its own: only root reads them.
  if (Status s = make_private_directory(dir(record->id), 0700); !s) return s;
  if (Status s = save(*record); !s) return s;
  if (::symlink(record->id.c_str(), name_path(record->name).c_str()) != 0)
    return Status::from_errno("naming container " + record->id.substr(0, 12) + " " + record->name);
  return Status::ok();
}

Status ContainerStore::complete(ContainerRecord* record) const {
  record->move_to(ContainerState::Created);
  // Not synced: after a host crash it reads as "creating" or "created",
  // and either way the kept network namespace is gone and made again.
  return save(*record, /*durable=*/false);
}

namespace {

// Whether the process that wrote the temporary file `path` may still be at
// it: its pid runs, and that process is not younger than the file (a pid
// used again since).
bool temporary_file_writer_alive(const std::string& path, pid_t writer) {
  unsigned long long started = process_start_time(writer);
  if (started == 0) return false;
  struct stat file {};
  if (::stat(path.c_str(), &file) != 0) return true;  // gone already: nothing to do
  timespec boot_now{}, real_now{};
  ::clock_gettime(CLOCK_BOOTTIME, &boot_now);
  ::clock_gettime(CLOCK_REALTIME, &real_now);
  auto seconds = [](const timespec& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9; };
  double process_age = seconds(boot_now) - static_cast<double>(started) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  double file_age = seconds(real_now) - seconds(file.st_mtim);
  // The slack covers the clock ticks of the start time and the clocks' drift.
  return process_age + 2 >= file_age;
}

bool is_container_id(const std::string& name) {
  return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

void ContainerStore::remove_leftovers() const {
  // Records are first written under this lock (create), so a directory
  // without one seen here is no create under way.
  FileLock lock;
  if (!FileLock::acquire(root_ + "/lock", &lock)) return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    std::string id = entry.path().filename().string();
    if (!is_container_id(id) || !entry.is_directory(ec)) continue;
    bool has_record = false, live_writer = false;
    for (const auto& file : fs::directory_iterator(entry.path(), ec)) {
      std::string name = file.path().filename().string();
      if (name == "state.json") has_record = true;
      std::optional<pid_t> writer = temporary_file_writer(name);
      if (!writer) continue;
      if (temporary_file_writer_alive(file.path().string(), *writer)) live_writer = true;
      else ::unlink(file.path().c_str());
    }
    if (has_record || live_writer) continue;
    linux_::remove_network_namespace(network_namespace_path(id));
    fs::remove_all(entry.path(), ec);
  }
}

std::string ContainerStore::names_dir() const { return root_ + "/names"; }

std::string ContainerStore::name_path(const std::string& name) const { return names_dir() + "/" + name; }

std::optional<std::string> ContainerStore::id_named(const std::string& name) const {
  if (!valid_object_name(name)) return std::nullopt;
  char target[128];
  ssize_t n = ::readlink(name_path(name).c_str(), target, sizeof target - 1);
  if (n <= 0) return std::nullopt;
  return std::string(target, static_cast<size_t>(n));
}

void ContainerStore::release_name(const ContainerRecord& record) const {
  if (id_named(record.name) == record.id) ::unlink(name_path(record.name).c_str());
}

Status ContainerStore::give_files(const std::vector<ContainerFile>& files, ContainerSpec* spec) const {
  std::string files_dir = dir(spec->id) + "/files";
  for (size_t i = 0; i < files.size(); ++i) {
    const ContainerFile& f = files[i];
    auto failed = [&](const Status& s) { return Status::error(f.destination + ": " + s.message()); };
    bool copied = f.source.empty() || f.uid || f.gid || f.mode;
    if (!copied) {
      if (::access(f.source.c_str(), R_OK) != 0) return failed(Status::from_errno("reading " + f.source));
      spec->mounts.push_back({f.destination, "bind", f.source, {"rbind", "ro", "nosuid", "nodev", "noexec"}});
      continue;
    }
    std::string content = f.content;
    if (!f.source.empty()) {
      std::optional<std::string> text = read_whole_file(f.source);
      if (!text) return failed(Status::from_errno("reading " + f.source));
      content = std::move(*text);
    }
    // Only root reaches the directory: the host's other users do not read
    // a secret through it, whatever its mode in the container.
    if (::mkdir(files_dir.c_str(), 0700) != 0 && errno != EEXIST) return failed(Status::from_errno("creating " + files_dir));
    std::string path = files_dir + "/" + std::to_string(i);
    mode_t mode = f.mode.value_or(0444);
    if (Status s = write_file(path, content, 0600); !s) return failed(s);
    if (::chown(path.c_str(), f.uid.value_or(0), f.gid.value_or(0)) != 0 || ::chmod(path.c_str(), mode) != 0)
      return failed(Status::from_errno("setting the owner and mode of " + path));
    // No set-uid file of the host's, whatever mode was asked.
    spec->mounts.push_back({f.destination, "bind", path, {"rbind", "ro", "nosuid", "nodev", "noexec"}});
  }
  return Status::ok();
}

Status ContainerStore::save_spec(const ContainerSpec& spec) const {
  return write_file(spec_path(spec.id), spec_to_json(spec).dump() + "\n", 0600);
}

Status ContainerStore::load_spec(const ContainerRecord& record, ContainerSpec* out) const {
  std::optional<std::string> text = read_whole_file(spec_path(record.id));
  nlohmann::json j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (!j.is_object()) return Status::error("container " + record.name + ": its spec.json is missing or damaged");
  *out = spec_from_json(j);
  return Status::ok();
}

void ContainerStore::discard(const ContainerRecord& record) {
  linux_::remove_network_namespace(network_namespace_path(record.id));
  std::error_code ec;
  fs::remove_all(dir(record.id), ec);
  release_name(record);
}

Status ContainerStore::save(const ContainerRecord& record, bool durable) const {
  if (::access(dir(record.id).c_str(), F_OK) != 0) return Status::error("container " + record.id.substr(0, 12) + " was removed");
  return write_file_atomically(dir(record.id) + "/state.json", record.to_json().dump(2) + "\n", 0644,
                               durable && !record.remove_on_exit);
}

namespace {

// The record in a container's directory; nullopt while it is being created or removed.
std::optional<ContainerRecord> read_record(const std::string& container_dir) {
  std::optional<std::string> text = read_whole_file(container_dir + "/state.json");
  nlohmann::json j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (!j.is_object()) return std::nullopt;
  return ContainerRecord::from_json(j);
}

}  // namespace

Status ContainerStore::list(std::vector<ContainerRecord>* out) const {
  out->clear();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    if (!entry.is_directory()) continue;
    if (std::optional<ContainerRecord> r = read_record(entry.path().string())) out->push_back(std::move(*r));
  }
  std::sort(out->begin(), out->end(), [](const auto& a, const auto& b) { return a.created > b.created; });
  return Status::ok();
}

Status ContainerStore::find(const std::string& name_or_id, ContainerRecord* out) const {
  if (std::optional<std::string> id = id_named(name_or_id))
    if (std::optional<ContainerRecord> r = read_record(dir(*id)); r && r->name == name_or_id) {
      *out = std::move(*r);
      return Status::ok();
    }
  std::vector<ContainerRecord> all;
  if (Status s = list(&all); !s) return s;
  std::vector<const ContainerRecord*> matches;
  for (const ContainerRecord& c : all) {
    if (c.name == name_or_id || c.id == name_or_id) {
      *out = c;
      return Status::ok();
    }
    if (name_or_id.size() >= 4 && c.id.rfind(name_or_id, 0) == 0) matches.push_back(&c);
  }
  if (matches.size() == 1) {
    *out = *matches[0];
    return Status::ok();
  }
  if (matches.size() > 1) return Status::error("container ID " + name_or_id + " is ambiguous");
  return Status::error("no such container: " + name_or_id);
}

Status ContainerStore::take_out(const std::string& name_or_id, bool force, ContainerRecord* removed) {
  if (Status s = find(name_or_id, removed); !s) return s;
  if (removed->starting())
    return Status::error("container " + removed->name + " is starting; remove it once it runs or has exited");
  bool restarting = removed->state == ContainerState::Restarting && removed->runner_alive();
  if (removed->running() || restarting) {
    if (!force)
      return Status::error("container " + removed->name + " is " + (restarting ? "restarting" : "running") +
                           ": stop it first, or use rm -f");
    // Its runner sees the exit and cleans up (cgroup; layer too with --rm):
    // wait for it rather than pull the directory from under it. The marker
    // keeps its restart policy from starting it again.
    write_file(stopped_marker_path(removed->id), "", 0644);
    if (removed->running()) ::kill(removed->pid, SIGKILL);
    wait_until_finished(*removed, 5000);
  }
  // Under the lock: reclaim_stale must not write a record back meanwhile.
  FileLock lock;
  if (Status s = FileLock::acquire(root_ + "/lock", &lock); !s) return s;
  if (Status s = linux_::remove_network_namespace(network_namespace_path(removed->id)); !s) return s;
  // Moved aside in one rename: from here on no command finds it, however
  // long deleting its files takes. A --rm runner may still be deleting
  // the same tree; whatever it has not deleted moves along.
  for (int attempt = 0;; ++attempt) {
    std::error_code ec;
    fs::create_directories(removed_dir(), ec);
    if (::rename(dir(removed->id).c_str(), (removed_dir() + "/" + removed->id).c_str()) == 0) break;
    if (errno == ENOENT && ::access(dir(removed->id).c_str(), F_OK) != 0) break;  // its --rm runner was quicker
    // ENOENT for .removed/: another command purged it meanwhile.
    if (errno != ENOENT || attempt == 5) return Status::from_errno("removing " + dir(removed->id));
  }
  release_name(*removed);
  return Status::ok();
}

Status ContainerStore::remove(const std::string& name_or_id, bool force, ContainerRecord* removed) {
  if (Status s = take_out(name_or_id, force, removed); !s) return s;
  purge_removed();
  return Status::ok();
}

std::string ContainerStore::removed_dir() const { return root_ + "/.removed"; }

void ContainerStore::purge_removed() const {
  // Entries vanishing under us (another command purging too) are fine.
  std::error_code ec;
  for (int i = 0; i < 200; ++i) {
    fs::remove_all(removed_dir(), ec);
    if (!ec || !fs::exists(removed_dir())) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace stack::runtime
