#include "orchestrator/executor.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "orchestrator/dependency_graph.h"

namespace stack::orchestrator {
namespace {

using Condition = schema::DependsOnSpec::Condition;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string container(const std::string& name) { return "Container " + name; }

// The progress word once `condition` holds, or failed to.
const char* outcome(Condition condition, const runtime::Status& s) {
  if (!s) return "Error";
  return condition == Condition::Healthy ? "Healthy" : condition == Condition::Started ? "Running" : "Exited";
}

}  // namespace

runtime::Status Executor::up(const schema::Project& project, const std::vector<DesiredService>& wanted,
                             const std::vector<ExistingContainer>& existing, const PlanOptions& options) {
  desired_.clear();
  started_.clear();
  for (const DesiredService& d : wanted) desired_[d.name] = d;
  DependencyGraph graph(project);
  // A level's services depend only on earlier levels: once what they wait
  // for is ready, its containers are created together.
  for (const std::vector<GraphNode>& level : graph.start_levels()) {
    auto begin = Clock::now();
    std::vector<CreateRequest> batch;
    std::vector<std::string> level_services;
    for (const GraphNode& node : level) {
      if (node.kind != GraphNode::Kind::Service || !desired_.count(node.name)) continue;
      const schema::ServiceSpec* service = project.service(node.name);
      if (!service) continue;
      if (runtime::Status s = wait_for_dependencies(*service); !s) return s;
      level_services.push_back(node.name);
      if (runtime::Status s = apply(desired_.at(node.name), existing, options, &batch); !s) return s;
    }
    if (level_services.empty()) continue;
    auto creating = Clock::now();
    for (const CreateRequest& r : batch) listener_.step(container(r.name), "Starting", false);
    std::vector<runtime::Status> results;
    if (!batch.empty())
      if (runtime::Status s = runtime_.create(batch, &results); !s) {
        for (const CreateRequest& r : batch) listener_.step(container(r.name), "Error", true);
        return s;
      }
    results.resize(batch.size(), runtime::Status::error("not created"));
    spdlog::debug("level of {}{}: {} container(s) created in {:.1f} ms (dependencies waited for: {:.1f} ms)",
                  level_services.front(), level_services.size() > 1 ? ", ..." : "", batch.size(), ms_since(creating),
                  std::chrono::duration<double, std::milli>(creating - begin).count());
    std::string failures;
    for (size_t i = 0; i < batch.size(); ++i) {
      listener_.step(container(batch[i].name), results[i] ? "Started" : "Error", true);
      if (!results[i])
        failures += (failures.empty() ? "" : "; ") + ("service " + batch[i].service + ": container " + batch[i].name +
                                                     " did not start (" + results[i].message() + ")");
    }
    if (!failures.empty()) return runtime::Status::error(failures);
    started_.insert(started_.end(), level_services.begin(), level_services.end());
  }
  return runtime::Status::ok();
}

runtime::Status Executor::apply(const DesiredService& desired, const std::vector<ExistingContainer>& existing,
                                const PlanOptions& options, std::vector<CreateRequest>* batch) {
  using Action = ContainerStep::Action;
  for (const ContainerStep& step : plan_service(desired, existing, options)) {
    const std::string row = container(step.name);
    auto failed = [&](const std::string& what, const runtime::Status& s) {
      listener_.step(row, "Error", true);
      return runtime::Status::error("service " + desired.name + ": container " + step.name + " " + what + ": " + s.message());
    };
    switch (step.action) {
      case Action::Keep:
        listener_.step(row, "Running", true);
        break;
      case Action::Start:
        listener_.step(row, "Starting", false);
        if (runtime::Status s = runtime_.start(step.name); !s) return failed("did not start", s);
        listener_.step(row, "Started", true);
        break;
      case Action::Remove:
      case Action::Recreate: {
        bool recreate = step.action == Action::Recreate;
        listener_.step(row, recreate ? "Recreate" : "Removing", false);
        if (runtime::Status s = runtime_.remove(step.name); !s) return failed("could not be removed", s);
        listener_.step(row, recreate ? "Recreated" : "Removed", true);
        if (recreate) batch->push_back({desired.name, step.name, step.number, desired.config_hash});
        break;
      }
      case Action::Create:
        batch->push_back({desired.name, step.name, step.number, desired.config_hash});
        break;
    }
  }
  return runtime::Status::ok();
}

runtime::Status Executor::wait_for(const DesiredService& desired, Condition condition,
                                   std::optional<Clock::time_point> deadline) {
  for (const std::string& name : desired.container_names) {
    for (;;) {
      ObservedContainer c;
      if (runtime::Status s = runtime_.observe(name, &c); !s) return s;
      std::string why;
      Readiness ready = readiness(c, condition, &why);
      if (ready == Readiness::Ready) break;
      if (ready == Readiness::Failed) return runtime::Status::error(why);
      if (deadline && Clock::now() > *deadline) return runtime::Status::error("container " + name + " is not ready in time");
      runtime_.pause();
    }
  }
  return runtime::Status::ok();
}

runtime::Status Executor::wait_for_dependencies(const schema::ServiceSpec& service) {
  for (const auto& [name, dep] : service.depends_on) {
    // Not brought up here (--no-deps, or a profile not enabled): nothing to wait for.
    if (std::find(started_.begin(), started_.end(), name) == started_.end()) continue;
    const DesiredService& d = desired_.at(name);
    bool shown = dep.condition != Condition::Started;
    if (shown)
      for (const std::string& c : d.container_names) listener_.step(container(c), "Waiting", false);
    runtime::Status s = wait_for(d, dep.condition, std::nullopt);
    if (shown)
      for (const std::string& c : d.container_names) listener_.step(container(c), outcome(dep.condition, s), true);
    if (!s && !dep.required) {
      listener_.warning("service " + service.name + ": optional dependency " + name + ": " + s.message());
      continue;
    }
    if (!s) return runtime::Status::error("dependency failed to start: " + s.message());
  }
  return runtime::Status::ok();
}

runtime::Status Executor::wait_until_ready(const schema::Project& project, const std::set<std::string>& one_shots,
                                           std::optional<Clock::time_point> deadline) {
  std::vector<std::pair<std::string, Condition>> awaited;
  for (const std::string& name : started_) {
    const schema::ServiceSpec* service = project.service(name);
    Condition condition = one_shots.count(name) ? Condition::CompletedSuccessfully
                          : service && service->healthcheck && !service->healthcheck->disabled ? Condition::Healthy
                                                                                               : Condition::Started;
    // The image's HEALTHCHECK counts as the file's does.
    ObservedContainer first;
    const std::vector<std::string>& names = desired_.at(name).container_names;
    if (condition == Condition::Started && !names.empty() && runtime_.observe(names.front(), &first) && first.has_healthcheck)
      condition = Condition::Healthy;
    awaited.emplace_back(name, condition);
    for (const std::string& c : desired_.at(name).container_names) listener_.step(container(c), "Waiting", false);
  }
  for (const auto& [name, condition] : awaited) {
    const DesiredService& d = desired_.at(name);
    runtime::Status s = wait_for(d, condition, deadline);
    for (const std::string& c : d.container_names) listener_.step(container(c), outcome(condition, s), true);
    if (!s) return runtime::Status::error("service " + name + ": " + s.message());
  }
  return runtime::Status::ok();
}

}  // namespace stack::orchestrator
