// `stack config`: prints the normalized project, or parts of it.
#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "schema/serialize.h"

namespace stack::cmd {
namespace {

struct ConfigOptions {
  std::string format = "yaml";
  bool services = false, volumes = false, networks = false, profiles = false, images = false, quiet = false;
  bool no_interpolate = false;
  std::vector<std::string> hash;
  std::vector<std::string> selected;
};

int run_config(const GlobalOptions& global, const ConfigOptions& o) {
  auto project = load_project(global, o.selected, !o.no_interpolate);
  if (!project) return 1;
  if (o.quiet) return 0;
  const schema::Node& tree = project->tree;
  const schema::Node* services = tree.find("services");
  auto keys = [](const schema::Node* n) {
    std::vector<std::string> out;
    if (n)
      for (const auto& e : n->entries()) out.push_back(e.key);
    std::sort(out.begin(), out.end());
    return out;
  };
  if (o.services) {
    for (const auto& k : keys(services)) std::cout << k << "\n";
    return 0;
  }
  if (o.volumes) {
    for (const auto& k : keys(tree.find("volumes"))) std::cout << k << "\n";
    return 0;
  }
  if (o.networks) {
    for (const auto& k : keys(tree.find("networks"))) std::cout << k << "\n";
    return 0;
  }
  if (o.profiles) {
    for (const auto& p : project->all_profiles) std::cout << p << "\n";
    return 0;
  }
  if (o.images) {
    for (const auto& k : keys(services)) {
      const schema::Node* image = services->find(k)->find("image");
      std::cout << (image ? image->text() : project->name + "-" + k) << "\n";
    }
    return 0;
  }
  if (!o.hash.empty()) {
    std::vector<std::string> names = o.hash;
    if (names.size() == 1 && names[0] == "*") names = keys(services);
    for (const auto& name : names) {
      const schema::Node* service = services ? services->find(name) : nullptr;
      if (!service) {
        std::cerr << "error: no such service: " << name << "\n";
        return 1;
      }
      std::cout << name << " " << schema::service_config_hash(*service) << "\n";
    }
    return 0;
  }
  std::cout << (o.format == "json" ? schema::to_json(tree) : schema::to_yaml(tree));
  return 0;
}

}  // namespace

void add_config_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto o = std::make_shared<ConfigOptions>();
  CLI::App* sub = app.add_subcommand("config", "Validate the stack files and print the normalized project");
  sub->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"yaml", "json"}));
  sub->add_flag("--services", o->services, "Print the service names, one per line");
  sub->add_flag("--volumes", o->volumes, "Print the volume names, one per line");
  sub->add_flag("--networks", o->networks, "Print the network names, one per line");
  sub->add_flag("--profiles", o->profiles, "Print the profile names, one per line");
  sub->add_flag("--images", o->images, "Print the image names, one per line");
  sub->add_flag("-q,--quiet", o->quiet, "Only validate; print nothing");
  sub->add_option("--hash", o->hash, "Print the config hash of SERVICE (\"*\" for all)")->delimiter(',');
  sub->add_flag("--no-interpolate", o->no_interpolate, "Do not substitute ${VARIABLES}");
  sub->add_option("services", o->selected, "Services to enable (their profiles are enabled too)");
  sub->callback([&global, &exit_code, o] { exit_code = run_config(global, *o); });
}

}  // namespace stack::cmd
