// CdiRegistry: the devices the host's CDI specs declare (/etc/cdi, /var/run/cdi), by fully-qualified name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schema/diagnostics.h"

namespace stack::devices {

// What a device asks of a container, as the CDI spec's containerEdits.
struct CdiDeviceNode {
  std::string path;       // in the container
  std::string host_path;  // empty: the same as path
  std::string type;       // "c", "b" or empty: taken from the host's node
  std::optional<std::int64_t> major, minor;
  std::optional<std::uint32_t> file_mode, uid, gid;
  std::string permissions;  // cgroup access, "rwm" when empty
};

struct CdiMount {
  std::string host_path, container_path, type;
  std::vector<std::string> options;
};

struct CdiHook {
  std::string hook_name;  // createRuntime, createContainer, startContainer, poststart, poststop
  std::string path;
  std::vector<std::string> args, env;
  std::optional<int> timeout_s;
};

struct CdiEdits {
  std::vector<std::string> env;
  std::vector<CdiDeviceNode> device_nodes;
  std::vector<CdiMount> mounts;
  std::vector<CdiHook> hooks;
  std::vector<std::uint32_t> additional_gids;

  void append(const CdiEdits& other);
  bool empty() const;
};

// One device of one spec: its own edits, then the spec-wide ones that come
// with any of the spec's devices.
struct CdiDevice {
  std::string kind;  // vendor.com/class
  std::string name;
  std::map<std::string, std::string> annotations;
  CdiEdits edits;
  CdiEdits spec_edits;
  std::string file;  // the spec it came from

  std::string qualified_name() const { return kind + "=" + name; }
};

// The newest cdiVersion understood.
inline constexpr const char* kCdiVersion = "1.1.0";

// Parses one spec (YAML or JSON). Unknown keys, a missing name or kind, a
// cdiVersion newer than kCdiVersion and malformed values are errors at
// their file:line; `file` names the spec in them.
std::vector<CdiDevice> parse_cdi_spec(const std::string& text, const std::string& file, schema::Diagnostics& diags);

class CdiRegistry {
 public:
  // Reads every *.yaml, *.yml and *.json of `dirs` (missing ones are
  // skipped). A spec with errors is left out and its errors kept; a device
  // declared again in a later directory replaces the earlier one.
  static CdiRegistry load(const std::vector<std::string>& dirs);

  const CdiDevice* find(const std::string& qualified_name) const;
  std::vector<const CdiDevice*> of_kind(const std::string& kind) const;
  const schema::Diagnostics& problems() const { return problems_; }

 private:
  std::map<std::string, CdiDevice> devices_;  // by qualified name
  schema::Diagnostics problems_;
};

// "nvidia.com/gpu=0" -> kind and name; false when it is not such a name.
bool split_cdi_name(const std::string& qualified, std::string* kind, std::string* name);

}  // namespace stack::devices
