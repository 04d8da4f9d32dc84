// Host: this machine as stack uses it (where its state lives, the shim's programs, the registries and device specs it is told of), made once by the CLI and read below it instead of the environment.
#pragma once

#include <string>
#include <vector>

#include "runtime/container_runner.h"

namespace stack::compose {

struct Host {
  std::string root = "/var/lib/stack";  // images, volumes, containers, networks, project state
  // The shim's programs: this one, and stack-shim beside it. Empty when
  // the supervisor is not installed there.
  std::string stack_binary, supervisor;
  // Registries: a daemon.json-like file ("insecure-registries",
  // "registry-mirrors"), hosts reached over plain HTTP, and where `stack
  // login` keeps its credentials (Docker's config.json).
  std::string registries_config = "/etc/stack/registries.json";
  std::vector<std::string> insecure_registries;
  std::string credentials = "/root/.docker/config.json";
  // Where CDI specs are searched, later ones winning; `cdi_only`: no
  // fallback to the NVIDIA driver's own view (a test's fake GPUs).
  std::vector<std::string> cdi_dirs = {"/etc/cdi", "/var/run/cdi"};
  bool cdi_only = false;
  // Tests only: the step at which a launch kills its whole command (crash_points).
  std::string crash_at;
};

// Makes `host` the one every later call in this process reads. Once, at
// a command's start, before anything forks (a forked launch reads its
// parent's). Unset: Host's defaults.
void use_host(Host host);
const Host& host();

// host().root; the first call in a process makes it (0711) and its
// stores' directories (0700), and tightens those an older stack left looser.
std::string stack_root();
std::string images_root();
// Where containers' layers, cgroups and compiled seccomp filters live, and
// the shim's programs.
runtime::RuntimePaths runtime_paths();

}  // namespace stack::compose
