#include "runtime/user_lookup.h"

#include "runtime/on_disk.h"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace stack::runtime {
namespace {

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t colon; (colon = line.find(':', start)) != std::string::npos; start = colon + 1)
    out.push_back(line.substr(start, colon - start));
  out.push_back(line.substr(start));
  return out;
}

std::optional<uint32_t> number(const std::string& s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<ResolvedUser> resolve_user(const std::string& spec, const std::string& passwd,
                                         const std::string& group, std::string* error) {
  ResolvedUser out;
  std::string user = spec.substr(0, spec.find(':'));
  std::optional<std::string> group_part;
  if (spec.find(':') != std::string::npos) group_part = spec.substr(spec.find(':') + 1);
  if (user.empty()) user = "0";
  std::string user_name;
  bool found = false;
  std::istringstream pw(passwd);
  for (std::string line; std::getline(pw, line);) {
    auto f = fields(line);
    if (f.size() < 7) continue;
    auto uid = number(f[2]);
    if (!uid || !(f[0] == user || (number(user) && *number(user) == *uid))) continue;
    out.uid = *uid;
    out.gid = number(f[3]).value_or(0);
    out.home = f[5].empty() ? "/" : f[5];
    user_name = f[0];
    found = true;
    break;
  }
  if (!found) {
    auto uid = number(user);
    if (!uid) {
      error->assign("unable to find user ").append(user).append(": no matching entries in passwd file");
      return std::nullopt;
    }
    out.uid = *uid;
  }
  std::istringstream gr(group);
  std::vector<std::vector<std::string>> groups;
  for (std::string line; std::getline(gr, line);) {
    auto f = fields(line);
    if (f.size() >= 4 && number(f[2])) groups.push_back(f);
  }
  if (group_part) {
    bool matched = false;
    for (const auto& g : groups) {
      if (g[0] == *group_part || (number(*group_part) && *number(*group_part) == *number(g[2]))) {
        out.gid = *number(g[2]);
        matched = true;
        break;
      }
    }
    if (!matched) {
      auto gid = number(*group_part);
      if (!gid) {
        error->assign("unable to find group ").append(*group_part).append(": no matching entries in group file");
        return std::nullopt;
      }
      out.gid = *gid;
    }
  }
  if (!user_name.empty()) {
    for (const auto& g : groups) {
      std::istringstream members(g[3]);
      for (std::string m; std::getline(members, m, ',');) {
        uint32_t gid = *number(g[2]);
        if (m == user_name && gid != out.gid) out.additional_gids.push_back(gid);
      }
    }
  }
  return out;
}

Status resolve_groups(const std::vector<std::string>& names, const std::string& group, std::vector<uint32_t>* gids) {
  for (const std::string& name : names) {
    std::optional<uint32_t> gid = number(name);
    std::istringstream lines(group);
    for (std::string line; !gid && std::getline(lines, line);) {
      auto f = fields(line);
      if (f.size() >= 3 && f[0] == name) gid = number(f[2]);
    }
    if (!gid) return Status::error("group_add: unable to find group " + name + ": no matching entries in group file");
    gids->push_back(*gid);
  }
  return Status::ok();
}

std::string image_file(const std::vector<std::string>& lower_dirs, const std::string& path) {
  for (const std::string& dir : lower_dirs)
    if (auto text = read_whole_file(dir + path)) return *text;
  return {};
}

Status run_as_user(const std::string& user, const std::vector<std::string>& lower_dirs, ProcessSpec* process) {
  std::string error;
  auto resolved = resolve_user(user.empty() ? "0" : user, image_file(lower_dirs, "/etc/passwd"),
                               image_file(lower_dirs, "/etc/group"), &error);
  if (!resolved) return Status::error(error);
  process->uid = resolved->uid;
  process->gid = resolved->gid;
  process->additional_gids = {resolved->gid};
  for (uint32_t g : resolved->additional_gids) process->additional_gids.push_back(g);
  auto is_home = [](const std::string& e) { return e.rfind("HOME=", 0) == 0; };
  if (std::none_of(process->env.begin(), process->env.end(), is_home)) process->env.push_back("HOME=" + resolved->home);
  return Status::ok();
}

}  // namespace stack::runtime
