#include "schema/dotenv.h"

#include <gtest/gtest.h>

namespace stack::schema {
namespace {

std::optional<std::string> no_env(std::string_view) { return std::nullopt; }

EnvList parse(std::string_view text, VariableLookup lookup = no_env) {
  Diagnostics diags;
  EnvList out = parse_dotenv(text, ".env", lookup, diags);
  EXPECT_FALSE(diags.has_errors()) << (diags.all().empty() ? "" : diags.all()[0].format());
  return out;
}

TEST(Dotenv, PlainValuesCommentsAndExport) {
  EnvList e = parse("# comment\nA=1\n\nexport B=two words \nC=x # trailing\nD=a#b\n");
  EXPECT_EQ(e, (EnvList{{"A", "1"}, {"B", "two words"}, {"C", "x"}, {"D", "a#b"}}));
}

TEST(Dotenv, Quoting) {
  EnvList e = parse("S='$A \\n raw'\nD=\"a\\tb \\\"q\\\"\"\nM=\"one\ntwo\"\nE=\"\"\n");
  EXPECT_EQ(e, (EnvList{{"S", "$A \\n raw"}, {"D", "a\tb \"q\""}, {"M", "one\ntwo"}, {"E", ""}}));
}

TEST(Dotenv, InterpolatesEarlierKeysAndEnvironmentFirst) {
  auto shell = [](std::string_view n) -> std::optional<std::string> {
    if (n == "HOME") return "/home/me";
    if (n == "A") return "shell";
    return std::nullopt;
  };
  EnvList e = parse("A=file\nB=${A}\nC=${HOME}/x\nD='${A}'\nE=${B:-no}\n", shell);
  EXPECT_EQ(e, (EnvList{{"A", "file"}, {"B", "shell"}, {"C", "/home/me/x"}, {"D", "${A}"}, {"E", "shell"}}));
}

TEST(Dotenv, LaterKeysOverrideEarlierOnes) {
  EXPECT_EQ(parse("A=1\nA=2\n"), (EnvList{{"A", "2"}}));
}

TEST(Dotenv, BareKeyComesFromTheEnvironment) {
  auto shell = [](std::string_view n) -> std::optional<std::string> {
    return n == "SET" ? std::optional<std::string>("yes") : std::nullopt;
  };
  EXPECT_EQ(parse("SET\nUNSET\n", shell), (EnvList{{"SET", "yes"}}));
}

TEST(Dotenv, ErrorsNameTheLine) {
  Diagnostics diags;
  parse_dotenv("A=1\n\nbad key=1\nQ=\"open\n", "x.env", no_env, diags);
  ASSERT_EQ(diags.all().size(), 2u);
  EXPECT_EQ(diags.all()[0].format(), "x.env:3:1: env file line is not KEY=VALUE: expected '=' after the variable name");
  EXPECT_EQ(diags.all()[1].format(), "x.env:4:1: unterminated quoted value in env file");
}

}  // namespace
}  // namespace stack::schema
