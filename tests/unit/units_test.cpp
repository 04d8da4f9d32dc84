#include "schema/units.h"

#include <gtest/gtest.h>

namespace stack::schema {
namespace {

constexpr std::int64_t kS = 1'000'000'000;

TEST(Durations, ParseGoSyntax) {
  EXPECT_EQ(parse_duration("1m30s"), 90 * kS);
  EXPECT_EQ(parse_duration("500ms"), kS / 2);
  EXPECT_EQ(parse_duration("1.5h"), 5400 * kS);
  EXPECT_EQ(parse_duration("1h2m3s4ms5us6ns"), 3723 * kS + 4'005'006);
  EXPECT_EQ(parse_duration("10"), 10 * kS);
  EXPECT_EQ(parse_duration("0"), 0);
  EXPECT_EQ(parse_duration("-2s"), -2 * kS);
}

TEST(Durations, RejectGarbage) {
  for (const char* bad : {"", "s", "10 s", "1d", "1..5s", "m5", "1.2.3s", "ten seconds"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(Durations, FormatLikeGo) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(90 * kS), "1m30s");
  EXPECT_EQ(format_duration(kS / 2), "500ms");
  EXPECT_EQ(format_duration(3600 * kS), "1h0m0s");
  EXPECT_EQ(format_duration(1500 * kS / 1000), "1.5s");
  EXPECT_EQ(format_duration(1500), "1.5\xC2\xB5s");
  EXPECT_EQ(format_duration(7), "7ns");
}

TEST(ByteSizes, ParseDockerUnits) {
  EXPECT_EQ(parse_bytes("512m"), 512LL << 20);
  EXPECT_EQ(parse_bytes("1.5GB"), 1536LL << 20);
  EXPECT_EQ(parse_bytes("1g"), 1LL << 30);
  EXPECT_EQ(parse_bytes("100k"), 102400);
  EXPECT_EQ(parse_bytes("2KiB"), 2048);
  EXPECT_EQ(parse_bytes("1024"), 1024);
  EXPECT_EQ(parse_bytes("10b"), 10);
  EXPECT_EQ(parse_bytes("1T"), 1LL << 40);
}

TEST(ByteSizes, RejectGarbage) {
  for (const char* bad : {"", "m", "12x", "1.2.3m", "64mega", "-1m", "1bb"}) EXPECT_FALSE(parse_bytes(bad)) << bad;
}

}  // namespace
}  // namespace stack::schema
