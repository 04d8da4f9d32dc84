#include "builder/build_cache.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "runtime/on_disk.h"

namespace stack::builder {

bool BuildCache::find(const std::string& key, CachedStep* out) const {
  std::optional<std::string> text = runtime::read_whole_file(dir_ + "/" + key + ".json");
  if (!text) return false;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j["created"].is_string()) return false;
  out->created = j["created"].get<std::string>();
  out->diff_id.reset();
  if (j["diff_id"].is_string()) out->diff_id = j["diff_id"].get<std::string>();
  return true;
}

Status BuildCache::store(const std::string& key, const CachedStep& step) const {
  if (Status s = runtime::make_directories(dir_); !s) return s;
  nlohmann::json j = {{"created", step.created}, {"diff_id", nullptr}};
  if (step.diff_id) j["diff_id"] = *step.diff_id;
  return runtime::write_file_atomically(dir_ + "/" + key + ".json", j.dump() + "\n");
}

Status BuildCache::clear(int* removed) const {
  std::error_code ec;
  *removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec))
    if (entry.path().extension() == ".json" && std::filesystem::remove(entry.path(), ec)) ++*removed;
  if (ec && ec != std::errc::no_such_file_or_directory) return Status::error("clearing " + dir_ + ": " + ec.message());
  return Status::ok();
}

}  // namespace stack::builder
