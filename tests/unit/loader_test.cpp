#include "schema/loader.h"

#include <gtest/gtest.h>

#include <set>

#include "schema/checks.h"
#include "schema/project.h"
#include "schema/serialize.h"
#include "tests/unit/memory_files.h"

namespace stack::schema {
namespace {

using test_support::MemoryFiles;

LoadedProject load(MemoryFiles& files, LoadOptions options = {}) {
  if (options.working_dir.empty()) options.working_dir = "/p/app";
  return load_project(options, files);
}

TEST(Loader, DiscoversInParentDirectoriesWithOverride) {
  MemoryFiles files;
  files.files["/p/compose.yaml"] = "services: {web: {image: a}}";
  files.files["/p/compose.override.yaml"] = "services: {web: {image: b}}";
  LoadedProject p = load(files);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.files, (std::vector<std::string>{"/p/compose.yaml", "/p/compose.override.yaml"}));
  EXPECT_EQ(p.project_dir, "/p");
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.tree.find("services")->find("web")->find("image")->text(), "b");
}

// --project-directory . and ./x, ../x in bind mounts print as plain paths.
TEST(Loader, PathsAreJoinedWithoutDotSegments) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] = "services: {web: {image: a, volumes: [./conf:/a, ../data/./x:/b, .:/c]}}";
  LoadOptions options;
  options.project_directory = ".";
  LoadedProject p = load(files, options);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.project_dir, "/p/app");
  Project project = build_project(p.tree, p.project_dir);
  ASSERT_EQ(project.services.at(0).mounts.size(), 3u);
  EXPECT_EQ(project.services[0].mounts[0].source, "/p/app/conf");
  EXPECT_EQ(project.services[0].mounts[1].source, "/p/data/x");
  EXPECT_EQ(project.services[0].mounts[2].source, "/p/app");
  EXPECT_EQ(join_path("/", ".."), "/");
  EXPECT_EQ(join_path("/p", "/abs/./x"), "/abs/./x");
}

TEST(Loader, ProjectNamePrecedence) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] = "name: fromfile\nservices: {web: {image: a}}";
  EXPECT_EQ(load(files).name, "fromfile");
  LoadOptions o;
  o.environment["COMPOSE_PROJECT_NAME"] = "Env_Name";
  EXPECT_EQ(load(files, o).name, "env_name");
  o.project_name = "flag";
  EXPECT_EQ(load(files, o).name, "flag");
}

TEST(Loader, NormalizeProjectName) {
  EXPECT_EQ(normalize_project_name("My App.v2"), "myappv2");
  EXPECT_EQ(normalize_project_name("__-x_y"), "x_y");
  EXPECT_EQ(normalize_project_name("!!!"), "");
}

TEST(Loader, DotenvIsUnderTheShell) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] = "services: {web: {image: '${A}-${B}'}}";
  files.files["/p/app/.env"] = "A=dotenv\nB=dotenv\n";
  LoadOptions o;
  o.environment["B"] = "shell";
  LoadedProject p = load(files, o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.tree.find("services")->find("web")->find("image")->text(), "dotenv-shell");
}

TEST(Loader, ErrorsCarryFileLineAndPath) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] = "services:\n  web:\n    image: a\n    ports: ['70000']\n";
  LoadedProject p = load(files);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.diags.all()[0].format(),
            "/p/app/compose.yaml:4:13: services.web.ports[0]: invalid port \"70000\": container port must be a "
            "number or range within 1-65535");
  EXPECT_TRUE(p.tree.is_null());
}

TEST(Loader, TypedProjectFromNormalizedTree) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] = R"(
services:
  web:
    image: nginx
    ports: ["127.0.0.1:8080:80"]
    volumes: ["./html:/html:ro", "data:/data"]
    depends_on: {db: {condition: service_healthy}}
    deploy: {resources: {limits: {memory: 256m, cpus: '0.5'}}}
    restart: on-failure:3
  db:
    image: postgres
    gpus: all
volumes:
  data:
)";
  LoadedProject p = load(files);
  ASSERT_TRUE(p.ok());
  Project project = build_project(p.tree, p.project_dir);
  const ServiceSpec* web = project.service("web");
  ASSERT_NE(web, nullptr);
  ASSERT_EQ(web->ports.size(), 1u);
  EXPECT_EQ(web->ports[0].host_ip, "127.0.0.1");
  EXPECT_EQ(web->ports[0].published, "8080");
  EXPECT_EQ(web->ports[0].target, 80);
  ASSERT_EQ(web->mounts.size(), 2u);
  EXPECT_EQ(web->mounts[0].source, "/p/app/html");
  EXPECT_TRUE(web->mounts[0].read_only);
  EXPECT_EQ(web->mounts[1].type, MountSpec::Type::Volume);
  EXPECT_EQ(web->depends_on.at("db").condition, DependsOnSpec::Condition::Healthy);
  EXPECT_EQ(web->memory_bytes, 256 << 20);
  EXPECT_EQ(web->cpus, 0.5);
  EXPECT_EQ(web->restart.mode, RestartPolicy::Mode::OnFailure);
  EXPECT_EQ(web->restart.max_retries, 3);
  const ServiceSpec* db = project.service("db");
  ASSERT_EQ(db->device_requests.size(), 1u);
  EXPECT_EQ(db->device_requests[0].count, -1);
  EXPECT_EQ(project.networks.size(), 1u);
  EXPECT_EQ(project.networks[0].name, "app_default");
  EXPECT_EQ(project.volumes[0].name, "app_data");
}

