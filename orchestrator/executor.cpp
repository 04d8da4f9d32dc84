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

// The same progress row for every replica of `desired`.
void show(ExecutorListener& listener, const DesiredService& desired, const std::string& status, bool done) {
  for (const std::string& c : desired.container_names) listener.step(container(c), status, done);
}

// The progress word once `condition` holds, or failed to.
const char* outcome(Condition condition, bool held) {
  if (!held) return "Error";
  return condition == Condition::Healthy ? "Healthy" : condition == Condition::Started ? "Running" : "Exited";
}

}  // namespace

runtime::Status Executor::up(const schema::Project& project, const std::vector<DesiredService>& wanted,
                             const std::vector<ExistingContainer>& existing, const PlanOptions& options) {
  desired_.clear();
  started_.clear();
  awaited_.clear();
  made_.clear();
  project_ = &project;
  for (const DesiredService& d : wanted)
    if (project.service(d.name)) desired_[d.name] = d;
  // In the graph's order, so that what is ready together is created in the same order every time.
  std::vector<std::string> pending;
  for (const GraphNode& node : DependencyGraph(project).start_order())
    if (node.kind == GraphNode::Kind::Service && desired_.count(node.name)) pending.push_back(node.name);
  while (!pending.empty()) {
    look_at_dependencies(project, pending);
    std::vector<std::string> ready;
    if (runtime::Status s = take_ready(project, &pending, &ready); !s) return s;
    if (ready.empty()) {  // until a container waited for changes
      runtime_.pause();
      continue;
    }
    if (runtime::Status s = bring_up(ready, existing, options); !s) return s;
  }
  return runtime::Status::ok();
}

bool Executor::brought_up(const std::string& service) const {
  return std::find(started_.begin(), started_.end(), service) != started_.end();
}

void Executor::look_at_dependencies(const schema::Project& project, const std::vector<std::string>& pending) {
  // Each at most once a round: dependents waiting on the same condition
  // share what is seen.
  std::set<Dependency> looked;
  for (const std::string& name : pending)
    for (const auto& [dependency, spec] : project.service(name)->depends_on) {
      Dependency key{dependency, spec.condition};
      if (!brought_up(dependency) || !looked.insert(key).second) continue;
      auto [it, first] = awaited_.try_emplace(key);
      Awaited& awaited = it->second;
      if (awaited.readiness == Readiness::Failed) continue;
      // Ready once is looked at again while something still waits on it,
      // as Compose checks each dependent's conditions when it starts it: a
      // dependency that exited since fails the dependents created after.
      Readiness before = awaited.readiness;
      if (before == Readiness::Ready) awaited.replicas_ready = 0;
      const DesiredService& d = desired_.at(dependency);
      bool shown = spec.condition != Condition::Started;
      if (first && shown) show(listener_, d, "Waiting", false);
      look_at(d, spec.condition, &awaited);
      if (awaited.readiness != Readiness::Waiting && awaited.readiness != before && shown)
        show(listener_, d, outcome(spec.condition, awaited.readiness == Readiness::Ready), true);
    }
}

Readiness Executor::dependencies_of(const schema::ServiceSpec& service, std::string* why) const {
  Readiness all = Readiness::Ready;
  for (const auto& [name, dep] : service.depends_on) {
    // Not brought up here (--no-deps, or a profile not enabled): nothing to wait for.
    if (!desired_.count(name)) continue;
    auto it = awaited_.find({name, dep.condition});
    if (it == awaited_.end() || it->second.readiness == Readiness::Waiting) {
      all = Readiness::Waiting;
    } else if (it->second.readiness == Readiness::Failed && dep.required) {
      *why = it->second.why;
      return Readiness::Failed;
    }
  }
  return all;
}

runtime::Status Executor::take_ready(const schema::Project& project, std::vector<std::string>* pending,
                                     std::vector<std::string>* ready) {
  std::vector<std::string> still_pending;
  for (const std::string& name : *pending) {
    const schema::ServiceSpec& service = *project.service(name);
    std::string why;
    Readiness readiness = dependencies_of(service, &why);
    if (readiness == Readiness::Failed) return runtime::Status::error("dependency failed to start: " + why);
    if (readiness == Readiness::Waiting) {
      still_pending.push_back(name);
      continue;
    }
    for (const auto& [dependency, dep] : service.depends_on)
      if (auto it = awaited_.find({dependency, dep.condition}); it != awaited_.end() && it->second.readiness == Readiness::Failed)
        listener_.warning("service " + name + ": optional dependency " + dependency + ": " + it->second.why);
    ready->push_back(name);
  }
  *pending = std::move(still_pending);
  return runtime::Status::ok();
}

