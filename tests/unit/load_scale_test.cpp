// Loading is linear in the size of the stack file: large mappings, env files and long lines.
#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>

#include "tests/unit/memory_files.h"
#include "schema/dotenv.h"
#include "schema/loader.h"
#include "schema/project.h"
#include "schema/serialize.h"

namespace stack::schema {
namespace {

using test_support::MemoryFiles;

// CPU seconds of this process: the suite runs in parallel with others on
// few cores, and waiting for a core is not the loader's time.
double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// The fastest of `runs` runs of `work`, in CPU seconds.
double fastest(const std::function<void()>& work, int runs = 3) {
  double best = 1e9;
  for (int i = 0; i < runs; ++i) {
    double start = cpu_seconds();
    work();
    best = std::min(best, cpu_seconds() - start);
  }
  return best;
}

#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__)
constexpr bool kOptimizedBuild = true;
#else
constexpr bool kOptimizedBuild = false;  // debug and sanitizer builds are several times slower
#endif

// A service with `n` environment keys and `n` labels, in block style.
std::string service_with_keys(size_t n) {
  std::string text = "services:\n  app:\n    image: busybox\n    environment:\n";
  for (size_t i = 0; i < n; ++i) text += "      KEY_" + std::to_string(i) + ": value" + std::to_string(i) + "\n";
  text += "    labels:\n";
  for (size_t i = 0; i < n; ++i) text += "      com.example.label" + std::to_string(i) + ": v" + std::to_string(i) + "\n";
  return text;
}

// Loads and types the project as every command does; `print` also prints it as `stack config` does.
void load(const std::string& text, size_t expected_keys, bool print = false) {
  MemoryFiles files;
  files.files["/p/compose.yaml"] = text;
  LoadOptions options;
  options.working_dir = "/p";
  LoadedProject p = load_project(options, files);
  ASSERT_TRUE(p.ok()) << p.diags.all().front().format();
  const Node* app = p.tree.find("services")->find("app");
  ASSERT_EQ(app->find("environment")->size(), expected_keys);
  ASSERT_EQ(app->find("labels")->size(), expected_keys);
  Project typed = build_project(p.tree, p.project_dir);
  ASSERT_EQ(typed.services.size(), 1u);
  if (print) {
    EXPECT_FALSE(to_yaml(p.tree).empty());
  }
}

// 20 times the input may take 20 times as long (a few times more, as the
// data outgrows the caches), never the 400 times of a quadratic step.
constexpr double kLinearBound = 200;

// The measure: 100k environment keys and 100k labels load in under
// a second (40k keys took 4.8 s when each key was a linear search).
TEST(LoadScale, HundredThousandEnvironmentKeysAndLabels) {
  std::string small = service_with_keys(5'000);
  std::string large = service_with_keys(100'000);
  double small_seconds = fastest([&] { load(small, 5'000); });
  double large_seconds = fastest([&] { load(large, 100'000); });
  std::printf("5k keys: %.3f s, 100k keys: %.3f s (CPU)\n", small_seconds, large_seconds);
  EXPECT_LT(large_seconds, kOptimizedBuild ? 1.0 : 10.0) << "5k keys: " << small_seconds << " s";
  EXPECT_LT(large_seconds, kLinearBound * small_seconds + 0.25) << "5k keys: " << small_seconds << " s";
}

// `stack config` prints them too (yaml-cpp's emitter is slow, but linear).
TEST(LoadScale, PrintingIsLinear) {
  std::string small = service_with_keys(5'000);
  std::string large = service_with_keys(100'000);
  double small_seconds = fastest([&] { load(small, 5'000, true); });
  double large_seconds = fastest([&] { load(large, 100'000, true); }, 2);
  EXPECT_LT(large_seconds, kLinearBound * small_seconds + 0.25) << "5k keys: " << small_seconds << " s";
}

// A mapping key found among 100k: each lookup must not scan.
TEST(LoadScale, NodeLookupsStayConstant) {
  Node map = Node::mapping();
  for (int i = 0; i < 100'000; ++i) map.set("k" + std::to_string(i), Node::string("v"));
  for (int i = 0; i < 100'000; ++i) map.set("k" + std::to_string(i), Node::string("w"));  // replaces, in place
  ASSERT_EQ(map.size(), 100'000u);
  EXPECT_EQ(map.entries()[5].key, "k5");
  EXPECT_EQ(map.find("k99999")->text(), "w");
  EXPECT_TRUE(map.erase("k5"));
  EXPECT_EQ(map.find("k5"), nullptr);
  EXPECT_EQ(map.find("k6")->text(), "w");
  EXPECT_EQ(map.entries()[5].key, "k6");  // order kept after an erase
  EXPECT_EQ(map.erase_if([](const Entry& e) { return e.key.size() == 2; }), 9u);  // k0..k9 but k5
  EXPECT_EQ(map.find("k7"), nullptr);
  EXPECT_EQ(map.find("k10")->text(), "w");
  Node copy = map;  // a copy has its own index
  copy.set("k10", Node::string("x"));
  EXPECT_EQ(map.find("k10")->text(), "w");
  EXPECT_EQ(copy.find("k10")->text(), "x");
  EXPECT_TRUE(copy == copy);
}

std::string env_file_lines(size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) text += "VAR_" + std::to_string(i) + "=value_" + std::to_string(i) + "\n";
  return text;
}

// An env_file of 200k lines (about 5 MB) loads in about linear time.
TEST(LoadScale, LargeEnvFile) {
  auto load_with_env_file = [](const std::string& env, size_t lines) {
    MemoryFiles files;
    files.files["/p/compose.yaml"] = "services:\n  app:\n    image: busybox\n    env_file: [big.env]\n";
    files.files["/p/big.env"] = env;
    LoadOptions options;
    options.working_dir = "/p";
    LoadedProject p = load_project(options, files);
    ASSERT_TRUE(p.ok()) << p.diags.all().front().format();
    ASSERT_EQ(p.tree.find("services")->find("app")->find("environment")->size(), lines);
  };
  std::string small = env_file_lines(10'000);
  std::string large = env_file_lines(200'000);
  double small_seconds = fastest([&] { load_with_env_file(small, 10'000); });
  double large_seconds = fastest([&] { load_with_env_file(large, 200'000); });
  // Only the growth: an absolute bound on 200k lines failed once under a
  // loaded ctest -j2, where the quadratic loader took over a minute.
  EXPECT_LT(large_seconds, kLinearBound * small_seconds + 0.25) << "10k lines: " << small_seconds << " s";
}

// The project's .env parsed on its own: a later key refers to earlier ones.
TEST(LoadScale, DotenvParsingIsLinear) {
  auto parse = [](const std::string& text) {
    Diagnostics diags;
    EnvList env = parse_dotenv(text, "/p/.env", [](std::string_view) { return std::nullopt; }, diags);
    ASSERT_FALSE(diags.has_errors());
  };
  std::string small = env_file_lines(10'000) + "LAST=${VAR_0}\n";
  std::string large = env_file_lines(200'000) + "LAST=${VAR_0}\n";
  double small_seconds = fastest([&] { parse(small); });
  double large_seconds = fastest([&] { parse(large); }, 2);
  EXPECT_LT(large_seconds, kLinearBound * small_seconds + 0.25) << "10k lines: " << small_seconds << " s";
}

// Merging two files of 20k environment keys and ports each, and
// duplicate-key detection in one mapping of 100k keys.
TEST(LoadScale, MergeAndDuplicateDetection) {
  auto two_files = [](size_t n) {
    std::string base = "services:\n  app:\n    image: busybox\n    environment:\n";
    std::string over = "services:\n  app:\n    environment:\n";
    for (size_t i = 0; i < n; ++i) {
      base += "      - A" + std::to_string(i) + "=1\n";
      over += "      - A" + std::to_string(i * 2) + "=2\n";
    }
    base += "    ports:\n";
    over += "    ports:\n";
    for (size_t i = 0; i < n; ++i) {
      base += "      - \"" + std::to_string(i + 1) + ":80\"\n";
      over += "      - \"" + std::to_string(i * 2 + 1) + ":80\"\n";
    }
    return std::make_pair(base, over);
  };
  auto load_two = [](const std::pair<std::string, std::string>& texts, size_t keys) {
    MemoryFiles files;
    files.files["/p/a.yaml"] = texts.first;
    files.files["/p/b.yaml"] = texts.second;
    LoadOptions options;
    options.working_dir = "/p";
    options.files = {"a.yaml", "b.yaml"};
    LoadedProject p = load_project(options, files);
    ASSERT_TRUE(p.ok()) << p.diags.all().front().format();
    ASSERT_EQ(p.tree.find("services")->find("app")->find("environment")->size(), keys);
  };
  auto small = two_files(1'500);
  auto large = two_files(30'000);
  double small_seconds = fastest([&] { load_two(small, 2'250); });
  double large_seconds = fastest([&] { load_two(large, 45'000); }, 2);
  EXPECT_LT(large_seconds, kLinearBound * small_seconds + 0.25) << "1.5k keys: " << small_seconds << " s";
}

}  // namespace
}  // namespace stack::schema
