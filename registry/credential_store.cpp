#include "registry/credential_store.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "runtime/on_disk.h"

namespace stack::registry {
namespace {

using nlohmann::json;

Status read_config(const std::string& path, json* out) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    *out = json::object();
    return Status::ok();
  }
  std::optional<std::string> text = runtime::read_whole_file(path);
  if (!text) return Status::from_errno("reading " + path);
  *out = json::parse(*text, nullptr, false);
  if (!out->is_object()) return Status::error(path + ": not a JSON object, as Docker's config.json is");
  if (out->contains("auths") && !(*out)["auths"].is_object())
    return Status::error(path + ": \"auths\" is not an object");
  return Status::ok();
}

Status write_config(const std::string& path, const json& config) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::error("creating " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  return runtime::write_file_atomically(path, config.dump(1, '\t') + "\n", 0600);
}

}  // namespace

std::string CredentialStore::path_for(const std::string& docker_config, const std::string& home) {
  if (!docker_config.empty()) return docker_config + "/config.json";
  return (home.empty() ? std::string("/root") : home) + "/.docker/config.json";
}

std::string auths_key(const std::string& host) {
  if (host == "registry-1.docker.io" || host == "docker.io" || host == "index.docker.io")
    return "https://index.docker.io/v1/";
  return host;
}

std::string base64_encode(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding's bytes as data.
  size_t padding = text.empty() ? 0 : (text.back() == '=') + (text.size() > 1 && text[text.size() - 2] == '=');
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

Status CredentialStore::find(const std::string& host, std::optional<Credentials>* out) const {
  out->reset();
  json config;
  if (Status s = read_config(path_, &config); !s) return s;
  json auths = config.value("auths", json::object());
  // Docker also files hosts as URLs ("https://host/v1/"): either form is found.
  std::string key = auths_key(host);
  const json* entry = nullptr;
  for (const auto& [name, value] : auths.items()) {
    std::string bare = name;
    if (bare.rfind("https://", 0) == 0) bare.erase(0, 8);
    else if (bare.rfind("http://", 0) == 0) bare.erase(0, 7);
    bare = bare.substr(0, bare.find('/'));
    if (name == key || (key.find('/') == std::string::npos && bare == key)) {
      entry = &value;
      break;
    }
  }
  if (!entry || !entry->is_object()) return Status::ok();
  if (entry->contains("username") && entry->contains("password")) {
    *out = Credentials{entry->value("username", ""), entry->value("password", "")};
    return Status::ok();
  }
  std::string auth = entry->value("auth", "");
  if (auth.empty()) return Status::ok();  // kept by a credential helper stack does not run
  std::optional<std::string> decoded = base64_decode(auth);
  size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos)
    return Status::error(path_ + ": the login for " + key + " is not base64 of \"user:password\"");
  *out = Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  return Status::ok();
}

Status CredentialStore::store(const std::string& host, const Credentials& credentials) const {
  json config;
  if (Status s = read_config(path_, &config); !s) return s;
  config["auths"][auths_key(host)] = json{{"auth", base64_encode(credentials.username + ":" + credentials.password)}};
  return write_config(path_, config);
}

Status CredentialStore::remove(const std::string& host, bool* removed) const {
  json config;
  if (Status s = read_config(path_, &config); !s) return s;
  *removed = config.contains("auths") && config["auths"].erase(auths_key(host)) > 0;
  return *removed ? write_config(path_, config) : Status::ok();
}

}  // namespace stack::registry
