// ContainerStore: the records of single containers under STACK_ROOT/containers/<id>/state.json.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/container_spec.h"
#include "runtime/container_state.h"
#include "runtime/health_check.h"
#include "runtime/log_options.h"
#include "runtime/restart_policy.h"
#include "runtime/status.h"

namespace stack::runtime {

struct ContainerRecord {
  std::string id, name;
  std::string image, image_id;  // the reference used, and the image's config digest
  std::vector<std::string> command;
  std::string created, finished;  // RFC 3339
  // Only a complete record (not Creating) is a container a command may
  // start: one left Creating by a killed creator is removed. Changed by
  // move_to() only.
  ContainerState state = ContainerState::Created;
  pid_t pid = 0;
  unsigned long long pid_start_time = 0;  // /proc/PID/stat field 22: tells a reused pid apart
  pid_t runner = 0;                        // the `stack` process that runs it
  unsigned long long runner_start_time = 0;
  int exit_code = 0;
  bool oom_killed = false;
  bool remove_on_exit = false;  // --rm: the record need not survive a host crash
  std::string stop_signal = "SIGTERM";  // what `stop` sends first
  int stop_timeout = 10;                 // seconds `stop` waits before killing
  bool detached = false;                 // run by a shim, its output in the log
  bool tty = false;
  std::vector<std::string> networks;     // joined in order: eth0, eth1...
  std::vector<std::string> ports;        // published: "0.0.0.0:8080->80/tcp"
  std::vector<std::string> gpus;         // reserved for it: UUIDs (or CDI names), in the ledger too
  std::map<std::string, std::string> labels;  // a stack's project, service, number, config hash
  RestartPolicy restart;                 // applied by the shim
  int restart_count = 0;
  std::optional<HealthCheck> healthcheck;  // run by the shim
  LogConfig log;                         // how its runner keeps its output

  // As written to state.json.
  nlohmann::json to_json() const;
  // As read back; a Status word no state has reads as Exited.
  static ContainerRecord from_json(const nlohmann::json& j);

  // Running: its status says so and that very process still exists.
  bool running() const;
  // Created, or still being created, and its runner is still at it.
  bool starting() const;
  // Its creation never finished (networks joined, spec written): from
  // create() until ContainerStore::complete().
  bool incomplete() const { return state == ContainerState::Creating; }
  // Records `to` where transition_allowed() lets it; a move it refuses is
  // a bug of the caller, logged with both states, and leaves the state.
  void move_to(ContainerState to);
  // The process that runs it (a shim, or `run` in the foreground) exists:
  // it is starting, running, or waiting to restart.
  bool runner_alive() const;
};

class ContainerStore {
 public:
  explicit ContainerStore(std::string root) : root_(std::move(root)) {}

  // Claims the name (unique among containers) and writes the first record,
  // state Creating: until complete() no command starts it, and once its
  // creator is gone reclaim_stale() removes it.
  Status create(ContainerRecord* record);
  // Marks a created container complete: everything it needs to start is made.
  Status complete(ContainerRecord* record) const;
  // Durable (synced) unless the container is removed on exit, or the state
  // saved lasts only while the host is up anyway (running: after a reboot
  // the record reads as stale whichever state reached the disk).
  Status save(const ContainerRecord& record, bool durable = true) const;
  Status list(std::vector<ContainerRecord>* out) const;
  // By name, full ID or an ID prefix of at least 4 characters.
  Status find(const std::string& name_or_id, ContainerRecord* out) const;
  // Frees a removed container's name (its directory already gone).
  void release_name(const ContainerRecord& record) const;
  // Removes the record and its directory. A running container is refused
  // unless `force`, which kills it first.
  Status remove(const std::string& name_or_id, bool force, ContainerRecord* removed);
  // The first half of remove(): takes the container out of the store (no
  // command finds it any more; its name is free) by moving its directory
  // under .removed/, which purge_removed() then deletes, with whatever a
  // killed command left there. `down` deletes while networks go.
  Status take_out(const std::string& name_or_id, bool force, ContainerRecord* removed);
  void purge_removed() const;

