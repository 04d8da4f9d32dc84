// Planner: what `up` does to a service's containers so that they match the stack file (desired against actual).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "schema/project.h"

namespace stack::orchestrator {

// A container of the project as the state on disk has it.
struct ExistingContainer {
  std::string name, service;
  int number = 0;
  std::string config_hash;
  bool one_off = false;
  bool running = false;  // running, or its shim is restarting it
};

// What the stack file asks of one service.
struct DesiredService {
  std::string name;
  int replicas = 1;
  std::string config_hash;
  std::vector<std::string> container_names;  // replica 1, 2, ...: one per replica
};

struct PlanOptions {
  bool force_recreate = false, no_recreate = false;
};

struct ContainerStep {
  enum class Action {
    Keep,      // running with the same config
    Start,     // stopped with the same config: started again, its writable layer kept
    Create,    // no such container yet
    Recreate,  // its config changed (or --force-recreate): removed, then created
    Remove,    // a replica above the scale
  };
  Action action;
  std::string name;
  int number = 0;
  bool operator==(const ContainerStep&) const = default;
};

std::string to_string(ContainerStep::Action action);

// The steps for one service, removals first, then replicas 1..N in order.
// `existing` may hold any of the project's containers: those of other
// services and one-offs are not looked at.
std::vector<ContainerStep> plan_service(const DesiredService& desired, const std::vector<ExistingContainer>& existing,
                                        const PlanOptions& options);

// Containers of services the stack file no longer has (one-offs are never orphans).
std::vector<std::string> find_orphans(const std::set<std::string>& services, const std::vector<ExistingContainer>& existing);

// How a container stands as `ps` sees it, for a depends_on condition.
struct ObservedContainer {
  std::string name, service;
  bool ended = false;  // exited or dead
  int exit_code = 0;
  bool has_healthcheck = false;
  std::optional<std::string> health;  // starting, healthy, unhealthy
};

enum class Readiness { Waiting, Ready, Failed };

// Whether `c` satisfies `condition`; when it never will, *why says so.
Readiness readiness(const ObservedContainer& c, schema::DependsOnSpec::Condition condition, std::string* why);

}  // namespace stack::orchestrator
