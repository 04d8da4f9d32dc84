#include "orchestrator/dependency_graph.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>
#include <map>

namespace stack::orchestrator {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

struct DependencyGraph::Impl {
  Graph graph;
  std::vector<GraphNode> nodes;
  std::map<std::pair<GraphNode::Kind, std::string>, Vertex> index;
  std::map<std::pair<Vertex, Vertex>, schema::Mark> edge_marks;  // depends_on edges

  std::optional<Vertex> find(GraphNode::Kind kind, const std::string& name) const {
    auto it = index.find({kind, name});
    if (it == index.end()) return std::nullopt;
    return it->second;
  }
};

std::string to_string(const GraphNode& node) {
  switch (node.kind) {
    case GraphNode::Kind::Network: return "network " + node.name;
    case GraphNode::Kind::Volume: return "volume " + node.name;
    case GraphNode::Kind::Service: return "service " + node.name;
  }
  return node.name;
}

std::string DependencyCycle::describe() const {
  std::string out;
  for (const std::string& s : services) out += (out.empty() ? "" : " -> ") + s;
  return out;
}

DependencyGraph::DependencyGraph(const schema::Project& project) : impl_(std::make_unique<Impl>()) {
  for (const auto& n : project.networks) impl_->nodes.push_back({GraphNode::Kind::Network, n.key});
  for (const auto& v : project.volumes) impl_->nodes.push_back({GraphNode::Kind::Volume, v.key});
  for (const auto& s : project.services) impl_->nodes.push_back({GraphNode::Kind::Service, s.name});
  std::sort(impl_->nodes.begin(), impl_->nodes.end(), [](const GraphNode& a, const GraphNode& b) {
    return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
  });
  impl_->graph = Graph(impl_->nodes.size());
  for (size_t i = 0; i < impl_->nodes.size(); ++i) impl_->index[{impl_->nodes[i].kind, impl_->nodes[i].name}] = i;
  for (const auto& s : project.services) {
    Vertex from = *impl_->find(GraphNode::Kind::Service, s.name);
    for (const auto& [dep, spec] : s.depends_on) {
      if (auto to = impl_->find(GraphNode::Kind::Service, dep)) {
        boost::add_edge(from, *to, impl_->graph);
        impl_->edge_marks[{from, *to}] = spec.mark;
      }
    }
    for (const auto& [net, attachment] : s.networks)
      if (auto to = impl_->find(GraphNode::Kind::Network, net)) boost::add_edge(from, *to, impl_->graph);
    for (const auto& m : s.mounts)
      if (m.type == schema::MountSpec::Type::Volume && !m.source.empty())
        if (auto to = impl_->find(GraphNode::Kind::Volume, m.source)) boost::add_edge(from, *to, impl_->graph);
  }
}

DependencyGraph::~DependencyGraph() = default;
DependencyGraph::DependencyGraph(DependencyGraph&&) noexcept = default;
DependencyGraph& DependencyGraph::operator=(DependencyGraph&&) noexcept = default;

const std::vector<GraphNode>& DependencyGraph::nodes() const { return impl_->nodes; }

namespace {

// Records the tree parent of every vertex and stops at the first back edge.
struct CycleFinder : boost::default_dfs_visitor {
  std::vector<Vertex>* parent;
  std::optional<std::pair<Vertex, Vertex>>* back;
  void tree_edge(boost::graph_traits<Graph>::edge_descriptor e, const Graph& g) {
    (*parent)[boost::target(e, g)] = boost::source(e, g);
  }
  void back_edge(boost::graph_traits<Graph>::edge_descriptor e, const Graph& g) {
    if (!*back) *back = std::make_pair(boost::source(e, g), boost::target(e, g));
  }
};

}  // namespace

std::optional<DependencyCycle> DependencyGraph::find_cycle() const {
  const Graph& g = impl_->graph;
  std::vector<Vertex> parent(boost::num_vertices(g));
  std::optional<std::pair<Vertex, Vertex>> back;
  CycleFinder finder;
  finder.parent = &parent;
  finder.back = &back;
  boost::depth_first_search(g, boost::visitor(finder));
  if (!back) return std::nullopt;
  // The back edge u -> v closes the tree path v -> ... -> u.
  auto [u, v] = *back;
  std::vector<Vertex> path{u};
  while (path.back() != v) path.push_back(parent[path.back()]);
  std::reverse(path.begin(), path.end());
  DependencyCycle cycle;
  for (Vertex x : path) cycle.services.push_back(impl_->nodes[x].name);
  cycle.services.push_back(impl_->nodes[v].name);
  auto mark = impl_->edge_marks.find({path[0], path.size() > 1 ? path[1] : v});
  if (mark != impl_->edge_marks.end()) cycle.mark = mark->second;
  return cycle;
}

std::vector<GraphNode> DependencyGraph::start_order() const {
  std::vector<Vertex> order;
  // Boost emits reverse topological order; with edges pointing at
  // dependencies that is dependencies first.
  boost::topological_sort(impl_->graph, std::back_inserter(order));
  std::vector<GraphNode> out;
  for (Vertex v : order) out.push_back(impl_->nodes[v]);
  return out;
}

std::vector<GraphNode> DependencyGraph::stop_order() const {
  std::vector<GraphNode> order = start_order();
  std::reverse(order.begin(), order.end());
  return order;
}

std::vector<GraphNode> DependencyGraph::needed_by(const std::vector<std::string>& services) const {
  std::vector<bool> needed(impl_->nodes.size(), false);
  std::vector<Vertex> stack;
  for (const std::string& s : services)
    if (auto v = impl_->find(GraphNode::Kind::Service, s)) stack.push_back(*v);
  while (!stack.empty()) {
    Vertex v = stack.back();
    stack.pop_back();
    if (needed[v]) continue;
    needed[v] = true;
    for (auto [it, end] = boost::out_edges(v, impl_->graph); it != end; ++it)
      stack.push_back(boost::target(*it, impl_->graph));
  }
  std::vector<Vertex> order;
  boost::topological_sort(impl_->graph, std::back_inserter(order));
  std::vector<GraphNode> out;
  for (Vertex v : order)
    if (needed[v]) out.push_back(impl_->nodes[v]);
  return out;
}

std::vector<std::string> DependencyGraph::dependents_of(const std::string& service) const {
  auto start = impl_->find(GraphNode::Kind::Service, service);
  if (!start) return {};
  std::vector<bool> seen(impl_->nodes.size(), false);
  std::vector<Vertex> stack{*start};
  std::vector<std::string> out;
  while (!stack.empty()) {
    Vertex v = stack.back();
    stack.pop_back();
    for (auto [it, end] = boost::in_edges(v, impl_->graph); it != end; ++it) {
      Vertex d = boost::source(*it, impl_->graph);
      if (seen[d]) continue;
      seen[d] = true;
      out.push_back(impl_->nodes[d].name);
      stack.push_back(d);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace stack::orchestrator
