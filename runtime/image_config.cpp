#include "runtime/image_config.h"

#include <algorithm>
#include <cctype>

namespace stack::runtime {
namespace {

std::string trim(std::string s) {
  size_t a = s.find_first_not_of(" \t");
  size_t b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// `["a", "b"]` is the exec form; anything else is the shell form.
std::vector<std::string> command_form(const std::string& args) {
  if (!args.empty() && args.front() == '[') {
    nlohmann::json parsed = nlohmann::json::parse(args, nullptr, false);
    if (parsed.is_array() && std::all_of(parsed.begin(), parsed.end(), [](const auto& v) { return v.is_string(); }))
      return parsed.get<std::vector<std::string>>();
  }
  return {"/bin/sh", "-c", args};
}

void set_env(ImageConfig& config, const std::string& key, const std::string& value) {
  std::string entry = key + "=" + value;
  for (std::string& e : config.env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = entry;
      return;
    }
  }
  config.env.push_back(entry);
}

}  // namespace

nlohmann::json ImageConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (!env.empty()) j["Env"] = env;
  if (cmd) j["Cmd"] = *cmd;
  if (entrypoint) j["Entrypoint"] = *entrypoint;
  if (!working_dir.empty()) j["WorkingDir"] = working_dir;
  if (!user.empty()) j["User"] = user;
  if (!stop_signal.empty()) j["StopSignal"] = stop_signal;
  if (!exposed_ports.empty()) {
    j["ExposedPorts"] = nlohmann::json::object();
    for (const auto& p : exposed_ports) j["ExposedPorts"][p] = nlohmann::json::object();
  }
  if (!volumes.empty()) {
    j["Volumes"] = nlohmann::json::object();
    for (const auto& v : volumes) j["Volumes"][v] = nlohmann::json::object();
  }
  if (!labels.empty()) j["Labels"] = labels;
  if (healthcheck) j["Healthcheck"] = *healthcheck;
  if (shell) j["Shell"] = *shell;
  return j;
}

ImageConfig ImageConfig::from_json(const nlohmann::json& j) {
  ImageConfig c;
  if (!j.is_object()) return c;
  auto strings = [&](const char* key) -> std::optional<std::vector<std::string>> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : *it)
      if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
  };
  auto text = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  c.env = strings("Env").value_or(std::vector<std::string>{});
  c.cmd = strings("Cmd");
  c.entrypoint = strings("Entrypoint");
  c.shell = strings("Shell");
  c.working_dir = text("WorkingDir");
  c.user = text("User");
  c.stop_signal = text("StopSignal");
  if (auto it = j.find("ExposedPorts"); it != j.end() && it->is_object())
    for (const auto& [port, _] : it->items()) c.exposed_ports.push_back(port);
  if (auto it = j.find("Volumes"); it != j.end() && it->is_object())
    for (const auto& [path, _] : it->items()) c.volumes.push_back(path);
  if (auto it = j.find("Labels"); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items())
      if (v.is_string()) c.labels[k] = v.get<std::string>();
  if (auto it = j.find("Healthcheck"); it != j.end() && it->is_object()) c.healthcheck = *it;
  return c;
}

Status apply_change(ImageConfig& config, const std::string& instruction) {
  std::string text = trim(instruction);
  size_t space = text.find_first_of(" \t");
  std::string verb = text.substr(0, space);
  std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::toupper(c); });
  std::string args = space == std::string::npos ? "" : trim(text.substr(space));
  if (args.empty()) return Status::error("change \"" + instruction + "\": " + verb + " needs an argument");
  if (verb == "CMD") {
    config.cmd = command_form(args);
  } else if (verb == "ENTRYPOINT") {
    config.entrypoint = command_form(args);
  } else if (verb == "ENV") {
    // ENV A=b C=d, or the old ENV A b.
    if (args.find('=') == std::string::npos || args.find('=') > args.find_first_of(" \t")) {
      size_t sep = args.find_first_of(" \t");
      if (sep == std::string::npos) return Status::error("change \"" + instruction + "\": ENV needs KEY=VALUE");
      set_env(config, args.substr(0, sep), trim(args.substr(sep)));
    } else {
      size_t pos = 0;
      while (pos < args.size()) {
        size_t end = args.find_first_of(" \t", pos);
        std::string pair = args.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        size_t eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
          return Status::error("change \"" + instruction + "\": expected KEY=VALUE, got \"" + pair + "\"");
        std::string value = pair.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        set_env(config, pair.substr(0, eq), value);
        if (end == std::string::npos) break;
        pos = args.find_first_not_of(" \t", end);
      }
    }
  } else if (verb == "WORKDIR") {
    if (args[0] != '/') return Status::error("change \"" + instruction + "\": WORKDIR must be an absolute path");
    config.working_dir = args;
  } else if (verb == "USER") {
    config.user = args;
  } else if (verb == "EXPOSE") {
    size_t pos = 0;
    while (pos != std::string::npos && pos < args.size()) {
      size_t end = args.find_first_of(" \t", pos);
      std::string port = args.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (port.find('/') == std::string::npos) port += "/tcp";
      config.exposed_ports.push_back(port);
      pos = end == std::string::npos ? end : args.find_first_not_of(" \t", end);
    }
  } else if (verb == "LABEL") {
    size_t eq = args.find('=');
    if (eq == std::string::npos) return Status::error("change \"" + instruction + "\": LABEL needs KEY=VALUE");
    config.labels[args.substr(0, eq)] = args.substr(eq + 1);
  } else if (verb == "STOPSIGNAL") {
    config.stop_signal = args;
  } else if (verb == "VOLUME") {
    // VOLUME ["/a", "/b"] or VOLUME /a /b
    std::vector<std::string> paths;
    if (args[0] == '[') {
      nlohmann::json parsed = nlohmann::json::parse(args, nullptr, false);
      if (!parsed.is_array() || !std::all_of(parsed.begin(), parsed.end(), [](const auto& v) { return v.is_string(); }))
        return Status::error("change \"" + instruction + "\": VOLUME needs a JSON array of strings or paths");
      paths = parsed.get<std::vector<std::string>>();
    } else {
      for (size_t pos = 0; pos < args.size();) {
        size_t end = args.find_first_of(" \t", pos);
        paths.push_back(args.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        pos = end == std::string::npos ? end : args.find_first_not_of(" \t", end);
      }
    }
    for (const std::string& p : paths) {
      if (p.empty() || p[0] != '/') return Status::error("change \"" + instruction + "\": VOLUME needs absolute paths");
      if (std::find(config.volumes.begin(), config.volumes.end(), p) == config.volumes.end()) config.volumes.push_back(p);
    }
  } else {
    return Status::error("change \"" + instruction +
                         "\": unsupported instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, STOPSIGNAL, VOLUME)");
  }
  return Status::ok();
}

}  // namespace stack::runtime
