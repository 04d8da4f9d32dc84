#include "builder/image_builder.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <chrono>
#include <filesystem>

#include "builder/build_cache.h"
#include "builder/build_plan.h"
#include "builder/dockerfile.h"
#include "builder/dockerignore.h"
#include "builder/file_copy.h"
#include "builder/linux/step_rootfs.h"
#include "builder/run_step.h"
#include "builder/source_files.h"
#include "builder/url_fetch.h"
#include "runtime/layer_copy.h"
#include "runtime/layer_packer.h"
#include "runtime/on_disk.h"
#include "runtime/sha256.h"
#include "runtime/user_lookup.h"
#include "schema/units.h"

namespace fs = std::filesystem;

namespace stack::builder {
namespace {

const std::vector<std::string> kDefaultShell = {"/bin/sh", "-c"};

// The image a stage has made so far.
struct StageState {
  std::vector<std::string> diff_ids;  // bottom first
  runtime::ImageConfig config;
  nlohmann::json history = nlohmann::json::array();
  std::string key;      // the cache key of everything so far
  std::string created;  // of the last step
  std::map<std::string, std::optional<std::string>> args;  // ARGs declared in the stage
  bool cmd_set = false;  // CMD given in this stage (ENTRYPOINT then keeps it)
};

std::string collapse(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The instruction as progress shows it: one line, flags as written.
std::string display(const Instruction& ins) {
  std::string flags;
  for (const auto& [k, v] : ins.flags)
    if (k != "mount") flags += "--" + k + "=" + v + " ";
  for (const std::string& m : ins.mounts) flags += "--mount=" + m + " ";
  std::string line = collapse(ins.keyword + " " + flags + ins.text);
  return line.size() > 120 ? line.substr(0, 117) + "..." : line;
}

std::string clean_absolute(const std::string& path) {
  std::string out = fs::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out.empty() ? "/" : out;
}

std::string env_value(const std::vector<std::string>& env, const std::string& key, bool* found) {
  for (const std::string& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      *found = true;
      return e.substr(key.size() + 1);
    }
  *found = false;
  return "";
}

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  for (std::string& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      e = key + "=" + value;
      return;
    }
  env.push_back(key + "=" + value);
}

// A scratch directory, removed (when named) whatever way the step ends.
struct RemovedAfter {
  const std::string& dir;
  ~RemovedAfter() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

class Builder {
 public:
  Builder(const BuildRequest& request, const BuildPaths& paths, BuildObserver& observer)
      : request_(request), paths_(paths), observer_(observer), store_(paths.images), cache_(paths.state + "/cache") {}

  Status build(runtime::Image* out);

 private:
  const BuildRequest& request_;
  const BuildPaths& paths_;
  BuildObserver& observer_;
  runtime::ImageStore store_;
  BuildCache cache_;
  Dockerfile dockerfile_;
  BuildPlan plan_;
  DockerIgnore ignore_;
  std::map<int, StageState> built_;  // by stage index
  std::set<std::string> consumed_args_;
  int scratch_count_ = 0;

  // "Dockerfile:3: RUN", for context; where() with ": " for messages.
  std::string at(const Instruction& ins) const { return dockerfile_.file + ":" + std::to_string(ins.line) + ": " + ins.keyword; }
  std::string where(const Instruction& ins) const { return at(ins) + ": "; }
  std::vector<std::string> lower_dirs(const std::vector<std::string>& diff_ids) const {
    return store_.lower_dirs(diff_ids);
  }
  std::optional<std::string> lookup(const StageState& st, const std::string& name) const {
    bool found = false;
    std::string value = env_value(st.config.env, name, &found);
    if (found) return value;
    auto it = st.args.find(name);
    return it == st.args.end() ? std::nullopt : it->second;
  }
  Status expand(const StageState& st, const std::string& text, std::string* out) const {
    return expand_words(text, dockerfile_.escape, [&](const std::string& k) { return lookup(st, k); }, out);
  }
  // The words of an instruction's arguments, each expanded (exec form) or
  // expanded then split (shell form).
  Status expanded_words(const StageState& st, const Instruction& ins, std::vector<std::string>* out) const {
    out->clear();
    if (ins.exec_form) {
      for (const std::string& w : *ins.exec_form) {
        std::string e;
        if (Status s = expand(st, w, &e); !s) return s;
        out->push_back(e);
      }
      return Status::ok();
    }
    std::string e;
    if (Status s = expand(st, ins.text, &e); !s) return s;
    *out = split_words(e, dockerfile_.escape);
    return Status::ok();
  }
  std::vector<std::string> shell_form(const StageState& st, const std::string& text) const {
    std::vector<std::string> args = st.config.shell.value_or(kDefaultShell);
    args.push_back(text);
    return args;
  }
  std::string new_scratch() {
    std::string dir = paths_.state + "/tmp/" + std::to_string(::getpid()) + "-" + std::to_string(++scratch_count_);
    std::error_code ec;
    fs::remove_all(dir, ec);
    return dir;
  }

