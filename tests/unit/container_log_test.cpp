// ContainerLog: the log a container's runner writes, rotated as Docker's json-file driver rotates it, and read back across its files; LogOptions: the drivers and options as Docker reads them.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/container_log.h"
#include "runtime/log_options.h"

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

class ContainerLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stack-log-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The texts of the whole entries read.
  static std::vector<std::string> read_new(LogReader& reader) {
    std::vector<std::string> texts;
    reader.read_new([&](const LogEntry& e) { texts.push_back(e.text); });
    return texts;
  }
  static std::string line(int n) { return "line " + std::to_string(n) + std::string(40, '.'); }
  static std::vector<std::string> lines(int from, int to) {
    std::vector<std::string> out;
    for (int n = from; n <= to; ++n) out.push_back(line(n));
    return out;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
  std::string path_;
};

TEST(LogRotation, DueWhenTheEntryWouldTakeANonEmptyFilePastItsSize) {
  EXPECT_FALSE(rotation_due(0, 100, -1));
  EXPECT_FALSE(rotation_due(1'000'000, 100, -1));  // unbounded
  EXPECT_FALSE(rotation_due(900, 100, 1000));       // exactly full
  EXPECT_TRUE(rotation_due(901, 100, 1000));
  EXPECT_FALSE(rotation_due(0, 5000, 1000));  // an entry larger than the file goes into an empty one
  EXPECT_EQ(rotated_log_path("/c/log", 0), "/c/log");
  EXPECT_EQ(rotated_log_path("/c/log", 2), "/c/log.2");
}

TEST_F(ContainerLogTest, KeepsMaxFilesEachAtMostMaxSizeWithTheNewestLinesInOrder) {
  LogConfig config;
  config.max_size = 1000;
  config.max_files = 3;
  {
    LogWriter writer;
    ASSERT_TRUE(writer.open(path_, config));
    for (int n = 1; n <= 200; ++n) writer.write(LogStream::Stdout, line(n) + "\n");
  }
  EXPECT_EQ(files(), (std::vector<std::string>{"log", "log.1", "log.2"}));
  for (const std::string& name : files()) EXPECT_LE(fs::file_size(dir_ / name), 1000u) << name;
  LogReader reader(path_);
  std::vector<std::string> read = read_new(reader);
  ASSERT_FALSE(read.empty());
  // What was kept is the newest lines, whole and in order, up to the last.
  int first = std::stoi(read.front().substr(5));
  EXPECT_GT(first, 150);
  EXPECT_EQ(read, lines(first, 200));
}

TEST_F(ContainerLogTest, OneFileDropsTheOldOne) {
  LogConfig config;
  config.max_size = 500;
  config.max_files = 1;
  LogWriter writer;
  ASSERT_TRUE(writer.open(path_, config));
  for (int n = 1; n <= 50; ++n) writer.write(LogStream::Stdout, line(n) + "\n");
  EXPECT_EQ(files(), std::vector<std::string>{"log"});
  EXPECT_LE(fs::file_size(path_), 500u);
}

TEST_F(ContainerLogTest, ARestartedWriterCountsWhatTheFileHasAlready) {
  LogConfig config;
  config.max_size = 1000;
  config.max_files = 2;
  for (int run = 0; run < 3; ++run) {
    LogWriter writer;
    ASSERT_TRUE(writer.open(path_, config));
    for (int n = 1; n <= 15; ++n) writer.write(LogStream::Stdout, line(run * 15 + n) + "\n");
  }
  for (const std::string& name : files()) EXPECT_LE(fs::file_size(dir_ / name), 1000u) << name;
  EXPECT_EQ(files(), (std::vector<std::string>{"log", "log.1"}));
}

TEST_F(ContainerLogTest, AFollowerGoesOnAcrossRotationsWithoutLosingOrRepeatingALine) {
  LogConfig config;
  config.max_size = 1000;
  config.max_files = 4;
  LogWriter writer;
  ASSERT_TRUE(writer.open(path_, config));
  LogReader reader(path_);
  std::vector<std::string> read;
  int written = 0;
  // Up to three rotations between reads (about 11 entries a file): the
  // files after the one being read are read before the new one.
  for (int burst : {5, 30, 20, 5, 25}) {
    for (int i = 0; i < burst; ++i) writer.write(LogStream::Stdout, line(++written) + "\n");
    std::vector<std::string> got = read_new(reader);
    read.insert(read.end(), got.begin(), got.end());
  }
  EXPECT_EQ(read, lines(1, written));
}

