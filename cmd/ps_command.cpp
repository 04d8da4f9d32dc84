// `stack ps` and `stack port`: the project's containers, and where a service's port is published.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "cmd/commands.h"
#include "cmd/project_ref.h"
#include "compose/compose.h"
#include "compose/machine.h"
#include "compose/service_devices.h"
#include "ui/console_listener.h"

namespace stack::cmd {

using namespace stack::compose;

namespace {

struct PsFlags {
  bool all = false, services = false, quiet = false;
  std::string format = "table";
  std::vector<std::string> only;
};

// GPUs by index where the host's inventory gives one ("0,1"), else by id.
std::string gpu_list(const std::vector<std::string>& ids) {
  std::string text;
  for (const std::string& id : ids) {
    std::string shown = id;
    for (const devices::Gpu& gpu : DeviceInventory::host().gpus)
      if (gpu.id == id && gpu.index) shown = std::to_string(*gpu.index);
    text += (text.empty() ? "" : ",") + shown;
  }
  return text.empty() ? "-" : text;
}

int ps(const GlobalOptions& global, const PsFlags& f) {
  std::optional<ProjectRef> ref = find_project(global, false);
  if (!ref) return 1;
  ui::ConsoleListener listener(std::cout, false);
  compose::HostMachine machine;
  std::vector<ContainerSummary> containers;
  if (runtime::Status s = compose::Compose(machine, listener).ps(*ref, {f.all, f.only}, &containers); !s) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  nlohmann::json out = nlohmann::json::array();
  std::set<std::string> services;
  // A GPUS column only where some container holds GPUs.
  bool gpu_column = std::any_of(containers.begin(), containers.end(), [](const auto& c) { return !c.record.gpus.empty(); });
  // Table rows, printed once every column's width is known.
  std::vector<std::vector<std::string>> rows = {{"NAME", "IMAGE", "SERVICE", "STATUS"}};
  if (gpu_column) rows[0].push_back("GPUS");
  rows[0].push_back("PORTS");
  for (const auto& [r, st] : containers) {
    const std::string& service = r.labels.at(kServiceLabel);
    if (f.services) {
      if (services.insert(service).second) std::cout << service << "\n";
      continue;
    }
    if (f.quiet) {
      std::cout << r.id << "\n";
      continue;
    }
    std::string ports;
    for (const auto& p : r.ports) ports += (ports.empty() ? "" : ", ") + p;
    std::string status = st.text() + (st.restarts ? ", " + std::to_string(st.restarts) + " restarts" : "");
    if (f.format == "json") {
      out.push_back({{"ID", r.id}, {"Name", r.name}, {"Image", r.image}, {"Service", service},
                     {"Project", ref->name}, {"State", runtime::to_string(st.state)}, {"Health", st.health.value_or("")},
                     {"ExitCode", st.exit_code}, {"RestartCount", st.restarts}, {"Status", status},
                     {"Publishers", r.ports}, {"Gpus", r.gpus}, {"CreatedAt", r.created}});
      continue;
    }
    rows.push_back({r.name, r.image, service, status});
    if (gpu_column) rows.back().push_back(gpu_list(r.gpus));
    rows.back().push_back(ports);
  }
  if (f.format == "table" && !f.quiet && !f.services) {
    std::vector<size_t> widths(rows[0].size(), 0);
    for (const auto& row : rows)
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    for (const auto& row : rows) {
      std::string line;
      for (size_t i = 0; i + 1 < row.size(); ++i) line += row[i] + std::string(widths[i] - row[i].size() + 3, ' ');
      std::cout << line << row.back() << "\n";
    }
  }
  if (f.format == "json" && !f.quiet && !f.services) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace

void add_ps_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto f = std::make_shared<PsFlags>();
  CLI::App* ps_cmd = app.add_subcommand("ps", "List the project's containers");
  ps_cmd->add_flag("-a,--all", f->all, "Also stopped ones");
  ps_cmd->add_option("--format", f->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ps_cmd->add_flag("--services", f->services, "Only the services' names");
  ps_cmd->add_flag("-q,--quiet", f->quiet, "Only the containers' IDs");
  ps_cmd->add_option("services", f->only, "Only these services");
  ps_cmd->callback([f, &global, &exit_code] { exit_code = ps(global, *f); });

  struct PortFlags {
    std::string service, port;
    int index = 1;
  };
  auto pf = std::make_shared<PortFlags>();
  CLI::App* port = app.add_subcommand("port", "Print the host address a service's port is published on");
  port->add_option("--index", pf->index, "Which replica (default 1)");
  port->add_option("service", pf->service, "SERVICE")->required();
  port->add_option("port", pf->port, "PRIVATE_PORT[/PROTO]")->required();
  port->callback([pf, &global, &exit_code] {
    exit_code = 1;
    std::optional<ProjectRef> ref = find_project(global, false);
    if (!ref) return;
    std::string wanted = "->" + pf->port + (pf->port.find('/') == std::string::npos ? "/tcp" : "");
    for (const runtime::ContainerRecord& r : project_containers(ref->name)) {
      if (r.labels.at(kServiceLabel) != pf->service || r.labels.at(kNumberLabel) != std::to_string(pf->index)) continue;
      for (const std::string& p : r.ports)
        if (p.size() > wanted.size() && p.compare(p.size() - wanted.size(), wanted.size(), wanted) == 0) {
          std::cout << p.substr(0, p.find("->")) << "\n";
          exit_code = 0;
          return;
        }
    }
    std::cerr << "error: no port " << pf->port << " published for service " << pf->service << "\n";
  });
}

}  // namespace stack::cmd
