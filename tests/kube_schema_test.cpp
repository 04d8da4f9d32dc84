// Checks that every Kubernetes manifest stack's golden fixtures hold (what
// `stack convert --to kubernetes` must print, byte for byte) is valid for
// the Kubernetes API: unknown fields, wrong types and missing required
// fields are errors (tests/kube/validate_manifests.py, on Debian's
// python3-kubernetes models).
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

// Debian's python, where python3-kubernetes is installed (not a pyenv's).
std::string python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

struct Validation {
  int rc;
  std::string report;
};

Validation validate(const fs::path& manifests) {
  fs::path report = fs::temp_directory_path() / ("stack-kube-report-" + std::to_string(::getpid()));
  std::string command = python() + " " KUBE_VALIDATOR " <'" + manifests.string() + "' >'" + report.string() + "' 2>&1";
  int status = std::system(command.c_str());
  Validation v{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(report)};
  fs::remove(report);
  return v;
}

std::vector<std::string> conversion_fixtures() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(FIXTURES_DIR))
    if (fs::exists(entry.path() / "cmd") && slurp(entry.path() / "cmd").find("convert --to kubernetes") != std::string::npos)
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class KubernetesManifests : public testing::TestWithParam<std::string> {};

TEST_P(KubernetesManifests, AreValidForTheApi) {
  fs::path golden = fs::path(FIXTURES_DIR) / GetParam() / "expected.out";
  ASSERT_TRUE(fs::exists(golden)) << golden;
  Validation v = validate(golden);
  if (v.rc == 77) GTEST_SKIP() << v.report;
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
  fs::path bad = fs::temp_directory_path() / ("stack-kube-bad-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(bad) << "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: \"2\"\n  bogus: 1\n"
                        "  template: {spec: {containers: [{image: x}]}}\n";
  Validation v = validate(bad);
  fs::remove(bad);
  if (v.rc == 77) GTEST_SKIP() << v.report;
  EXPECT_EQ(v.rc, 1);
  EXPECT_NE(v.report.find("Deployment/x.spec.replicas: expected an integer"), std::string::npos) << v.report;
  EXPECT_NE(v.report.find("Deployment/x.spec.bogus: not a field of V1DeploymentSpec"), std::string::npos) << v.report;
  EXPECT_NE(v.report.find("Invalid value for `name`, must not be `None`"), std::string::npos) << v.report;
  EXPECT_NE(v.report.find("Invalid value for `selector`, must not be `None`"), std::string::npos) << v.report;
}

}  // namespace
