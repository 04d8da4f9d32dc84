// Runs `stack` on each directory of tests/fixtures and compares what it prints.
//
// A fixture directory holds the stack files and:
//   cmd           the arguments after `stack` (default: "config")
//   cwd           a subdirectory to run in (default: the fixture directory)
//   env           KEY=VALUE lines: the whole environment of the run (plus PATH)
//   stdin         what the run reads on standard input (default: nothing)
//   expected.out  standard output, exactly ($FIXTURE stands for the directory,
//                 $FIXTURES for the directory of all fixtures)
//   expected.err  lines that must each appear in standard error
//   absent        lines that must appear in neither output (secrets a run must not print)
//   expected.rc   the exit status (default: 1 with expected.err and no
//                 expected.out, else 0)
// STACK_UPDATE_FIXTURES=1 rewrites expected.out from what the run printed.
#include <gtest/gtest.h>

#include "tests/fixture_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace {

using fixture_files::slurp;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

std::string shell_quote(const std::string& s) { return "'" + replace_all(s, "'", "'\\''") + "'"; }

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(FIXTURES_DIR))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Fixture : public testing::TestWithParam<std::string> {};

TEST_P(Fixture, MatchesExpectedOutput) {
  fs::path dir = fs::path(FIXTURES_DIR) / GetParam();
  std::string args = fs::exists(dir / "cmd") ? slurp(dir / "cmd") : "config";
  while (!args.empty() && (args.back() == '\n' || args.back() == ' ')) args.pop_back();
  std::string environment = "PATH=/usr/bin:/bin HOME=/home/fixture";
  if (fs::exists(dir / "env")) {
    std::istringstream lines(slurp(dir / "env"));
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) environment += " " + shell_quote(line);
  }
  fs::path out_dir = fs::temp_directory_path() / ("stack-fixture-" + GetParam() + "-" + std::to_string(::getpid()));
  fs::create_directories(out_dir);
  std::string in = fs::exists(dir / "stdin") ? (dir / "stdin").string() : "/dev/null";
  fs::path run_dir = dir;
  if (fs::exists(dir / "cwd")) {
    std::string sub = slurp(dir / "cwd");
    while (!sub.empty() && sub.back() == '\n') sub.pop_back();
    run_dir /= sub;
  }
  std::string command = "cd " + shell_quote(run_dir.string()) + " && env -i " + environment + " " STACK_BINARY " " + args +
                        " <" + shell_quote(in) + " >" + shell_quote((out_dir / "out").string()) + " 2>" +
                        shell_quote((out_dir / "err").string());
  int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << command;
  int rc = WEXITSTATUS(status);
  // Paths print the same from any checkout: the fixture is $FIXTURE, the
  // directory of all fixtures $FIXTURES.
  auto portable = [&](const std::string& text) {
    return replace_all(replace_all(text, dir.string(), "$FIXTURE"), FIXTURES_DIR, "$FIXTURES");
  };
  std::string out = portable(slurp(out_dir / "out"));
  std::string err = portable(slurp(out_dir / "err"));
  fs::remove_all(out_dir);

  bool has_out = fs::exists(dir / "expected.out");
  bool has_err = fs::exists(dir / "expected.err");
  int expected_rc = (has_err && !has_out) ? 1 : 0;
  if (fs::exists(dir / "expected.rc")) expected_rc = std::stoi(slurp(dir / "expected.rc"));
  if (std::getenv("STACK_UPDATE_FIXTURES") && (has_out || !has_err)) {
    std::ofstream(dir / "expected.out", std::ios::binary) << out;
    has_out = true;
  }
  EXPECT_EQ(rc, expected_rc) << "stderr:\n" << err;
  if (has_out) {
    EXPECT_EQ(out, slurp(dir / "expected.out")) << "stderr:\n" << err;
  }
  if (has_err) {
    std::istringstream lines(slurp(dir / "expected.err"));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) {
        EXPECT_NE(err.find(line), std::string::npos) << "missing in stderr: " << line << "\nstderr:\n" << err;
      }
    }
  }
  if (fs::exists(dir / "absent")) {
    std::istringstream lines(slurp(dir / "absent"));
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      EXPECT_EQ(err.find(line), std::string::npos) << "printed to stderr: " << line << "\nstderr:\n" << err;
      EXPECT_EQ(out.find(line), std::string::npos) << "printed to stdout: " << line;
    }
  }
  ASSERT_TRUE(has_out || has_err) << "fixture has neither expected.out nor expected.err";
}

INSTANTIATE_TEST_SUITE_P(StackFiles, Fixture, testing::ValuesIn(fixture_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