runtime::Status Executor::bring_up(const std::vector<std::string>& services, const std::vector<ExistingContainer>& existing,
                                   const PlanOptions& options) {
  std::vector<CreateRequest> batch;
  for (const std::string& name : services)
    if (runtime::Status s = apply(desired_.at(name), existing, options, &batch); !s) return s;
  auto creating = Clock::now();
  for (const CreateRequest& r : batch) listener_.step(container(r.name), "Starting", false);
  std::vector<runtime::Status> results;
  if (!batch.empty())
    if (runtime::Status s = runtime_.create(batch, &results); !s) {
      for (const CreateRequest& r : batch) listener_.step(container(r.name), "Error", true);
      return s;
    }
  results.resize(batch.size(), runtime::Status::error("not created"));
  spdlog::debug("{}{} ready: {} container(s) created in {:.1f} ms", services.front(), services.size() > 1 ? ", ..." : "",
                batch.size(), ms_since(creating));
  std::string failures;
  for (size_t i = 0; i < batch.size(); ++i) {
    listener_.step(container(batch[i].name), results[i] ? "Started" : "Error", true);
    if (!results[i])
      failures += (failures.empty() ? "" : "; ") + ("service " + batch[i].service + ": container " + batch[i].name +
                                                   " did not start (" + results[i].message() + ")");
  }
  for (const CreateRequest& r : batch) made_.insert(r.service);
  if (!failures.empty()) return runtime::Status::error(failures);
  started_.insert(started_.end(), services.begin(), services.end());
  return runtime::Status::ok();
}

runtime::Status Executor::apply(const DesiredService& desired, const std::vector<ExistingContainer>& existing,
                                const PlanOptions& options, std::vector<CreateRequest>* batch) {
  using Action = ContainerStep::Action;
  // Sharing the network namespace of a service whose containers were just
  // made, its own are in one that went with the old ones: made again too,
  // as Compose does.
  PlanOptions plan = options;
  const schema::ServiceSpec* service = project_ ? project_->service(desired.name) : nullptr;
  if (service && service->network_mode.rfind("service:", 0) == 0 && made_.count(service->network_mode.substr(8)) &&
      !options.no_recreate)
    plan.force_recreate = true;
  for (const ContainerStep& step : plan_service(desired, existing, plan)) {
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

void Executor::look_at(const DesiredService& desired, Condition condition, Awaited* awaited) {
  const std::vector<std::string>& names = desired.container_names;
  for (; awaited->replicas_ready < names.size(); ++awaited->replicas_ready) {
    ObservedContainer c;
    if (runtime::Status s = runtime_.observe(names[awaited->replicas_ready], &c); !s) {
      awaited->readiness = Readiness::Failed;
      awaited->why = s.message();
      return;
    }
    Readiness ready = readiness(c, condition, &awaited->why);
    if (ready != Readiness::Ready) {
      awaited->readiness = ready;
      return;
    }
  }
  awaited->readiness = Readiness::Ready;
}

runtime::Status Executor::wait_for(const DesiredService& desired, Condition condition,
                                   std::optional<Clock::time_point> deadline) {
  for (Awaited awaited;;) {
    look_at(desired, condition, &awaited);
    if (awaited.readiness == Readiness::Ready) return runtime::Status::ok();
    if (awaited.readiness == Readiness::Failed) return runtime::Status::error(awaited.why);
    if (deadline && Clock::now() > *deadline)
      return runtime::Status::error("container " + desired.container_names[awaited.replicas_ready] + " is not ready in time");
    runtime_.pause();
  }
}

runtime::Status Executor::wait_until_ready(const schema::Project& project, const std::set<std::string>& one_shots,
                                           std::optional<Clock::time_point> deadline) {
  std::vector<Dependency> awaited;
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
    show(listener_, desired_.at(name), "Waiting", false);
  }
  for (const auto& [name, condition] : awaited) {
    const DesiredService& d = desired_.at(name);
    runtime::Status s = wait_for(d, condition, deadline);
    show(listener_, d, outcome(condition, bool(s)), true);
    if (!s) return runtime::Status::error("service " + name + ": " + s.message());
  }
  return runtime::Status::ok();
}

}  // namespace stack::orchestrator
