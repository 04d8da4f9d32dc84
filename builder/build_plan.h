// BuildPlan: a Dockerfile's stages, its global ARGs, and which stages a target needs, in the order they build.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "builder/dockerfile.h"

namespace stack::builder {

struct Stage {
  int index = 0;
  std::string name;  // its `AS` name, lower case; empty when it has none
  std::string base;  // the FROM image, args expanded: an image, "scratch" or an earlier stage's name
  const Instruction* from = nullptr;
  std::vector<const Instruction*> steps;  // after FROM

  // How progress names it: its name, else "stage-N".
  std::string label() const { return name.empty() ? "stage-" + std::to_string(index) : name; }
};

struct BuildPlan {
  std::vector<Stage> stages;
  // ARGs declared before the first FROM: their values (build args over
  // defaults), nullopt when declared without one.
  std::map<std::string, std::optional<std::string>> global_args;
  std::vector<int> order;  // the stages to build, each after those it uses; the target last
};

// Splits `dockerfile` into stages, resolves global ARGs with `build_args`,
// expands FROM lines, and orders the stages `target` (a stage name; empty:
// the last stage) needs through FROM, COPY --from and RUN --mount from=.
// A name no earlier stage has names an image. Errors name the file and
// line: an unknown target, a duplicate stage name, a FROM or ARG that does
// not expand.
Status plan_build(const Dockerfile& dockerfile, const std::map<std::string, std::string>& build_args,
                  const std::string& target, BuildPlan* out);

// The stage `ref` names (a name or an index) among those before `before`; -1 when none does.
int find_stage(const BuildPlan& plan, const std::string& ref, int before);

// The value of `key` in a RUN --mount flag (type=cache,target=/x,...); empty when absent.
std::string mount_option(const std::string& mount, const std::string& key);

}  // namespace stack::builder
