// ImageConfig: the OCI image configuration (Env, Cmd, Entrypoint, ...) and Dockerfile-style changes to it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/status.h"

namespace stack::runtime {

// The `config` object of an OCI image configuration, typed.
struct ImageConfig {
  std::vector<std::string> env;  // "KEY=VALUE"
  std::optional<std::vector<std::string>> cmd, entrypoint;
  std::string working_dir, user, stop_signal;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> volumes;        // VOLUME paths: anonymous volumes unless something else is mounted there
  std::map<std::string, std::string> labels;
  std::optional<nlohmann::json> healthcheck;  // Docker's Healthcheck object, as stored
  std::optional<std::vector<std::string>> shell;  // SHELL: what shell forms run with; unset: /bin/sh -c

  nlohmann::json to_json() const;
  static ImageConfig from_json(const nlohmann::json& config);
};

// Applies one `--change` instruction as `docker import --change` does:
// CMD, ENTRYPOINT (JSON array or shell form), ENV, WORKDIR, USER, EXPOSE,
// LABEL, STOPSIGNAL, VOLUME.
Status apply_change(ImageConfig& config, const std::string& instruction);

}  // namespace stack::runtime
