#include "runtime/linux/process_table.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "runtime/on_disk.h"

namespace stack::runtime::linux_ {
namespace {

// A pid namespace is one inode of nsfs: two processes share it when their
// ns/pid links stat to the same (device, inode).
bool same_namespace(const struct stat& a, const struct stat& b) { return a.st_ino == b.st_ino && a.st_dev == b.st_dev; }

// The number after `key` ("\nUid:\t0\t0...") in /proc/PID/status.
long status_field(const std::string& status, const char* key) {
  size_t at = status.find(key);
  return at == std::string::npos ? 0 : std::strtol(status.c_str() + at + std::strlen(key), nullptr, 10);
}

}  // namespace

std::vector<ProcessRow> processes_in_pid_namespace_of(pid_t init_pid) {
  std::vector<ProcessRow> rows;
  struct stat want {};
  if (::stat(("/proc/" + std::to_string(init_pid) + "/ns/pid").c_str(), &want) != 0) return rows;
  DIR* proc = ::opendir("/proc");
  if (!proc) return rows;
  std::vector<pid_t> pids;
  while (dirent* e = ::readdir(proc))
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') pids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
  ::closedir(proc);
  std::sort(pids.begin(), pids.end());
  for (pid_t pid : pids) {
    std::string dir = "/proc/" + std::to_string(pid);
    struct stat have {};
    if (::stat((dir + "/ns/pid").c_str(), &have) != 0 || !same_namespace(have, want)) continue;
    std::string status = read_whole_file(dir + "/status").value_or("");
    std::string command = read_whole_file(dir + "/cmdline").value_or("");
    while (!command.empty() && command.back() == '\0') command.pop_back();
    std::replace(command.begin(), command.end(), '\0', ' ');
    rows.push_back({static_cast<uid_t>(status_field(status, "\nUid:")), pid,
                    static_cast<pid_t>(status_field(status, "\nPPid:")), command});
  }
  return rows;
}

}  // namespace stack::runtime::linux_
