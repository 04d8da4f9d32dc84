// `stack gpus`: the host's GPUs (from its CDI specs) and which container holds each.
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cmd/commands.h"
#include "compose/service_devices.h"

namespace stack::cmd {

using namespace stack::compose;
void add_gpus_command(CLI::App& app, int& exit_code) {
  auto format = std::make_shared<std::string>("table");
  CLI::App* sub = app.add_subcommand("gpus", "List the host's GPUs and the containers that hold them");
  sub->add_option("--format", *format, "Output format")->check(CLI::IsMember({"table", "json"}));
  sub->callback([format, &exit_code] {
    const DeviceInventory& inventory = DeviceInventory::host();
    const std::vector<devices::Gpu>& gpus = inventory.gpus;
    devices::GpuLedger ledger(gpu_ledger_dir());
    std::vector<devices::GpuHold> holds = ledger.holds(container_exists());
    auto holder_of = [&](const devices::Gpu& gpu) -> const devices::GpuHold* {
      for (const auto& h : holds)
        if (h.gpu == gpu.id) return &h;
      return nullptr;
    };
    if (*format == "json") {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& gpu : gpus) {
        nlohmann::json g = {{"id", gpu.id}, {"uuid", gpu.uuid}, {"cdi_names", gpu.cdi_names}};
        g["index"] = gpu.index ? nlohmann::json(*gpu.index) : nlohmann::json();
        const devices::GpuHold* h = holder_of(gpu);
        g["held_by"] = h ? nlohmann::json{{"container", h->holder.container}, {"project", h->holder.project},
                                          {"service", h->holder.service}}
                         : nlohmann::json();
        list.push_back(g);
      }
      std::cout << list.dump(2) << "\n";
      exit_code = 0;
      return;
    }
    if (gpus.empty()) {
      std::cout << "No GPUs: none declared by a CDI spec in " << inventory.searched << ".\n";
      exit_code = 0;
      return;
    }
    std::cout << std::left << std::setw(6) << "GPU" << std::setw(44) << "UUID" << "HELD BY\n";
    for (const auto& gpu : gpus) {
      const devices::GpuHold* h = holder_of(gpu);
      std::cout << std::setw(6) << (gpu.index ? std::to_string(*gpu.index) : "-") << std::setw(44)
                << (gpu.uuid.empty() ? gpu.id : gpu.uuid)
                << (h ? h->holder.container + " (service " + h->holder.service + ")" : "-") << "\n";
    }
    exit_code = 0;
  });
}

}  // namespace stack::cmd
