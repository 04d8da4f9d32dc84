// `stack ps` and `stack port`: the project's containers, and where a service's port is published.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "cmd/project_containers.h"

namespace stack::cmd {

void add_ps_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto all = std::make_shared<bool>(false);
  CLI::App* ps = app.add_subcommand("ps", "List the project's containers");
  ps->add_flag("-a,--all", *all, "Also stopped ones");
  ps->callback([all, &global, &exit_code] {
    std::optional<ProjectRef> ref = find_project(global, false);
    if (!ref) {
      exit_code = 1;
      return;
    }
    std::printf("%-28s %-16s %-14s %-18s %s\n", "NAME", "IMAGE", "SERVICE", "STATUS", "PORTS");
    for (const runtime::ContainerRecord& r : project_containers(ref->name)) {
      bool running = r.running();
      if (!*all && !running) continue;
      std::string status = running ? "running" : "exited (" + std::to_string(r.exit_code) + ")";
      std::string ports;
      for (const auto& p : r.ports) ports += (ports.empty() ? "" : ", ") + p;
      std::printf("%-28s %-16s %-14s %-18s %s\n", r.name.c_str(), r.image.c_str(), r.labels.at(kServiceLabel).c_str(),
                  status.c_str(), ports.c_str());
    }
    exit_code = 0;
  });

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
