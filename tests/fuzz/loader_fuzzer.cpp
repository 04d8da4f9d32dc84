// libFuzzer target: any bytes as a stack file through the whole loader, the
// typed model, the dependency graph and both serializers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "orchestrator/dependency_graph.h"
#include "schema/loader.h"
#include "schema/project.h"
#include "schema/serialize.h"

namespace {

// Every file but standard input is missing: include/extends/env_file paths
// take their "not found" branches.
class NoFiles : public stack::schema::StackFileSource {
 public:
  std::optional<std::string> read(const std::string&) override { return std::nullopt; }
  bool exists(const std::string&) override { return false; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stack::schema::LoadOptions options;
  options.files = {"-"};
  options.stdin_text.assign(reinterpret_cast<const char*>(data), size);
  options.working_dir = "/fuzz";
  options.environment = {{"SET", "value"}, {"EMPTY", ""}, {"N", "3"}};
  options.profiles = {"debug"};
  NoFiles files;
  stack::schema::LoadedProject project = stack::schema::load_project(options, files);
  for (const auto& d : project.diags.all()) (void)d.format();
  if (!project.ok()) return 0;
  stack::schema::Project typed = stack::schema::build_project(project.tree, project.project_dir);
  stack::orchestrator::DependencyGraph graph(typed);
  if (!graph.find_cycle()) {
    (void)graph.start_order();
    (void)graph.stop_order();
  }
  (void)stack::schema::to_yaml(project.tree);
  (void)stack::schema::to_json(project.tree);
  return 0;
}
