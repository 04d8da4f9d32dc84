// Executor: brings a project's services up from a ready set over their dependencies, against a runtime a test can fake.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
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

// What the executor asks of the machine. compose/ implements it over its
// Machine (compose/up.cpp); the unit tests with a fake that records the calls.
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
  // replicas' names and config hash) match, as ninja's Plan hands out
  // edges: a service is planned against `existing` and created as soon as
  // what it depends on (only among the services brought up here) meets
  // its conditions, together with every other service ready at that
  // moment. A slow dependency holds back only its own dependents. Stops at
  // the first failure, naming it.
  runtime::Status up(const schema::Project& project, const std::vector<DesiredService>& wanted,
                     const std::vector<ExistingContainer>& existing, const PlanOptions& options);

  // After up(): waits until every service brought up is running, healthy
  // where it has a healthcheck, or (`one_shots`) has completed with 0.
  runtime::Status wait_until_ready(const schema::Project& project, const std::set<std::string>& one_shots,
                                   std::optional<std::chrono::steady_clock::time_point> deadline);

  // The services up() brought up, in the order it created them.
  const std::vector<std::string>& started() const { return started_; }

 private:
  using Condition = schema::DependsOnSpec::Condition;
  // A service brought up here and a condition a dependent puts on it.
  using Dependency = std::pair<std::string, Condition>;
  // How far a Dependency has been seen to hold. Replicas are looked at in
  // order, so one seen ready is not looked at again.
  struct Awaited {
    size_t replicas_ready = 0;
    Readiness readiness = Readiness::Waiting;
    std::string why;  // when it failed
  };

  // Looks once, without blocking, at the replicas `awaited` still waits for.
  void look_at(const DesiredService& desired, Condition condition, Awaited* awaited);
  // Looks once at every Dependency of a service in `pending` that has been created.
  void look_at_dependencies(const schema::Project& project, const std::vector<std::string>& pending);
  // Whether `service` can be created now; Failed (*why says why) when a required dependency failed.
  Readiness dependencies_of(const schema::ServiceSpec& service, std::string* why) const;
  // Takes out of `pending` the services that can be created now.
  runtime::Status take_ready(const schema::Project& project, std::vector<std::string>* pending,
                             std::vector<std::string>* ready);
  // Plans and creates `services` in one batch.
  runtime::Status bring_up(const std::vector<std::string>& services, const std::vector<ExistingContainer>& existing,
                           const PlanOptions& options);
  runtime::Status apply(const DesiredService& desired, const std::vector<ExistingContainer>& existing,
                        const PlanOptions& options, std::vector<CreateRequest>* batch);
  // Waits until `condition` holds for every replica of `desired`.
  runtime::Status wait_for(const DesiredService& desired, Condition condition,
                           std::optional<std::chrono::steady_clock::time_point> deadline);
  bool brought_up(const std::string& service) const;

  ServiceRuntime& runtime_;
  ExecutorListener& listener_;
  std::map<std::string, DesiredService> desired_;
  std::vector<std::string> started_;
  std::map<Dependency, Awaited> awaited_;  // once met or failed, a condition is not looked at again
  const schema::Project* project_ = nullptr;
  std::set<std::string> made_;  // services up() created or recreated containers of
};

}  // namespace stack::orchestrator