TEST(Loader, HashIgnoresReplicasAndKeyOrder) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] =
      "services:\n  a: {image: x, environment: {A: 1, B: 2}, scale: 2}\n  b: {image: x, environment: [B=2, A=1]}\n";
  LoadedProject p = load(files);
  ASSERT_TRUE(p.ok());
  const Node* services = p.tree.find("services");
  EXPECT_EQ(service_config_hash(*services->find("a")), service_config_hash(*services->find("b")));
}

// As Compose: the log settings are part of what a container is created
// with, so changing them recreates it.
TEST(Loader, HashChangesWithTheLogSettings) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] =
      "services:\n"
      "  a: {image: x, logging: {driver: json-file, options: {max-size: 1m, max-file: '3'}}}\n"
      "  b: {image: x, logging: {driver: json-file, options: {max-size: 2m, max-file: '3'}}}\n"
      "  c: {image: x, logging: {driver: none}}\n"
      "  d: {image: x}\n";
  LoadedProject p = load(files);
  ASSERT_TRUE(p.ok());
  const Node* services = p.tree.find("services");
  std::set<std::string> hashes;
  for (const char* name : {"a", "b", "c", "d"}) hashes.insert(service_config_hash(*services->find(name)));
  EXPECT_EQ(hashes.size(), 4u);
}

}  // namespace
}  // namespace stack::schema

namespace stack::schema {
namespace {

// A secret's sources are checked only for a command that makes containers:
// `down` of a project whose secret file is gone still finds the project.
TEST(Loader, SecretSourcesAreCheckedOnlyWhenCreating) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] =
      "services: {db: {image: a, secrets: [pw, {source: token, target: t, mode: 0440}], configs: [c]}}\n"
      "secrets: {pw: {file: ./pw.txt}, token: {environment: TOKEN}}\n"
      "configs: {c: {content: hello}}\n";
  LoadedProject creating = load(files);
  ASSERT_EQ(creating.diags.all().size(), 2u);
  EXPECT_EQ(creating.diags.all()[0].format(), "/p/app/compose.yaml:2:22: secrets.pw.file: secret file /p/app/pw.txt not found (services.db.secrets[0] uses it)");
  EXPECT_EQ(creating.diags.all()[1].format(), "/p/app/compose.yaml:2:54: secrets.token.environment: variable TOKEN is not set (services.db.secrets[1] uses this secret)");
  LoadOptions o;
  o.creating = false;
  LoadedProject reading = load(files, o);
  EXPECT_TRUE(reading.ok());
  EXPECT_TRUE(reading.diags.all().empty());

  files.files["/p/app/pw.txt"] = "hunter2";
  o.creating = true;
  o.environment["TOKEN"] = "tok";
  LoadedProject loaded = load(files, o);
  ASSERT_TRUE(loaded.ok()) << loaded.diags.all()[0].format();
  Project project = build_project(loaded.tree, loaded.project_dir, loaded.environment);
  const ServiceSpec& db = project.services.at(0);
  ASSERT_EQ(db.secrets.size(), 2u);
  EXPECT_EQ(db.secrets[0].target, "/run/secrets/pw");
  EXPECT_FALSE(db.secrets[0].mode);
  EXPECT_EQ(db.secrets[1].target, "/run/secrets/t");
  EXPECT_EQ(db.secrets[1].mode, 0440u);
  EXPECT_EQ(db.configs.at(0).target, "/c");
  EXPECT_EQ(project.secret("pw")->file, "/p/app/pw.txt");
  EXPECT_FALSE(project.secret("pw")->value);
  EXPECT_EQ(project.secret("token")->value, "tok");
  EXPECT_EQ(project.config("c")->value, "hello");
  // The value is the project's, never the tree's: `config` prints the tree.
  EXPECT_EQ(to_yaml(loaded.tree).find("tok\n"), std::string::npos);
}

// --strict fails on a key stack ignores, and on nothing else: an unset
// variable and `version:` stay warnings, as in Compose.
TEST(Loader, StrictFailsOnIgnoredKeysOnly) {
  MemoryFiles files;
  files.files["/p/app/compose.yaml"] = "version: '3'\nservices: {web: {image: \"a${UNSET}\"}}\n";
  LoadOptions o;
  o.strict = true;
  LoadedProject p = load(files, o);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.diags.all().size(), 2u);
  files.files["/p/app/compose.yaml"] = "services: {web: {image: a, pid: host}}\n";
  EXPECT_FALSE(load(files, o).ok());
  o.creating = false;  // only a creating command tells or counts what is ignored
  EXPECT_TRUE(load(files, o).ok());
}

}  // namespace
}  // namespace stack::schema
