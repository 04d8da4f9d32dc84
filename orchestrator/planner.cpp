#include "orchestrator/planner.h"

#include <algorithm>

namespace stack::orchestrator {

std::string to_string(ContainerStep::Action action) {
  switch (action) {
    case ContainerStep::Action::Keep: return "keep";
    case ContainerStep::Action::Start: return "start";
    case ContainerStep::Action::Create: return "create";
    case ContainerStep::Action::Recreate: return "recreate";
    case ContainerStep::Action::Remove: return "remove";
  }
  return "?";
}

std::vector<ContainerStep> plan_service(const DesiredService& desired, const std::vector<ExistingContainer>& existing,
                                        const PlanOptions& options) {
  std::vector<ContainerStep> steps;
  std::vector<const ExistingContainer*> mine;
  for (const ExistingContainer& c : existing)
    if (c.service == desired.name && !c.one_off) mine.push_back(&c);
  // Scaled down: the highest numbers go, before anything else is touched.
  std::sort(mine.begin(), mine.end(), [](auto* a, auto* b) { return a->number > b->number; });
  for (const ExistingContainer* c : mine)
    if (c->number > desired.replicas) steps.push_back({ContainerStep::Action::Remove, c->name, c->number});
  for (int number = 1; number <= desired.replicas; ++number) {
    const std::string& name = desired.container_names.at(static_cast<size_t>(number - 1));
    auto found = std::find_if(mine.begin(), mine.end(), [&](auto* c) { return c->name == name; });
    if (found == mine.end()) {
      steps.push_back({ContainerStep::Action::Create, name, number});
      continue;
    }
    const ExistingContainer& c = **found;
    bool same = options.no_recreate || (!options.force_recreate && c.config_hash == desired.config_hash);
    ContainerStep::Action action = !same ? ContainerStep::Action::Recreate
                                   : c.running ? ContainerStep::Action::Keep
                                               : ContainerStep::Action::Start;
    steps.push_back({action, name, number});
  }
  return steps;
}

std::vector<std::string> find_orphans(const std::set<std::string>& services, const std::vector<ExistingContainer>& existing) {
  std::vector<std::string> out;
  for (const ExistingContainer& c : existing)
    if (!c.one_off && !services.count(c.service)) out.push_back(c.name);
  return out;
}

Readiness readiness(const ObservedContainer& c, schema::DependsOnSpec::Condition condition, std::string* why) {
  using Condition = schema::DependsOnSpec::Condition;
  if (condition == Condition::CompletedSuccessfully) {
    if (!c.ended) return Readiness::Waiting;
    if (c.exit_code == 0) return Readiness::Ready;
    *why = "service \"" + c.service + "\" didn't complete successfully: exit " + std::to_string(c.exit_code);
    return Readiness::Failed;
  }
  if (c.ended) {
    *why = "container " + c.name + " exited (" + std::to_string(c.exit_code) + ")";
    return Readiness::Failed;
  }
  if (condition == Condition::Started) return Readiness::Ready;
  if (!c.has_healthcheck) {
    *why = "container " + c.name + " has no healthcheck configured";
    return Readiness::Failed;
  }
  if (c.health == "healthy") return Readiness::Ready;
  if (c.health == "unhealthy") {
    *why = "container " + c.name + " is unhealthy";
    return Readiness::Failed;
  }
  return Readiness::Waiting;  // starting, or restarting
}

}  // namespace stack::orchestrator
