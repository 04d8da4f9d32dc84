// DependencyGraph: services, volumes and networks of a project and what depends on what (Boost.Graph).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "schema/project.h"

namespace stack::orchestrator {

struct GraphNode {
  enum class Kind { Network, Volume, Service };
  Kind kind;
  std::string name;  // the key in the stack file
  bool operator==(const GraphNode&) const = default;
};

std::string to_string(const GraphNode& node);  // "service web", "volume data"

// A dependency cycle between services, first service repeated at the end:
// {a, b, c, a} for a -> b -> c -> a. `mark` is where the first edge is written.
struct DependencyCycle {
  std::vector<std::string> services;
  schema::Mark mark;
  std::string describe() const;  // "a -> b -> c -> a"
};

// A service depends on the networks and named volumes it uses and on its
// depends_on services. Edges point from the dependent to what it needs.
// Vertices are ordered by kind and name, so every order below is
// deterministic for one project.
class DependencyGraph {
 public:
  explicit DependencyGraph(const schema::Project& project);
  ~DependencyGraph();
  DependencyGraph(DependencyGraph&&) noexcept;
  DependencyGraph& operator=(DependencyGraph&&) noexcept;

  // The first cycle found, or nullopt when the graph is acyclic.
  std::optional<DependencyCycle> find_cycle() const;

  // Dependencies before dependents. Requires an acyclic graph.
  std::vector<GraphNode> start_order() const;
  // Dependents before dependencies: the order to stop and remove.
  std::vector<GraphNode> stop_order() const;
  // The named services and everything they need, transitively (for `up SERVICE`).
  std::vector<GraphNode> needed_by(const std::vector<std::string>& services) const;
  // The services that depend on `service`, transitively (for restarts).
  std::vector<std::string> dependents_of(const std::string& service) const;

  const std::vector<GraphNode>& nodes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stack::orchestrator