  // Gives a created container its files: each content (or host file with
  // an owner or mode of its own) written under its directory, 0444 and
  // root's unless told, and every one mounted read-only at its destination
  // after the spec's other mounts. Errors name the destination.
  Status give_files(const std::vector<ContainerFile>& files, ContainerSpec* spec) const;
  // The spec it was created with (spec.json), which `exec` and `start` run by.
  Status save_spec(const ContainerSpec& spec) const;
  Status load_spec(const ContainerRecord& record, ContainerSpec* out) const;

  // Removes the record and directory of a container its creator gives up on
  // before starting it.
  void discard(const ContainerRecord& record);

  // Finishes what a `stack` killed mid-run left: for a record whose runner
  // and container are both gone, kills and removes its cgroup, then removes
  // it (--rm, or never completely created) or records it as exited with
  // code -1. Returns what it reclaimed, for the caller to undo what it set
  // up (networks, GPUs). First removes the leftovers of killed writers (see
  // remove_leftovers).
  std::vector<ContainerRecord> reclaim_stale(const std::string& cgroup_root);
  // Under the store's lock: deletes the temporary files (`*.tmp-PID-N`) of
  // writers that are gone, then every container directory with no record
  // (a create killed before its first record was in place).
  void remove_leftovers() const;

  // Stops a running container as `docker stop` does: its stop signal, up
  // to `timeout_s` seconds for it to exit, then SIGKILL to everything in its
  // cgroup. Returns once its runner recorded the end. A container that is
  // not running is left as it is, but one waiting to restart stays down.
  // Either way its restart policy no longer applies until `start`.
  Status stop(const ContainerRecord& record, int timeout_s, const std::string& cgroup_root) const;
  // Stops several at once: one grace period for all. An init with no
  // handler for its stop signal (it would ignore it, being PID 1) is killed
  // at once. `hurry` (a second Ctrl-C) cuts the grace period short.
  void stop_all(const std::vector<ContainerRecord>& records, int timeout_s, const std::string& cgroup_root,
                const std::function<bool()>& hurry = {}) const;

  // Sends `signal` to its init. A signal meant to end it (SIGKILL, SIGTERM,
  // SIGINT, its stop signal) is a stop asked for: its restart policy leaves
  // it down. Others (SIGHUP to reload...) are not.
  Status kill(const ContainerRecord& record, int signal) const;

  // Waits (up to `timeout_ms`) until the process that runs the container
  // has finished with it: cgroup removed, end recorded or record removed.
  void wait_until_finished(const ContainerRecord& record, int timeout_ms) const;

  std::string dir(const std::string& id) const { return root_ + "/" + id; }
  std::string log_path(const std::string& id) const { return dir(id) + "/log"; }
  std::string spec_path(const std::string& id) const { return dir(id) + "/spec.json"; }
  std::string health_path(const std::string& id) const { return dir(id) + "/health.json"; }
  // Present while a stop or kill asked for by a user holds: the restart
  // policy leaves the container stopped. `start` removes it.
  std::string stopped_marker_path(const std::string& id) const { return dir(id) + "/stopped-by-user"; }
  // Its health, when it has a healthcheck and its shim ran one.
  std::optional<HealthState> health(const ContainerRecord& record) const;
  // Its kept network namespace, when it joined networks (bind-mounted: it is
  // unmounted before the directory is removed).
  std::string network_namespace_path(const std::string& id) const { return dir(id) + "/netns"; }

 private:
  // names/<name>: a symlink to the ID of the container that has the name.
  std::string names_dir() const;
  std::string name_path(const std::string& name) const;
  std::optional<std::string> id_named(const std::string& name) const;
  std::string removed_dir() const;

  std::string root_;
};

// Sends `signal` to the container's init; an error when it is not running.
Status signal_container(const ContainerRecord& record, int signal);

// The start time of a process, from /proc/PID/stat; 0 when it does not
// exist or is a zombie.
unsigned long long process_start_time(pid_t pid);

}  // namespace stack::runtime
