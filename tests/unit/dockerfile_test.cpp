// Unit tests of the Dockerfile reader: directives, continuations, comments, forms, flags, heredocs, expansion, errors.
#include <gtest/gtest.h>

#include "builder/dockerfile.h"

namespace stack::builder {
namespace {

Dockerfile parse(const std::string& text) {
  Dockerfile df;
  Status s = parse_dockerfile(text, "Dockerfile", &df);
  EXPECT_TRUE(s) << s.message();
  return df;
}

std::string error_of(const std::string& text) {
  Dockerfile df;
  Status s = parse_dockerfile(text, "Dockerfile", &df);
  return s ? "" : s.message();
}

TEST(Dockerfile, ReadsInstructionsWithTheirLinesContinuationsAndComments) {
  Dockerfile df = parse(
      "# syntax=docker/dockerfile:1\n"
      "ARG BASE=busybox\n"
      "FROM ${BASE} AS build\n"
      "\n"
      "# a comment\n"
      "RUN echo one && \\\n"
      "    # a comment inside\n"
      "\n"
      "    echo two\n"
      "copy --from=build --chown=1:1 a b /dst/\n"
      "CMD [\"sh\", \"-c\", \"echo hi\"]\n"
      "ENTRYPOINT echo not json [\n");
  ASSERT_EQ(df.instructions.size(), 6u);
  EXPECT_EQ(df.instructions[0].keyword, "ARG");
  EXPECT_EQ(df.instructions[1].text, "${BASE} AS build");
  EXPECT_EQ(df.instructions[1].line, 3);
  EXPECT_EQ(df.instructions[2].text, "echo one &&     echo two");
  EXPECT_EQ(df.instructions[2].line, 6);
  const Instruction& copy = df.instructions[3];
  EXPECT_EQ(copy.keyword, "COPY");
  EXPECT_EQ(copy.flags.at("from"), "build");
  EXPECT_EQ(copy.flags.at("chown"), "1:1");
  EXPECT_EQ(split_words(copy.text), (std::vector<std::string>{"a", "b", "/dst/"}));
  EXPECT_EQ(df.instructions[4].exec_form, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_FALSE(df.instructions[5].exec_form);  // not a JSON array: the shell form
}

TEST(Dockerfile, TheEscapeDirectiveChangesTheContinuationCharacter) {
  Dockerfile df = parse("# escape=`\nFROM scratch\nCOPY a `\n  c:\\dir\\\n");
  EXPECT_EQ(df.escape, '`');
  EXPECT_EQ(df.instructions[1].text, "a   c:\\dir\\");
  EXPECT_EQ(error_of("# escape=x\nFROM scratch\n"), "Dockerfile:1: escape must be \\ or `, not \"x\"");
  // A directive after the first instruction is a comment.
  EXPECT_EQ(parse("FROM scratch\n# escape=`\nCOPY a \\\n b\n").instructions[1].text, "a  b");
}

TEST(Dockerfile, HeredocsAreReadUntilTheirDelimiter) {
  Dockerfile df = parse("FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-'CONF' /etc/app.conf\n\tkey=$value\n\tCONF\nCMD true\n");
  ASSERT_EQ(df.instructions.size(), 4u);
  ASSERT_EQ(df.instructions[1].heredocs.size(), 1u);
  EXPECT_EQ(df.instructions[1].heredocs[0].content, "echo one\necho two\n");
  const Heredoc& conf = df.instructions[2].heredocs.at(0);
  EXPECT_EQ(conf.name, "CONF");
  EXPECT_EQ(conf.content, "key=$value\n");
  EXPECT_FALSE(conf.expand);
  EXPECT_EQ(df.instructions[3].line, 9);
  EXPECT_EQ(error_of("FROM busybox\nRUN <<EOF\necho\n"), "Dockerfile:2: the here-document <<EOF is not closed");
  EXPECT_TRUE(parse("FROM busybox\nRUN echo a<<b\n").instructions[1].heredocs.empty());
}

TEST(Dockerfile, ErrorsNameTheFileLineAndWhat) {
  EXPECT_EQ(error_of("FROM busybox\nRUNN echo\n"), "Dockerfile:2: unknown instruction RUNN (did you mean RUN?)");
  EXPECT_EQ(error_of("FROM busybox\nWORKDIR --from=x /a\n"), "Dockerfile:2: WORKDIR does not take the flag --from");
  EXPECT_EQ(error_of("FROM busybox\nCOPY --form=x a b\n"), "Dockerfile:2: COPY does not take the flag --form");
  EXPECT_EQ(error_of("FROM busybox\nWORKDIR\n"), "Dockerfile:2: WORKDIR needs arguments");
  EXPECT_EQ(error_of("RUN true\nFROM busybox\n"), "Dockerfile:1: RUN comes before any FROM (only ARG may)");
  EXPECT_EQ(error_of("# just a comment\n"), "Dockerfile: no FROM instruction");
  EXPECT_EQ(error_of("FROM busybox\nSHELL /bin/bash -c\n"), "Dockerfile:2: SHELL takes a JSON array: SHELL [\"/bin/sh\", \"-c\"]");
}

TEST(Dockerfile, PairsInNewAndLegacyForms) {
  std::vector<std::pair<std::string, std::string>> pairs;
  ASSERT_TRUE(parse_pairs("A=1 B=\"two words\" C='x y' D=a\\ b", '\\', true, &pairs));
  EXPECT_EQ(pairs, (std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "two words"}, {"C", "x y"}, {"D", "a b"}}));
  ASSERT_TRUE(parse_pairs("PATH /usr/local/bin:/usr/bin", '\\', true, &pairs));
  EXPECT_EQ(pairs.at(0), (std::pair<std::string, std::string>{"PATH", "/usr/local/bin:/usr/bin"}));
  Status s = parse_pairs("A=1 B", '\\', true, &pairs);
  EXPECT_EQ(s.message(), "\"B\" is not KEY=VALUE");
}

TEST(Dockerfile, ExpansionAsDockerDoesIt) {
  auto lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "NAME") return std::string("app");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
  };
  auto expand = [&](const std::string& text) {
    std::string out;
    Status s = expand_words(text, '\\', lookup, &out);
    return s ? out : "error: " + s.message();
  };
  EXPECT_EQ(expand("/srv/$NAME/${NAME}.conf"), "/srv/app/app.conf");
  EXPECT_EQ(expand("${UNSET:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt} ${NAME:+set} ${UNSET:+set}"), "dflt dflt  set ");
  EXPECT_EQ(expand("\\$NAME '$NAME' \"$NAME\" $ 5$"), "$NAME '$NAME' \"app\" $ 5$");
  EXPECT_EQ(expand("${NAME"), "error: \"${NAME\": ${ is not closed");
  EXPECT_EQ(expand("${NAME/a/b}"), "error: \"${NAME/a/b}\": only the :- :+ - + modifiers are supported");
  // A colon with no modifier after it (found by dockerfile_fuzzer: it threw std::out_of_range).
  EXPECT_EQ(expand("${NAME:}"), "error: \"${NAME:}\": only the :- :+ - + modifiers are supported");
  EXPECT_EQ(split_words(expand("\"$NAME dir\" b")), (std::vector<std::string>{"app dir", "b"}));
}

}  // namespace
}  // namespace stack::builder
