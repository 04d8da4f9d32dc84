#include "cmd/container_status.h"

namespace stack::cmd {

std::string ContainerStatus::text() const {
  if (state == "running") {
    if (!health) return "Up";
    return *health == "starting" ? "Up (health: starting)" : "Up (" + *health + ")";
  }
  if (state == "restarting") return "Restarting (" + std::to_string(exit_code) + ")";
  if (state == "exited") return "Exited (" + std::to_string(exit_code) + ")";
  if (state == "dead") return "Dead";
  return "Created";
}

ContainerStatus container_status(const runtime::ContainerStore& store, const runtime::ContainerRecord& r) {
  ContainerStatus s;
  s.exit_code = r.exit_code;
  s.restarts = r.restart_count;
  if (r.running()) {
    s.state = "running";
    if (auto h = store.health(r)) s.health = h->status;
  } else if (r.status == "restarting" && r.runner_alive()) {
    s.state = "restarting";
  } else if (r.status == "running" && r.runner_alive()) {
    s.state = "running";  // its init just ended: the shim is recording it
  } else if (r.status == "running" || r.status == "restarting") {
    s.state = "dead";  // its runner is gone; the next command reclaims it
  } else {
    s.state = r.incomplete() ? "created" : r.status;  // being created: shown as Docker shows it
  }
  return s;
}

}  // namespace stack::cmd
