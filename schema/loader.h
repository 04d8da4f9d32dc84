// Loader: the stack-file pipeline (discover, read, interpolate, include, extends, merge, profiles, normalize, check).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schema/diagnostics.h"
#include "schema/node.h"

namespace stack::schema {

// The files the loader may read. Tests give it a map; the CLI the real disk.
class StackFileSource {
 public:
  virtual ~StackFileSource() = default;
  virtual std::optional<std::string> read(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
};

// Reads the host's files.
class DiskFileSource : public StackFileSource {
 public:
  std::optional<std::string> read(const std::string& path) override;
  bool exists(const std::string& path) override;
};

struct LoadOptions {
  std::vector<std::string> files;        // -f; "-" is standard input; empty: discover
  std::string stdin_text;                // what "-" reads
  std::string working_dir;               // where discovery starts and relative -f paths start
  std::string project_directory;         // --project-directory; empty: the first file's directory
  std::string project_name;              // -p; empty: from the environment, `name:` or the directory
  std::vector<std::string> env_files;    // --env-file; empty: PROJECT_DIR/.env when present
  std::vector<std::string> profiles;     // --profile
  std::vector<std::string> services;     // services named on the command line (enable their profiles)
  std::map<std::string, std::string> environment;  // the shell environment
  bool interpolate = true;
  bool strict = false;  // attributes stack ignores are errors, not warnings
  // For a command that makes containers (config, up, run, convert): the
  // sources of secrets and configs are checked, and only then do warnings
  // count (--strict) or get told. Commands that work on what exists (down,
  // ps, logs, ...) load the project without either.
  bool creating = true;
};

struct LoadedProject {
  std::string name;
  std::string project_dir;
  std::vector<std::string> files;  // the stack files read, in merge order
  // The normalized project: name, services, networks, volumes (long syntax,
  // defaults filled, paths absolute). Null when loading failed.
  Node tree;
  // Every variable the project sees: the env files under the shell environment.
  std::map<std::string, std::string> environment;
  std::vector<std::string> active_profiles;
  std::vector<std::string> all_profiles;  // every profile any service names
  Diagnostics diags;
  bool ok() const { return !diags.has_errors(); }
};

LoadedProject load_project(const LoadOptions& options, StackFileSource& files);

// Discovery as Compose does it: the first of compose.yaml, compose.yml,
// docker-compose.yaml, docker-compose.yml in `dir` or its nearest parent
// that has one, then its .override file if any. Empty when none.
// `several` (may be null) is set when that directory had more than one.
std::vector<std::string> discover_stack_files(const std::string& dir, StackFileSource& files, bool* several = nullptr);

// Compose's project-name rule: lowercase, only [a-z0-9_-], no leading '_' or '-'.
std::string normalize_project_name(const std::string& raw);

}  // namespace stack::schema
