// ContainerStatus: what `ps` and `container ls` say of a container: state, health, restarts, in words.
#pragma once

#include <optional>
#include <string>

#include "runtime/container_store.h"

namespace stack::compose {

struct ContainerStatus {
  runtime::ContainerState state = runtime::ContainerState::Created;  // as shown: never Creating
  std::optional<std::string> health;  // starting, healthy, unhealthy: with a healthcheck, while it runs
  int exit_code = 0;
  int restarts = 0;

  // Running, or waiting to restart: what `ps` lists without --all.
  bool up() const { return state == runtime::ContainerState::Running || state == runtime::ContainerState::Restarting; }
  // Exited or dead: it will not run again unless started.
  bool ended() const { return state == runtime::ContainerState::Exited || state == runtime::ContainerState::Dead; }

  // "Up", "Up (healthy)", "Up (health: starting)", "Restarting (3)",
  // "Exited (0)", "Created", "Dead": as `docker ps` words it.
  std::string text() const;
};

ContainerStatus container_status(const runtime::ContainerStore& store, const runtime::ContainerRecord& record);

}  // namespace stack::compose