  Status read_dockerfile();
  void remove_stale_scratch();
  Status start_stage(const Stage& stage, StageState* st);
  Status run_instruction(const Stage& stage, const Instruction& ins, StageState& st);
  // The cached result of a step with this description on top of `st`, or
  // `work`'s (a layer or none), recorded in the cache; then applied to `st`.
  Status cached_or_run(StageState& st, const std::string& description,
                       const std::function<Status(std::optional<std::string>*)>& work, bool* cached);
  // The writable layer in `upper` as a stored layer; none when empty.
  Status store_layer(const std::string& upper, const std::string& scratch, std::optional<std::string>* diff_id);
  Status run(const Instruction& ins, StageState& st, const BuildStep& step, bool* cached);
  Status copy(const Instruction& ins, StageState& st, bool* cached);
  // The layers of the stage or local image `ref` names (--from), and what identifies their content.
  Status layers_of(const Instruction& ins, const std::string& ref, std::vector<std::string>* diff_ids, std::string* identity);
  // ADD's URL, downloaded into the scratch directory `dir` (made when empty) as one more match.
  Status download(const Instruction& ins, const std::string& url, std::string* dir, std::vector<SourceMatch>* matches);
  Status workdir(const Instruction& ins, StageState& st, bool* cached);
  Status configure(const Instruction& ins, StageState& st);
  Status healthcheck(const Instruction& ins, StageState& st);
};

Status Builder::read_dockerfile() {
  std::string text = request_.dockerfile_text;
  std::string name = "dockerfile_inline";
  if (text.empty()) {
    name = request_.dockerfile;
    std::optional<std::string> content = runtime::read_whole_file(request_.dockerfile);
    if (!content) return Status::error(request_.dockerfile + ": cannot be read (" + std::strerror(errno) + ")");
    text = *content;
  }
  if (Status s = parse_dockerfile(text, name, &dockerfile_); !s) return s;
  // <Dockerfile>.dockerignore next to the Dockerfile wins over the context's, as BuildKit has it.
  std::string ignore_file = request_.context + "/.dockerignore";
  if (!request_.dockerfile.empty() && request_.dockerfile_text.empty() &&
      ::access((request_.dockerfile + ".dockerignore").c_str(), R_OK) == 0)
    ignore_file = request_.dockerfile + ".dockerignore";
  if (std::optional<std::string> patterns = runtime::read_whole_file(ignore_file))
    if (Status s = DockerIgnore::parse(*patterns, ignore_file, &ignore_); !s) return s;
  return plan_build(dockerfile_, request_.build_args, request_.target, &plan_);
}

// Scratch directories of builds that died (Ctrl-C during a COPY).
void Builder::remove_stale_scratch() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(paths_.state + "/tmp", ec)) {
    std::string name = entry.path().filename().string();
    pid_t pid = static_cast<pid_t>(std::atoi(name.c_str()));
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

Status Builder::start_stage(const Stage& stage, StageState* st) {
  const Instruction& from = *stage.from;
  if (auto p = from.flags.find("platform"); p != from.flags.end() && p->second != "linux/amd64" && p->second != "$BUILDPLATFORM" &&
                                            p->second != "$TARGETPLATFORM")
    return Status::error(where(from) + "--platform=" + p->second + ": only linux/amd64 images are built here");
  int used = find_stage(plan_, stage.base, stage.index);
  if (used >= 0) {
    *st = built_.at(used);
    st->args.clear();
    st->cmd_set = false;
    return Status::ok();
  }
  *st = StageState{};
  if (stage.base == "scratch") {
    st->key = runtime::Sha256::of("scratch");
    return Status::ok();
  }
  runtime::Image base;
  bool found = static_cast<bool>(store_.find(stage.base, &base));
  if (request_.pull_base && (request_.pull || !found)) {
    if (Status s = request_.pull_base(stage.base); !s) return Status::error(where(from) + s.message());
    found = static_cast<bool>(store_.find(stage.base, &base));
  }
  if (!found)
    return Status::error(where(from) + "no image " + stage.base +
                         " in the local store (`stack image pull`, `import` or `load` it first)");
  nlohmann::json config;
  if (Status s = store_.read_config(base, &config); !s) return s;
  st->diff_ids = base.diff_ids;
  st->config = base.config;
  st->created = base.created;
  if (config["history"].is_array()) st->history = config["history"];
  st->key = runtime::Sha256::of("FROM " + base.config_digest);
  return Status::ok();
}

Status Builder::cached_or_run(StageState& st, const std::string& description,
                              const std::function<Status(std::optional<std::string>*)>& work, bool* cached) {
  std::string key = runtime::Sha256::of(st.key + "\n" + description);
  CachedStep step;
  *cached = !request_.no_cache && cache_.find(key, &step) && (!step.diff_id || store_.has_layer(*step.diff_id));
  if (!*cached) {
    if (Status s = work(&step.diff_id); !s) return s;
    step.created = runtime::timestamp_now();
    if (Status s = cache_.store(key, step); !s) return s;
  }
  st.key = key;
  st.created = step.created;
  nlohmann::json entry = {{"created", step.created}, {"created_by", description}};
  if (step.diff_id) st.diff_ids.push_back(*step.diff_id);
  else entry["empty_layer"] = true;
  st.history.push_back(entry);
  return Status::ok();
}

Status Builder::store_layer(const std::string& upper, const std::string& scratch, std::optional<std::string>* diff_id) {
  std::error_code ec;
  if (fs::is_empty(upper, ec)) return Status::ok();
  if (Status s = runtime::make_directories(scratch); !s) return s;
  std::string tar = scratch + "/layer.tar", packed, stored;
  if (Status s = runtime::pack_layer(upper, tar, &packed); !s) return s;
  std::int64_t size = 0;
  if (Status s = store_.store_layer(tar, true, &stored, &size); !s) return s;
  *diff_id = stored;
  return Status::ok();
}

Status Builder::run(const Instruction& ins, StageState& st, const BuildStep& step, bool* cached) {
  RunStepRequest r;
  if (ins.exec_form) {
    r.args = *ins.exec_form;
  } else if (!ins.heredocs.empty() && collapse(ins.text).rfind("<<", 0) == 0 && collapse(ins.text).find(' ') == std::string::npos) {
    r.args = shell_form(st, ins.heredocs.front().content);  // RUN <<EOF: the document is the script
  } else {
    std::string script = ins.text;
    for (const Heredoc& h : ins.heredocs) script += "\n" + h.content + h.name;
    r.args = shell_form(st, script);
  }
  if (auto security = ins.flags.find("security"); security != ins.flags.end() && security->second != "sandbox")
    return Status::error(where(ins) + "--security=" + security->second + " is not supported (steps run with the default confinement)");
  std::string network = ins.flags.count("network") ? ins.flags.at("network") : "default";
  if (network != "default" && network != "host" && network != "none")
    return Status::error(where(ins) + "--network=" + network + ": takes default, host or none");
  r.host_network = network != "none";
  nlohmann::json mounts = nlohmann::json::array();
  std::string mount_copies;  // a scratch directory of files mounted from other stages
  RemovedAfter remove_copies{mount_copies};
  for (const std::string& m : ins.mounts) {
    std::string type = mount_option(m, "type");
    if (type.empty()) type = "bind";
    std::string target = mount_option(m, "target");
    if (target.empty()) target = mount_option(m, "dst");
    if (target.empty()) target = mount_option(m, "destination");
    if (target.empty()) return Status::error(where(ins) + "--mount=" + m + ": needs target=");
    if (target[0] != '/') target = clean_absolute(st.config.working_dir.empty() ? "/" + target : st.config.working_dir + "/" + target);
    if (type == "cache") {
      // Kept between builds, by id (the target by default), as BuildKit's cache mounts are.
      std::string id = mount_option(m, "id").empty() ? target : mount_option(m, "id");
      std::string dir = paths_.state + "/cache-mounts/" + runtime::Sha256::of(id).substr(0, 32);
      if (Status s = runtime::make_directories(dir); !s) return s;
      r.mounts.push_back({target, "bind", dir, {"rbind"}});
    } else if (type == "tmpfs") {
      r.mounts.push_back({target, "tmpfs", "tmpfs", {"nosuid", "nodev"}});
    } else if (type == "bind") {
      std::string source = mount_option(m, "source");
      if (source.empty()) source = mount_option(m, "src");
      std::string from = mount_option(m, "from");
      bool rw = mount_option(m, "rw") == "true" || m.find(",rw") != std::string::npos;
      if (!from.empty()) {
        // Another stage's or image's files: copied out of its layers for the step.
        std::vector<std::string> layers;
        std::string identity;
        if (Status s = layers_of(ins, from, &layers, &identity); !s) return s;
        if (mount_copies.empty()) mount_copies = new_scratch();
        std::string dir = mount_copies + "/" + std::to_string(r.mounts.size());
        if (Status s = runtime::make_directories(dir); !s) return s;
        if (Status s = runtime::copy_image_directory(lower_dirs(layers), "/" + source, dir); !s) return s;
        r.mounts.push_back({target, "bind", dir, {"rbind", rw ? "rw" : "ro"}});
        mounts.push_back("bind " + target + " " + identity + " " + source);
        continue;
      }
      std::string host = resolve_in_root(request_.context, source, true);
      r.mounts.push_back({target, "bind", host, {"rbind", rw ? "rw" : "ro"}});
      std::vector<SourceMatch> matched;
      if (Status s = match_sources(request_.context, source.empty() ? "." : source, &ignore_, &matched); !s)
        return s.with_context(where(ins) + "--mount source");
      std::string digest;
      if (Status s = digest_sources(matched, &digest); !s) return s;
      mounts.push_back("bind " + target + " " + digest);
      continue;
    } else {
      return Status::error(where(ins) + "--mount type=" + type + " is not supported (bind, cache and tmpfs are)");
    }
    mounts.push_back(type + " " + target);
  }
  r.env = st.config.env;
  for (const auto& [k, v] : st.args) {
    bool in_env = false;
    env_value(r.env, k, &in_env);
    if (v && !in_env) r.env.push_back(k + "=" + *v);
  }
  r.user = st.config.user;
  r.working_dir = st.config.working_dir;
  r.lower_dirs = lower_dirs(st.diff_ids);
  std::string description = "RUN " + nlohmann::json(r.args).dump();
  if (!mounts.empty()) description += " mounts=" + mounts.dump();
  if (network != "default") description += " network=" + network;
  return cached_or_run(st, description, [&](std::optional<std::string>* diff_id) -> Status {
    RunStepResult result;
    Status s = run_step(r, paths_.runtime, [&](std::string_view text) { observer_.output(step, text); }, &result);
    if (!s) return s.with_context(at(ins));
    std::error_code ec;
    std::string scratch = new_scratch();
    if (result.exit_code == 0) {
      // Mount points the image did not have are not part of the step's result, as with BuildKit.
      for (const runtime::MountSpec& m : r.mounts) {
        bool in_image = std::any_of(r.lower_dirs.begin(), r.lower_dirs.end(), [&](const std::string& layer) {
          return ::access((layer + m.destination).c_str(), F_OK) == 0;
        });
        if (!in_image) ::rmdir((result.container_dir + "/upper" + m.destination).c_str());
      }
      s = store_layer(result.container_dir + "/upper", scratch, diff_id);
    }
    else if (!result.error.empty()) s = Status::error(where(ins) + result.error);
    else s = Status::error(where(ins) + collapse(nlohmann::json(r.args).dump()) + " exited with code " + std::to_string(result.exit_code));
    fs::remove_all(result.container_dir, ec);
    fs::remove_all(scratch, ec);
    return s;
  }, cached);
}

Status Builder::copy(const Instruction& ins, StageState& st, bool* cached) {
  bool add = ins.keyword == "ADD";
  if (!ins.heredocs.empty()) return Status::error(where(ins) + "here-documents are not supported in " + ins.keyword);
  std::vector<std::string> words;
  if (Status s = expanded_words(st, ins, &words); !s) return s.with_context(at(ins));
  if (words.size() < 2) return Status::error(where(ins) + "needs a source and a destination");
  std::string dest = words.back();
  words.pop_back();
  std::string workdir = st.config.working_dir.empty() ? "/" : st.config.working_dir;
  bool into = dest.back() == '/' || dest == "." || dest == "./";
  dest = clean_absolute(dest[0] == '/' ? dest : workdir + "/" + dest) + (into ? "/" : "");

  CopyOwnership owner;
  std::string flags;
  if (auto c = ins.flags.find("chown"); c != ins.flags.end()) {
    std::string spec, error;
    if (Status s = expand(st, c->second, &spec); !s) return s;
    std::vector<std::string> layers = lower_dirs(st.diff_ids);
    auto user = runtime::resolve_user(spec, runtime::image_file(layers, "/etc/passwd"), runtime::image_file(layers, "/etc/group"), &error);
    if (!user) return Status::error(where(ins) + "--chown=" + spec + ": " + error);
    owner.uid = user->uid;
    // A user alone: its number is the group's too, as Docker's COPY has it.
    owner.gid = spec.find(':') == std::string::npos ? user->uid : user->gid;
    flags += " --chown=" + std::to_string(*owner.uid) + ":" + std::to_string(*owner.gid);
  }
  if (auto c = ins.flags.find("chmod"); c != ins.flags.end()) {
    char* end = nullptr;
    unsigned long mode = std::strtoul(c->second.c_str(), &end, 8);
    if (c->second.empty() || *end != '\0' || mode > 07777)
      return Status::error(where(ins) + "--chmod=" + c->second + ": not an octal mode");
    owner.mode = static_cast<mode_t>(mode);
    flags += " --chmod=" + c->second;
  }

  for (const char* unsupported : {"parents", "exclude", "keep-git-dir"})
    if (ins.flags.count(unsupported)) return Status::error(where(ins) + "--" + unsupported + " is not supported");
  if (ins.flags.count("checksum") &&
      std::none_of(words.begin(), words.end(), [](const std::string& w) { return w.find("://") != std::string::npos; }))
    return Status::error(where(ins) + "--checksum is only for URL sources");
  std::vector<std::string> source_layers;
  std::string downloads;  // a scratch directory of downloaded sources
  RemovedAfter remove_downloads{downloads};  // downloads live until the step is done (or found in the cache)
  bool from_elsewhere = false;
  std::string content;
  std::vector<SourceMatch> matches;
  if (auto f = ins.flags.find("from"); f != ins.flags.end()) {
    std::string ref;
    if (Status s = expand(st, f->second, &ref); !s) return s;
    from_elsewhere = true;
    owner.keep_source_owner = true;
    if (Status s = layers_of(ins, ref, &source_layers, &content); !s) return s;
  } else {
    for (const std::string& source : words) {
      bool url = source.rfind("http://", 0) == 0 || source.rfind("https://", 0) == 0;
      if (!url && (source.find("://") != std::string::npos || source.rfind("git@", 0) == 0))
        return Status::error(where(ins) + source + ": only http and https URLs are fetched (no git)");
      if (url && !add) return Status::error(where(ins) + source + ": COPY takes files of the build context, not URLs (ADD fetches them)");
      if (url) {
        if (Status s = download(ins, source, &downloads, &matches); !s) return s;
        continue;
      }
      if (Status s = match_sources(request_.context, source, &ignore_, &matches); !s)
        return Status::error(where(ins) + s.message() + " (in the build context " + request_.context + ")");
    }
    if (Status s = digest_sources(matches, &content); !s) return s;
  }

  std::string description = ins.keyword + flags + " " + nlohmann::json(words).dump() + " " + dest + " " + content;
  return cached_or_run(st, description, [&](std::optional<std::string>* diff_id) -> Status {
    std::string scratch = new_scratch();
    std::vector<std::vector<std::string>> sources;
    if (from_elsewhere) sources.push_back(lower_dirs(source_layers));
    Status s = linux_::in_step_rootfs(scratch, lower_dirs(st.diff_ids), sources,
                                      [&](const std::string& rootfs, const std::vector<std::string>& roots) -> Status {
      std::vector<SourceMatch> found = matches;
      if (from_elsewhere)
        for (const std::string& source : words)
          if (Status m = match_sources(roots[0], source, nullptr, &found); !m) return m;
      return copy_sources(found, rootfs, dest, owner, add && !from_elsewhere);
    });
    if (s) s = store_layer(scratch + "/upper", scratch + "/pack", diff_id);
    std::error_code ec;
    fs::remove_all(scratch, ec);
    return s ? s : Status::error(where(ins) + s.message());
  }, cached);
}

Status Builder::layers_of(const Instruction& ins, const std::string& ref, std::vector<std::string>* diff_ids,
                          std::string* identity) {
  int stage = find_stage(plan_, ref, static_cast<int>(plan_.stages.size()));
  if (stage >= 0 && built_.count(stage)) {
    *diff_ids = built_.at(stage).diff_ids;
    *identity = "stage " + built_.at(stage).key;
    return Status::ok();
  }
  runtime::Image image;
  if (Status s = store_.find(ref, &image); !s)
    return Status::error(where(ins) + "--from=" + ref + ": no earlier stage and no local image has that name");
  *diff_ids = image.diff_ids;
  *identity = "image " + image.config_digest;
  return Status::ok();
}

Status Builder::download(const Instruction& ins, const std::string& url, std::string* dir, std::vector<SourceMatch>* matches) {
  if (dir->empty()) *dir = new_scratch();
  if (Status s = runtime::make_directories(*dir); !s) return s;
  std::string path = *dir + "/" + std::to_string(matches->size());
  FetchedFile fetched;
  if (Status s = fetch_url(url, path, &fetched); !s) return Status::error(where(ins) + s.message());
  if (auto c = ins.flags.find("checksum"); c != ins.flags.end() && c->second != "sha256:" + fetched.sha256)
    return Status::error(where(ins) + url + ": its digest is sha256:" + fetched.sha256 + ", not the --checksum " + c->second);
  SourceMatch m;
  m.downloaded = true;
  m.path = url_file_name(url);
  if (m.path.empty()) return Status::error(where(ins) + url + ": the URL names no file to save it as");
  SourceEntry e;
  e.host_path = path;
  if (::stat(path.c_str(), &e.st) != 0) return Status::from_errno("reading " + path);
  // As Docker: mode 0600, the Last-Modified time when the server sent one.
  e.st.st_mode = S_IFREG | 0600;
  if (fetched.modified) e.st.st_mtim = {*fetched.modified, 0};
  m.entries.push_back(e);
  matches->push_back(std::move(m));
  return Status::ok();
}

Status Builder::workdir(const Instruction& ins, StageState& st, bool* cached) {
  std::string dir;
  if (Status s = expand(st, ins.text, &dir); !s) return s;
  std::vector<std::string> words = split_words(dir, dockerfile_.escape);
  dir = words.empty() ? "" : words[0];
  std::string current = st.config.working_dir.empty() ? "/" : st.config.working_dir;
  st.config.working_dir = clean_absolute(dir[0] == '/' ? dir : current + "/" + dir);
  const std::string& path = st.config.working_dir;
  return cached_or_run(st, "WORKDIR " + path, [&](std::optional<std::string>* diff_id) -> Status {
    std::string scratch = new_scratch();
    Status s = linux_::in_step_rootfs(scratch, lower_dirs(st.diff_ids), {},
                                      [&](const std::string& rootfs, const std::vector<std::string>&) {
                                        return make_directory_in(rootfs, path, 0, 0);
                                      });
    if (s) s = store_layer(scratch + "/upper", scratch + "/pack", diff_id);
    std::error_code ec;
    fs::remove_all(scratch, ec);
    return s ? s : Status::error(where(ins) + s.message());
  }, cached);
}

Status Builder::healthcheck(const Instruction& ins, StageState& st) {
  std::string text = collapse(ins.text);
  std::string upper = text.substr(0, text.find(' '));
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  if (upper == "NONE") {
    st.config.healthcheck = nlohmann::json{{"Test", {"NONE"}}};
    return Status::ok();
  }
  if (upper != "CMD") return Status::error(where(ins) + "takes NONE or CMD followed by a command");
  nlohmann::json check = nlohmann::json::object();
  if (ins.exec_form) {
    std::vector<std::string> test = {"CMD"};
    test.insert(test.end(), ins.exec_form->begin(), ins.exec_form->end());
    check["Test"] = test;
  } else {
    check["Test"] = {"CMD-SHELL", text.substr(4)};
  }
  for (const auto& [flag, field] : std::vector<std::pair<std::string, std::string>>{
           {"interval", "Interval"}, {"timeout", "Timeout"}, {"start-period", "StartPeriod"}, {"start-interval", "StartInterval"}}) {
    auto it = ins.flags.find(flag);
    if (it == ins.flags.end()) continue;
    std::optional<std::int64_t> ns = schema::parse_duration(it->second);
    if (!ns) return Status::error(where(ins) + "--" + flag + "=" + it->second + ": not a duration (30s, 1m30s, 500ms)");
    check[field] = *ns;
  }
  if (auto it = ins.flags.find("retries"); it != ins.flags.end()) {
    char* end = nullptr;
    long n = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || n < 0) return Status::error(where(ins) + "--retries=" + it->second + ": not a count");
    check["Retries"] = n;
  }
  st.config.healthcheck = check;
  return Status::ok();
}

// The instructions that change only the configuration.
Status Builder::configure(const Instruction& ins, StageState& st) {
  const std::string& k = ins.keyword;
  auto pairs = [&](bool legacy, std::vector<std::pair<std::string, std::string>>* out) -> Status {
    std::string text;
    if (Status s = expand(st, ins.text, &text); !s) return s;
    if (Status s = parse_pairs(text, dockerfile_.escape, legacy, out); !s) return s.with_context(at(ins));
    return Status::ok();
  };
  if (k == "ENV") {
    std::vector<std::pair<std::string, std::string>> kv;
    if (Status s = pairs(true, &kv); !s) return s;
    for (const auto& [key, value] : kv) set_env(st.config.env, key, value);
  } else if (k == "LABEL") {
    std::vector<std::pair<std::string, std::string>> kv;
    if (Status s = pairs(false, &kv); !s) return s;
    for (const auto& [key, value] : kv) st.config.labels[key] = value;
  } else if (k == "ARG") {
    for (const std::string& word : split_words(ins.text, dockerfile_.escape)) {
      size_t eq = word.find('=');
      std::string name = word.substr(0, eq);
      std::optional<std::string> value;
      if (auto b = request_.build_args.find(name); b != request_.build_args.end()) {
        value = b->second;
        consumed_args_.insert(name);
      } else if (eq != std::string::npos) {
        std::string e;
        if (Status s = expand(st, word.substr(eq + 1), &e); !s) return s;
        value = e;
      } else if (auto g = plan_.global_args.find(name); g != plan_.global_args.end()) {
        value = g->second;
      }
      st.args[name] = value;
    }
  } else if (k == "USER") {
    std::string user;
    if (Status s = expand(st, ins.text, &user); !s) return s;
    st.config.user = collapse(user);
  } else if (k == "CMD" || k == "ENTRYPOINT") {
    std::vector<std::string> command = ins.exec_form ? *ins.exec_form : shell_form(st, ins.text);
    if (k == "CMD") {
      st.config.cmd = command;
      st.cmd_set = true;
    } else {
      st.config.entrypoint = command;
      if (!st.cmd_set) st.config.cmd.reset();  // an inherited CMD does not outlive a new ENTRYPOINT
    }
  } else if (k == "EXPOSE") {
    std::vector<std::string> words;
    if (Status s = expanded_words(st, ins, &words); !s) return s;
    for (const std::string& w : words) {
      std::string ports = w.substr(0, w.find('/'));
      std::string proto = w.find('/') == std::string::npos ? "tcp" : w.substr(w.find('/') + 1);
      std::transform(proto.begin(), proto.end(), proto.begin(), ::tolower);
      char* end = nullptr;
      long first = std::strtol(ports.c_str(), &end, 10);
      long last = *end == '-' ? std::strtol(end + 1, &end, 10) : first;
      if (ports.empty() || *end != '\0' || first < 1 || last > 65535 || last < first || (proto != "tcp" && proto != "udp" && proto != "sctp"))
        return Status::error(where(ins) + w + ": not a port, a range or PORT/PROTOCOL");
      for (long p = first; p <= last; ++p) {
        std::string port = std::to_string(p) + "/" + proto;
        if (std::find(st.config.exposed_ports.begin(), st.config.exposed_ports.end(), port) == st.config.exposed_ports.end())
          st.config.exposed_ports.push_back(port);
      }
    }
  } else if (k == "VOLUME") {
    std::vector<std::string> words;
    if (Status s = expanded_words(st, ins, &words); !s) return s;
    for (const std::string& w : words) {
      if (w.empty()) return Status::error(where(ins) + "a volume path is empty");
      if (std::find(st.config.volumes.begin(), st.config.volumes.end(), w) == st.config.volumes.end()) st.config.volumes.push_back(w);
    }
  } else if (k == "STOPSIGNAL") {
    std::string signal;
    if (Status s = expand(st, ins.text, &signal); !s) return s;
    st.config.stop_signal = collapse(signal);
  } else if (k == "SHELL") {
    if (ins.exec_form->empty()) return Status::error(where(ins) + "the shell cannot be empty");
    st.config.shell = *ins.exec_form;
  } else if (k == "HEALTHCHECK") {
    return healthcheck(ins, st);
  } else if (k == "ONBUILD") {
    observer_.warning(where(ins) + "ONBUILD triggers are not recorded; the line is ignored");
  }
  // MAINTAINER: history only.
  return Status::ok();
}

// A description of a configuration step's effect, for its cache key and history.
std::string config_description(const Instruction& ins, const StageState& st) {
  const runtime::ImageConfig& c = st.config;
  const std::string& k = ins.keyword;
  if (k == "ARG") {
    nlohmann::json args = nlohmann::json::object();
    for (const auto& [name, value] : st.args) args[name] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    return "ARG " + args.dump();
  }
  nlohmann::json config = c.to_json();
  if (k == "ENV") return "ENV " + nlohmann::json(c.env).dump();
  if (k == "LABEL") return "LABEL " + config.value("Labels", nlohmann::json::object()).dump();
  if (k == "USER") return "USER " + c.user;
  if (k == "CMD") return "CMD " + config.value("Cmd", nlohmann::json(nullptr)).dump();
  if (k == "ENTRYPOINT") return "ENTRYPOINT " + config.value("Entrypoint", nlohmann::json(nullptr)).dump() + " CMD " +
                                config.value("Cmd", nlohmann::json(nullptr)).dump();
  if (k == "EXPOSE") return "EXPOSE " + nlohmann::json(c.exposed_ports).dump();
  if (k == "VOLUME") return "VOLUME " + nlohmann::json(c.volumes).dump();
  if (k == "STOPSIGNAL") return "STOPSIGNAL " + c.stop_signal;
  if (k == "SHELL") return "SHELL " + nlohmann::json(c.shell.value_or(kDefaultShell)).dump();
  if (k == "HEALTHCHECK") return "HEALTHCHECK " + config.value("Healthcheck", nlohmann::json(nullptr)).dump();
  return collapse(ins.original);
}

Status Builder::run_instruction(const Stage& stage, const Instruction& ins, StageState& st) {
  BuildStep step{stage.label(), 0, static_cast<int>(stage.steps.size()) + 1, display(ins), ins.line};
  for (size_t i = 0; i < stage.steps.size(); ++i)
    if (stage.steps[i] == &ins) step.number = static_cast<int>(i) + 2;
  observer_.started(step);
  auto began = std::chrono::steady_clock::now();
  bool cached = false;
  Status s;
  if (ins.keyword == "RUN") s = run(ins, st, step, &cached);
  else if (ins.keyword == "COPY" || ins.keyword == "ADD") s = copy(ins, st, &cached);
  else if (ins.keyword == "WORKDIR") s = workdir(ins, st, &cached);
  else if (s = configure(ins, st); s)
    s = cached_or_run(st, config_description(ins, st), [](std::optional<std::string>*) { return Status::ok(); }, &cached);
  if (!s) return Status::error("step " + step.label() + " failed: " + s.message());
  observer_.finished(step, cached, std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  return Status::ok();
}

Status Builder::build(runtime::Image* out) {
  if (request_.tags.empty()) return Status::error("a build needs a name for its image");
  std::error_code ec;
  if (!fs::is_directory(request_.context, ec)) return Status::error("build context " + request_.context + ": not a directory");
  if (Status s = read_dockerfile(); !s) return s;
  remove_stale_scratch();
  for (int index : plan_.order) {
    const Stage& stage = plan_.stages[index];
    BuildStep from{stage.label(), 1, static_cast<int>(stage.steps.size()) + 1, display(*stage.from), stage.from->line};
    observer_.started(from);
    StageState st;
    if (Status s = start_stage(stage, &st); !s) return s;
    observer_.finished(from, false, 0);
    for (const Instruction* ins : stage.steps)
      if (Status s = run_instruction(stage, *ins, st); !s) return s;
    built_[index] = std::move(st);
  }
  for (const auto& [name, value] : request_.build_args)
    if (!consumed_args_.count(name) && !plan_.global_args.count(name))
      observer_.warning("the build arg " + name + " was not consumed: no ARG declares it");

  StageState& final_state = built_.at(plan_.order.back());
  runtime::ImageConfig config = final_state.config;
  for (const auto& [k, v] : request_.labels) config.labels[k] = v;
  nlohmann::json image = {
      {"created", final_state.created.empty() ? runtime::timestamp_now() : final_state.created},
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", config.to_json()},
      {"rootfs", {{"type", "layers"}, {"diff_ids", final_state.diff_ids}}},
      {"history", final_state.history},
  };
  if (Status s = store_.commit(request_.tags.front(), image.dump(), out); !s) return s;
  for (size_t i = 1; i < request_.tags.size(); ++i) {
    runtime::Image tagged;
    if (Status s = store_.tag(request_.tags.front().str(), request_.tags[i], &tagged); !s) return s;
  }
  return Status::ok();
}

}  // namespace

Status build_image(const BuildRequest& request, const BuildPaths& paths, BuildObserver& observer, runtime::Image* out) {
  Builder builder(request, paths, observer);
  return builder.build(out);
}

Status prune_build_cache(const BuildPaths& paths, int* freed) {
  int records = 0;
  if (Status s = BuildCache(paths.state + "/cache").clear(&records); !s) return s;
  std::error_code ec;
  fs::remove_all(paths.state + "/cache-mounts", ec);
  return runtime::ImageStore(paths.images).unpin_all(freed);
}

}  // namespace stack::builder