// What went through files dropped before the follower came back to them
// is lost, as with Docker; what it holds open and what is kept is not.
TEST_F(ContainerLogTest, AFollowerWhoseFileWasDroppedReadsItsRestThenEveryFileKept) {
  LogConfig config;
  config.max_size = 1000;
  config.max_files = 2;
  LogWriter writer;
  ASSERT_TRUE(writer.open(path_, config));
  LogReader reader(path_);
  writer.write(LogStream::Stdout, line(1) + "\n");
  EXPECT_EQ(read_new(reader), lines(1, 1));
  for (int n = 2; n <= 100; ++n) writer.write(LogStream::Stdout, line(n) + "\n");
  std::vector<std::string> read = read_new(reader);
  ASSERT_GT(read.size(), 10u);
  std::vector<std::string> rest(read.begin(), read.begin() + 10), kept(read.begin() + 10, read.end());
  EXPECT_EQ(rest, lines(2, 11));  // the first file held about 11 entries
  EXPECT_EQ(kept, lines(std::stoi(kept.front().substr(5)), 100));
  EXPECT_GT(kept.size(), 11u) << "both kept files";
}

TEST_F(ContainerLogTest, AnUnboundedLogIsOneFile) {
  LogWriter writer;
  ASSERT_TRUE(writer.open(path_));
  for (int n = 1; n <= 200; ++n) writer.write(LogStream::Stdout, line(n) + "\n");
  EXPECT_EQ(files(), std::vector<std::string>{"log"});
  LogReader reader(path_);
  EXPECT_EQ(read_new(reader), lines(1, 200));
}

TEST(LogOptions, SizesAreDockersDecimalOnes) {
  EXPECT_EQ(parse_log_size("10m"), 10'000'000);
  EXPECT_EQ(parse_log_size("1k"), 1000);
  EXPECT_EQ(parse_log_size("1KiB"), 1000);
  EXPECT_EQ(parse_log_size("1.5k"), 1500);
  EXPECT_EQ(parse_log_size("2g"), 2'000'000'000);
  EXPECT_EQ(parse_log_size("123"), 123);
  EXPECT_EQ(parse_log_size("huge"), std::nullopt);
  EXPECT_EQ(parse_log_size("10x"), std::nullopt);
  EXPECT_EQ(parse_log_size(""), std::nullopt);
}

TEST(LogOptions, DriversAndWhatBecomesOfEachOption) {
  using Kind = LogOptionCheck::Kind;
  EXPECT_TRUE(known_log_driver("json-file"));
  EXPECT_TRUE(known_log_driver("local"));
  EXPECT_TRUE(known_log_driver("none"));
  for (const char* other : {"syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", ""})
    EXPECT_FALSE(known_log_driver(other)) << other;
  EXPECT_EQ(check_log_option("json-file", "max-size", "10m").kind, Kind::Applied);
  EXPECT_EQ(check_log_option("json-file", "max-size", "0").kind, Kind::Refused);
  EXPECT_EQ(check_log_option("json-file", "max-file", "0").kind, Kind::Refused);
  EXPECT_EQ(check_log_option("json-file", "max-file", "three").kind, Kind::Refused);
  EXPECT_EQ(check_log_option("local", "max-file", "3").kind, Kind::Applied);
  EXPECT_EQ(check_log_option("json-file", "compress", "false").kind, Kind::Applied);
  EXPECT_EQ(check_log_option("json-file", "compress", "true").kind, Kind::Ignored);
  EXPECT_EQ(check_log_option("json-file", "compress", "yes").kind, Kind::Refused);
  EXPECT_EQ(check_log_option("json-file", "tag", "{{.Name}}").kind, Kind::Ignored);
  EXPECT_EQ(check_log_option("local", "tag", "x").kind, Kind::Refused);
  EXPECT_EQ(check_log_option("json-file", "max-buffer-size", "1m").kind, Kind::Refused);
  EXPECT_EQ(check_log_option("none", "max-size", "1m").kind, Kind::Ignored);
}

TEST(LogOptions, DefaultsAreTheDrivers) {
  LogConfig c;
  ASSERT_EQ(log_config("", {}, &c), std::nullopt);
  EXPECT_EQ(c.driver, "json-file");
  EXPECT_EQ(c.max_size, -1);
  EXPECT_EQ(c.max_files, 1);
  ASSERT_EQ(log_config("local", {}, &c), std::nullopt);
  EXPECT_EQ(c.max_size, 20'000'000);
  EXPECT_EQ(c.max_files, 5);
  ASSERT_EQ(log_config("local", {{"max-size", "1m"}}, &c), std::nullopt);
  EXPECT_EQ(c.max_size, 1'000'000);
  EXPECT_EQ(c.max_files, 5);
  ASSERT_EQ(log_config("json-file", {{"max-size", "1k"}, {"max-file", "3"}}, &c), std::nullopt);
  EXPECT_EQ(c.max_size, 1000);
  EXPECT_EQ(c.max_files, 3);
  ASSERT_EQ(log_config("none", {}, &c), std::nullopt);
  EXPECT_FALSE(c.kept());
  EXPECT_NE(log_config("json-file", {{"compress", "true"}, {"max-size", "1k"}}, &c), std::nullopt);
}

}  // namespace
}  // namespace stack::runtime
