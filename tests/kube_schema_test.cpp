// Checks that every Kubernetes manifest stack's golden fixtures hold (what
// `stack convert --to kubernetes` must print, byte for byte) is valid for
// the Kubernetes API of a recent release: unknown fields, wrong types,
// values outside an enumeration and missing required fields are errors
// (tests/kube/validate_manifests.mjs, on the npm packages kubernetes-models
// and @kubernetes/client-node that scripts/setup installs).
#include <gtest/gtest.h>

#include "tests/fixture_files.h"
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

using fixture_files::slurp;

struct Validation {
  int rc;
  std::string report;
};

Validation validate(const fs::path& manifests) {
  fs::path report = fs::temp_directory_path() / ("stack-kube-report-" + std::to_string(::getpid()));
  std::string command = "node " KUBE_VALIDATOR " <'" + manifests.string() + "' >'" + report.string() + "' 2>&1";
  int status = std::system(command.c_str());
  Validation v{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(report)};
  fs::remove(report);
  return v;
}

// Validates `manifests` (YAML text): the check must fail, naming each of `errors`.
void expect_refused(const std::string& manifests, std::initializer_list<const char*> errors) {
  fs::path bad = fs::temp_directory_path() / ("stack-kube-bad-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(bad) << manifests;
  Validation v = validate(bad);
  fs::remove(bad);
  EXPECT_EQ(v.rc, 1);
  for (const char* error : errors) EXPECT_NE(v.report.find(error), std::string::npos) << error << " missing from:\n" << v.report;
}

std::vector<std::string> conversion_fixtures() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(FIXTURES_DIR))
    if (fs::exists(entry.path() / "expected.out") &&
        slurp(entry.path() / "cmd").find("convert --to kubernetes") != std::string::npos)
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class KubernetesManifests : public testing::TestWithParam<std::string> {};

TEST_P(KubernetesManifests, AreValidForTheApi) {
  fs::path golden = fs::path(FIXTURES_DIR) / GetParam() / "expected.out";
  Validation v = validate(golden);
  EXPECT_EQ(v.rc, 0) << v.report;
}

INSTANTIATE_TEST_SUITE_P(Convert, KubernetesManifests, testing::ValuesIn(conversion_fixtures()));

// -o DIR writes the same objects as the stream, one file each (KIND-NAME.yaml).
TEST(KubernetesConvert, OutputDirectoryHoldsOneFilePerObject) {
  fs::path fixture = fs::path(FIXTURES_DIR) / "kube_docs_example";
  fs::path out = fs::temp_directory_path() / ("stack-kube-out-" + std::to_string(::getpid()));
  fs::remove_all(out);
  std::string command = "cd '" + fixture.string() + "' && " STACK_BINARY " convert --to kubernetes -o '" + out.string() +
                        "' 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::string stream = slurp(fixture / "expected.out");
  size_t objects = 0;
  for (size_t at = 0; (at = stream.find("---\n", at)) != std::string::npos; at += 4) ++objects;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(out)) files.push_back(e.path());
  EXPECT_EQ(files.size(), objects);
  for (const fs::path& f : files) {
    std::string text = slurp(f);
    EXPECT_NE(stream.find("---\n" + text), std::string::npos) << f << " is not one of the stream's objects";
  }
  EXPECT_TRUE(fs::exists(out / "deployment-api.yaml"));
  EXPECT_TRUE(fs::exists(out / "job-migrate.yaml"));
  EXPECT_TRUE(fs::exists(out / "persistentvolumeclaim-dbdata.yaml"));
  fs::remove_all(out);
}

// The check itself fails on what the API refuses.
TEST(KubernetesValidator, RefusesUnknownFieldsWrongTypesAndMissingRequiredFields) {
  // An unquoted yes is a bool to the API's YAML 1.1 decoder, and env
  // values must be strings.
  expect_refused("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: \"2\"\n  bogus: 1\n"
                 "  template: {spec: {containers: [{image: x, env: [{name: A, value: yes}]}]}}\n"
                 "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: Nodeport, ports: [{port: 80}]}\n",
                 {"Deployment/x.spec.replicas: must be integer", "Deployment/x.spec.bogus: not a field of V1DeploymentSpec",
                  "Deployment/x.spec: must have required property selector",
                  "Deployment/x.spec.template.spec.containers[0]: must have required property name",
                  "Deployment/x.spec.template.spec.containers[0].env[0].value: must be string",
                  "Service/s.spec.type: must be equal to one of the allowed values"});
}

// What the API server validates beyond the schemas fails the check too.
TEST(KubernetesValidator, RefusesWhatTheApiServerRefusesBeyondTheSchemas) {
  expect_refused("apiVersion: v1\nkind: Service\nmetadata: {name: 2fa}\nspec: {ports: [{port: 80}, {port: 70000}]}\n"
                 "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: -x}}\n"
                 "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: api}}\n"
                 "    spec:\n      containers:\n"
                 "        - name: web\n          image: nginx\n"
                 "          ports: [{containerPort: 80, name: a-port-name-too-long}]\n"
                 "          volumeMounts: [{name: data, mountPath: /data}]\n"
                 "          resources: {limits: {memory: 1Gi}, requests: {memory: 2Gi}}\n"
                 "      initContainers: [{name: web, image: busybox}]\n"
                 "---\napiVersion: v1\nkind: Service\nmetadata: {name: 2fa}\nspec: {ports: [{port: 80}]}\n",
                 {"Service/2fa.metadata.name: \"2fa\" is not a DNS-1035 label", "Service/2fa.spec.ports[1].port: must be 1-65535",
                  "Service/2fa.spec.ports[0].name: required when there is more than one port",
                  "Service/2fa: a second object of this kind and name",
                  "Deployment/web.metadata.labels.app: \"-x\" is not a label value",
                  "Deployment/web.spec.template.metadata.labels: does not match the selector's app=web",
                  "Deployment/web.spec.template.spec.containers[0].name: \"web\" twice in the pod",
                  "Deployment/web.spec.template.spec.containers[0].ports[0].name: \"a-port-name-too-long\" is not an IANA "
                  "service name",
                  "Deployment/web.spec.template.spec.containers[0].volumeMounts[0].name: no volume \"data\" in the pod",
                  "Deployment/web.spec.template.spec.containers[0].resources.requests.memory: 2Gi is more than its limit 1Gi"});
}

}  // namespace
