// Executor: brings a project's services up over its dependency graph, level by level, against a runtime a test can fake.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "orchestrator/planner.h"
#include "runtime/status.h"
#include "schema/project.h"

namespace stack::orchestrator {

// A container to make: replica `number` of `service`.
struct CreateRequest {
  std::string service, name;
  int number = 0;
  std::string config_hash;
};

// What the executor asks of the machine. cmd/ implements it with the real
// runtime; the unit tests with a fake that records the calls.
class ServiceRuntime {
 public:
  virtual ~ServiceRuntime() = default;
  // Stops and removes a container of the project.
  virtual runtime::Status remove(const std::string& name) = 0;
  // Starts a stopped container again, its writable layer kept.
  virtual runtime::Status start(const std::string& name) = 0;
  // Creates and starts every request, as many at once as it can, a status
  // for each in *results. An error returned instead means none was
  // created: one of them could not even be described.
  virtual runtime::Status create(const std::vector<CreateRequest>& batch, std::vector<runtime::Status>* results) = 0;
  // How a container stands now; an error when there is no such container.
  virtual runtime::Status observe(const std::string& name, ObservedContainer* out) = 0;
  // Lets time pass before the next look at a container being waited for.
  virtual void pause() = 0;
};

// Told what happens, as it happens: progress rows and warnings.
class ExecutorListener {
 public:
  virtual ~ExecutorListener() = default;
  // "Container p-web-1" is now in `status` ("Starting", "Healthy", ...); `done` ends the step.
  virtual void step(const std::string& container, const std::string& status, bool done) = 0;
  virtual void warning(const std::string& message) = 0;
};

class Executor {
 public:
  Executor(ServiceRuntime& runtime, ExecutorListener& listener) : runtime_(runtime), listener_(listener) {}

  // Makes `wanted` (a subset of the project's services, each with its
  // replicas' names and config hash) match, level by level of the graph:
  // what a service depends on is waited for as its conditions say (only
  // among the services brought up here), then the level's containers are
  // planned against `existing` and created together. Stops at the first
  // failure, naming it.
  runtime::Status up(const schema::Project& project, const std::vector<DesiredService>& wanted,
                     const std::vector<ExistingContainer>& existing, const PlanOptions& options);

  // After up(): waits until every service brought up is running, healthy
  // where it has a healthcheck, or (`one_shots`) has completed with 0.
  runtime::Status wait_until_ready(const schema::Project& project, const std::set<std::string>& one_shots,
                                   std::optional<std::chrono::steady_clock::time_point> deadline);

  // The services up() went through, in the order it did.
  const std::vector<std::string>& started() const { return started_; }

 private:
  // Waits until `condition` holds for every replica of `desired`.
  runtime::Status wait_for(const DesiredService& desired, schema::DependsOnSpec::Condition condition,
                           std::optional<std::chrono::steady_clock::time_point> deadline);
  runtime::Status wait_for_dependencies(const schema::ServiceSpec& service);
  runtime::Status apply(const DesiredService& desired, const std::vector<ExistingContainer>& existing,
                        const PlanOptions& options, std::vector<CreateRequest>* batch);

  ServiceRuntime& runtime_;
  ExecutorListener& listener_;
  std::map<std::string, DesiredService> desired_;
  std::vector<std::string> started_;
};

}  // namespace stack::orchestrator
