// Unit tests of .dockerignore: globs within a segment, **, directories excluding their contents, exceptions, errors.
#include <gtest/gtest.h>

#include <chrono>

#include "builder/dockerignore.h"

namespace stack::builder {
namespace {

DockerIgnore ignore_of(const std::string& text) {
  DockerIgnore d;
  runtime::Status s = DockerIgnore::parse(text, ".dockerignore", &d);
  EXPECT_TRUE(s) << s.message();
  return d;
}

TEST(DockerIgnore, GlobsMatchWithinASegmentAndDoubleStarAcrossThem) {
  EXPECT_TRUE(DockerIgnore::matches("*.pyc", "a.pyc"));
  EXPECT_FALSE(DockerIgnore::matches("*.pyc", "src/a.pyc"));
  EXPECT_TRUE(DockerIgnore::matches("**/*.pyc", "src/deep/a.pyc"));
  EXPECT_TRUE(DockerIgnore::matches("**/*.pyc", "a.pyc"));
  EXPECT_TRUE(DockerIgnore::matches("src/**/test", "src/test"));
  EXPECT_TRUE(DockerIgnore::matches("data/file?.[0-9]", "data/file1.7"));
  EXPECT_FALSE(DockerIgnore::matches("data/file?.[0-9]", "data/file1.x"));
  EXPECT_TRUE(DockerIgnore::matches("/logs/./", "logs"));
  EXPECT_TRUE(DockerIgnore::matches("a\\*b", "a*b"));
  EXPECT_FALSE(DockerIgnore::matches("a\\*b", "axb"));
}

TEST(DockerIgnore, ADirectoryExcludesItsContentsAndTheLastMatchDecides) {
  DockerIgnore d = ignore_of(
      "# build output\n"
      "build\n"
      "**/*.log\n"
      "!important.log\n"
      "data/*\n"
      "!data/keep.csv\n"
      "  \n");
  EXPECT_TRUE(d.excluded("build"));
  EXPECT_TRUE(d.excluded("build/obj/a.o"));
  EXPECT_FALSE(d.excluded("builder/a.o"));
  EXPECT_TRUE(d.excluded("src/run.log"));
  EXPECT_FALSE(d.excluded("important.log"));
  EXPECT_TRUE(d.excluded("data/raw.csv"));
  EXPECT_FALSE(d.excluded("data/keep.csv"));
  EXPECT_FALSE(d.excluded("Dockerfile"));
  EXPECT_TRUE(d.has_exceptions());
  EXPECT_FALSE(ignore_of("*.tmp\n").has_exceptions());
}

// Found by dockerignore_fuzzer: every * (and **) tried at every length took
// exponential time, seconds for 16 of them and hours for 24; now the
// product of the sizes.
TEST(DockerIgnore, ManyStarsMatchInTimeTheProductOfTheSizes) {
  std::string double_stars, deep;
  for (int i = 0; i < 16; ++i) double_stars += "**/", deep += "a/";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(DockerIgnore::matches(std::string(16, '*') + "b", std::string(16, 'a')));
  EXPECT_TRUE(DockerIgnore::matches(std::string(16, '*') + "a", std::string(16, 'a')));
  EXPECT_FALSE(DockerIgnore::matches(double_stars + "b", deep + "c"));
  EXPECT_TRUE(DockerIgnore::matches(double_stars + "c", deep + "c"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // The stars still match what they did.
  EXPECT_TRUE(DockerIgnore::matches("a*b*c", "abxbc"));
  EXPECT_TRUE(DockerIgnore::matches("*a*", "bab"));
  EXPECT_FALSE(DockerIgnore::matches("a*b", "ab/b"));
  EXPECT_TRUE(DockerIgnore::matches("**", "x/y"));
  EXPECT_TRUE(DockerIgnore::matches("a/**/b/**/c", "a/x/b/y/z/c"));
  EXPECT_FALSE(DockerIgnore::matches("a/**/b/**/c", "a/x/c/y/b"));
  EXPECT_FALSE(DockerIgnore::matches("*[", "a["));
}

TEST(DockerIgnore, AnUnclosedBracketIsAnErrorAtItsLine) {
  DockerIgnore d;
  runtime::Status s = DockerIgnore::parse("ok\nfile[0-9\n", ".dockerignore", &d);
  EXPECT_EQ(s.message(), ".dockerignore:2: \"file[0-9\": [ is not closed");
}

}  // namespace
}  // namespace stack::builder
