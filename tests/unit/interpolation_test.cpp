#include "schema/interpolation.h"

#include <gtest/gtest.h>

#include <map>

namespace stack::schema {
namespace {

VariableLookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string sub(std::string_view text, const VariableLookup& lookup) {
  Interpolation r = interpolate(text, lookup);
  EXPECT_FALSE(r.error) << *r.error;
  return r.value;
}

TEST(Interpolation, PlainAndBracedNames) {
  auto e = env({{"A", "1"}, {"B_2", "two"}});
  EXPECT_EQ(sub("$A-${B_2}-$A.x", e), "1-two-1.x");
  EXPECT_EQ(sub("no variables", e), "no variables");
}

TEST(Interpolation, DefaultsDistinguishUnsetFromEmpty) {
  auto e = env({{"EMPTY", ""}, {"SET", "v"}});
  EXPECT_EQ(sub("${UNSET:-d}", e), "d");
  EXPECT_EQ(sub("${EMPTY:-d}", e), "d");
  EXPECT_EQ(sub("${UNSET-d}", e), "d");
  EXPECT_EQ(sub("${EMPTY-d}", e), "");
  EXPECT_EQ(sub("${SET:-d}", e), "v");
}

TEST(Interpolation, Alternatives) {
  auto e = env({{"EMPTY", ""}, {"SET", "v"}});
  EXPECT_EQ(sub("${SET:+alt}", e), "alt");
  EXPECT_EQ(sub("${EMPTY:+alt}", e), "");
  EXPECT_EQ(sub("${EMPTY+alt}", e), "alt");
  EXPECT_EQ(sub("${UNSET+alt}", e), "");
}

TEST(Interpolation, RequiredVariables) {
  auto e = env({{"EMPTY", ""}});
  Interpolation r = interpolate("${MISSING:?tell me}", e);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, "required variable MISSING is missing a value: tell me");
  r = interpolate("${EMPTY:?}", e);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, "required variable EMPTY is empty");
  EXPECT_EQ(sub("${EMPTY?x}", e), "");
}

TEST(Interpolation, NestedDefaultsAreOnlyEvaluatedWhenUsed) {
  auto e = env({{"B", "b"}});
  EXPECT_EQ(sub("${A:-${B:-c}}", e), "b");
  EXPECT_EQ(sub("${A:-${C:-${D:-deep}}}", e), "deep");
  // The untaken branch neither warns nor fails.
  Interpolation r = interpolate("${B:-${NOPE:?never}}", e);
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.unset.empty());
  EXPECT_EQ(r.value, "b");
}

TEST(Interpolation, DollarEscapes) {
  auto e = env({{"A", "1"}});
  EXPECT_EQ(sub("$$A $${A} $$$A", e), "$A ${A} $1");
}

TEST(Interpolation, UnsetVariablesAreReported) {
  Interpolation r = interpolate("x${A}y$B", env({}));
  EXPECT_EQ(r.value, "xy");
  EXPECT_EQ(r.unset, (std::vector<std::string>{"A", "B"}));
}

TEST(Interpolation, MalformedExpressionsFail) {
  for (const char* bad : {"${", "${A", "${}", "${A:x}", "$", "cost: $5", "${A:-${B}"}) {
    Interpolation r = interpolate(bad, env({}));
    EXPECT_TRUE(r.error) << bad;
  }
}

TEST(Interpolation, TreeKeepsKeysAndRetypesPlainScalars) {
  Diagnostics diags;
  Node root = Node::mapping();
  root.set("${K}", Node::plain("${N}"));
  root.set("q", Node::string("${N}"));
  std::set<std::string> warned;
  interpolate_tree(root, env({{"K", "key"}, {"N", "3"}}), diags, warned);
  ASSERT_NE(root.find("${K}"), nullptr);
  EXPECT_EQ(root.find("${K}")->type(), Node::Type::Int);
  EXPECT_EQ(root.find("q")->type(), Node::Type::String);
  EXPECT_EQ(root.find("q")->text(), "3");
}

}  // namespace
}  // namespace stack::schema
