#include "compose/container_status.h"

namespace stack::compose {

using runtime::ContainerState;

std::string ContainerStatus::text() const {
  switch (state) {
    case ContainerState::Running:
      if (!health) return "Up";
      return *health == "starting" ? "Up (health: starting)" : "Up (" + *health + ")";
    case ContainerState::Restarting:
      return "Restarting (" + std::to_string(exit_code) + ")";
    case ContainerState::Exited:
      return "Exited (" + std::to_string(exit_code) + ")";
    case ContainerState::Dead:
      return "Dead";
    case ContainerState::Creating:
    case ContainerState::Created:
      break;
  }
  return "Created";
}

ContainerStatus container_status(const runtime::ContainerStore& store, const runtime::ContainerRecord& r) {
  ContainerStatus s;
  s.exit_code = r.exit_code;
  s.restarts = r.restart_count;
  bool recorded_up = r.state == ContainerState::Running || r.state == ContainerState::Restarting;
  if (r.running()) {
    s.state = ContainerState::Running;
    if (auto h = store.health(r)) s.health = h->status;
  } else if (recorded_up && r.runner_alive()) {
    // Restarting: waiting out its back-off. Running: its init just ended
    // and the shim is recording that.
    s.state = r.state;
  } else if (recorded_up) {
    s.state = ContainerState::Dead;  // its runner is gone; the next command reclaims it
  } else {
    s.state = r.incomplete() ? ContainerState::Created : r.state;  // being created: shown as Docker shows it
  }
  return s;
}

}  // namespace stack::compose
