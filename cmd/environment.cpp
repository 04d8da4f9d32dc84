#include "cmd/environment.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "registry/credential_store.h"
#include "runtime/linux/this_process.h"

namespace stack::cmd {
namespace {

namespace fs = std::filesystem;

// A variable's value; empty when unset.
std::string variable(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

}  // namespace

compose::Host host_from_environment(const std::vector<std::string>& insecure_registries) {
  compose::Host host;
  if (std::string root = variable("STACK_ROOT"); !root.empty()) host.root = root;
  // The shim's supervisor is installed beside us (build/cmd, /usr/bin).
  if (std::string self = runtime::linux_::own_executable(); !self.empty()) {
    fs::path supervisor = fs::path(self).parent_path() / "stack-shim";
    std::error_code ec;
    fs::file_status st = fs::status(supervisor, ec);
    if (fs::is_regular_file(st) && (st.permissions() & fs::perms::owner_exec) != fs::perms::none) {
      host.stack_binary = self;
      host.supervisor = supervisor.string();
    }
  }
  if (std::string config = variable("STACK_REGISTRIES_CONFIG"); !config.empty()) host.registries_config = config;
  host.insecure_registries = insecure_registries;
  for (const std::string& registry : split(variable("STACK_INSECURE_REGISTRIES"), ','))
    host.insecure_registries.push_back(registry);
  host.credentials = registry::CredentialStore::path_for(variable("DOCKER_CONFIG"), variable("HOME"));
  if (const char* dirs = std::getenv("STACK_CDI_DIRS")) {
    host.cdi_dirs = split(dirs, ':');
    host.cdi_only = true;
  }
  host.crash_at = variable("STACK_TEST_CRASH_AT");
  return host;
}

std::vector<std::string> with_values_from_environment(const std::vector<std::string>& entries) {
  std::vector<std::string> out;
  for (const std::string& e : entries)
    if (e.find('=') != std::string::npos) out.push_back(e);
    else if (const char* value = std::getenv(e.c_str())) out.push_back(e + "=" + value);
  return out;
}

}  // namespace stack::cmd
