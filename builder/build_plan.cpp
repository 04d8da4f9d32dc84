#include "builder/build_plan.h"

#include <algorithm>
#include <cctype>
#include <functional>

namespace stack::builder {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string where(const Dockerfile& df, const Instruction& ins) { return df.file + ":" + std::to_string(ins.line) + ": "; }

}  // namespace

std::string mount_option(const std::string& mount, const std::string& key) {
  size_t start = 0;
  while (start <= mount.size()) {
    size_t comma = mount.find(',', start);
    if (comma == std::string::npos) comma = mount.size();
    std::string option = mount.substr(start, comma - start);
    if (option.rfind(key + "=", 0) == 0) return option.substr(key.size() + 1);
    start = comma + 1;
  }
  return "";
}

int find_stage(const BuildPlan& plan, const std::string& ref, int before) {
  std::string name = lower(ref);
  bool number = !ref.empty() && std::all_of(ref.begin(), ref.end(), [](unsigned char c) { return std::isdigit(c); });
  for (int i = 0; i < before && i < static_cast<int>(plan.stages.size()); ++i)
    if ((number && std::to_string(i) == ref) || (!plan.stages[i].name.empty() && plan.stages[i].name == name)) return i;
  return -1;
}

Status plan_build(const Dockerfile& df, const std::map<std::string, std::string>& build_args, const std::string& target,
                  BuildPlan* out) {
  BuildPlan plan;
  auto global = [&plan](const std::string& k) -> std::optional<std::string> {
    auto it = plan.global_args.find(k);
    return it == plan.global_args.end() ? std::nullopt : it->second;
  };
  for (const Instruction& ins : df.instructions) {
    if (ins.keyword == "FROM") {
      std::vector<std::string> words = split_words(ins.text, df.escape);
      if (words.size() != 1 && !(words.size() == 3 && lower(words[1]) == "as"))
        return Status::error(where(df, ins) + "FROM takes an image and an optional \"AS name\"");
      Stage stage;
      stage.index = static_cast<int>(plan.stages.size());
      stage.from = &ins;
      if (Status s = expand_words(words[0], df.escape, global, &stage.base); !s) return s.with_context(where(df, ins) + "FROM");
      if (stage.base.empty()) return Status::error(where(df, ins) + "FROM names no image (\"" + words[0] + "\" expands to nothing)");
      if (words.size() == 3) {
        stage.name = lower(words[2]);
        if (find_stage(plan, stage.name, stage.index) >= 0)
          return Status::error(where(df, ins) + "a stage named \"" + stage.name + "\" already exists");
      }
      plan.stages.push_back(std::move(stage));
    } else if (plan.stages.empty()) {
      // ARG before the first FROM: global, for FROM lines (and stages that declare it again).
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const std::string& word : split_words(ins.text, df.escape)) {
        size_t eq = word.find('=');
        std::string name = word.substr(0, eq);
        std::optional<std::string> value;
        if (auto it = build_args.find(name); it != build_args.end()) value = it->second;
        else if (eq != std::string::npos) {
          std::string expanded;
          if (Status s = expand_words(word.substr(eq + 1), df.escape, global, &expanded); !s) return s.with_context(where(df, ins) + "ARG");
          value = split_words(expanded, df.escape).empty() ? "" : split_words(expanded, df.escape)[0];
        }
        plan.global_args[name] = value;
      }
    } else {
      plan.stages.back().steps.push_back(&ins);
    }
  }

  int target_index = static_cast<int>(plan.stages.size()) - 1;
  if (!target.empty()) {
    target_index = find_stage(plan, target, static_cast<int>(plan.stages.size()));
    if (target_index < 0) {
      std::string names;
      for (const Stage& s : plan.stages)
        if (!s.name.empty()) names += (names.empty() ? "" : ", ") + s.name;
      return Status::error(df.file + ": no stage named \"" + target + "\" (stages: " + (names.empty() ? "none named" : names) + ")");
    }
  }
  // Depth first from the target: each stage after the stages it uses.
  // Stages only use earlier ones: no cycle is possible.
  std::vector<bool> done(plan.stages.size(), false);
  std::function<Status(int)> visit = [&](int i) -> Status {
    if (done[i]) return Status::ok();
    const Stage& stage = plan.stages[i];
    // A name no earlier stage has is an image's.
    auto use = [&](const std::string& ref) -> Status {
      int used = find_stage(plan, ref, i);
      return used < 0 ? Status::ok() : visit(used);
    };
    if (Status s = use(stage.base); !s) return s;
    for (const Instruction* ins : stage.steps) {
      if (auto from = ins->flags.find("from"); from != ins->flags.end() && ins->keyword == "COPY") {
        std::string ref;
        if (Status s = expand_words(from->second, df.escape, global, &ref); !s) return s.with_context(where(df, *ins) + "--from");
        if (Status s = use(ref); !s) return s;
      }
      for (const std::string& m : ins->mounts)
        if (std::string ref = mount_option(m, "from"); !ref.empty())
          if (Status s = use(ref); !s) return s;
    }
    done[i] = true;
    plan.order.push_back(i);
    return Status::ok();
  };
  if (target_index >= 0)
    if (Status s = visit(target_index); !s) return s;
  *out = std::move(plan);
  return Status::ok();
}

}  // namespace stack::builder
