#include "schema/yaml_reader.h"

#include <gtest/gtest.h>

namespace stack::schema {
namespace {

TEST(YamlReader, KeepsMarksOfKeysAndValues) {
  Diagnostics diags;
  Node root = read_yaml("services:\n  web:\n    image: nginx\n", "c.yaml", diags);
  const Node* image = root.find("services")->find("web")->find("image");
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(image->mark().line, 3);
  EXPECT_EQ(image->mark().column, 12);
  EXPECT_EQ(image->mark().file_name(), "c.yaml");
  EXPECT_EQ(root.find("services")->find("web")->find_entry("image")->key_mark.column, 5);
}

TEST(YamlReader, TypesPlainScalarsAndKeepsQuotedOnesStrings) {
  Diagnostics diags;
  Node root = read_yaml("a: 80\nb: \"80\"\nc: true\nd: 1.5\ne: ~\nf: text\n", "x", diags);
  EXPECT_EQ(root.find("a")->type(), Node::Type::Int);
  EXPECT_EQ(root.find("b")->type(), Node::Type::String);
  EXPECT_EQ(root.find("c")->type(), Node::Type::Bool);
  EXPECT_EQ(root.find("d")->type(), Node::Type::Float);
  EXPECT_TRUE(root.find("e")->is_null());
  EXPECT_EQ(root.find("f")->type(), Node::Type::String);
}

TEST(YamlReader, MergeKeysLetExplicitKeysWin) {
  Diagnostics diags;
  Node root = read_yaml("base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\nm:\n  <<: [*b, *o]\n  x: 9\n", "x", diags);
  const Node* m = root.find("m");
  EXPECT_EQ(m->find("x")->text(), "9");
  EXPECT_EQ(m->find("y")->text(), "2");  // the first merged mapping wins
  EXPECT_EQ(m->find("z")->text(), "4");
  EXPECT_FALSE(diags.has_errors());
}

TEST(YamlReader, DuplicateKeysAreErrors) {
  Diagnostics diags;
  read_yaml("a: 1\nb: 2\na: 3\n", "x.yaml", diags);
  ASSERT_TRUE(diags.has_errors());
  EXPECT_EQ(diags.all()[0].format(), "x.yaml:3:1: a: duplicate key 'a'");
}

TEST(YamlReader, KeepsCustomTags) {
  Diagnostics diags;
  Node root = read_yaml("a: !reset []\nb: !override {c: 1}\n", "x", diags);
  EXPECT_EQ(root.find("a")->tag(), "!reset");
  EXPECT_EQ(root.find("b")->tag(), "!override");
}

TEST(YamlReader, SyntaxErrorsHaveAPosition) {
  Diagnostics diags;
  Node root = read_yaml("a: [1, 2\n", "bad.yaml", diags);
  EXPECT_TRUE(root.is_null());
  ASSERT_TRUE(diags.has_errors());
  EXPECT_EQ(diags.all()[0].mark.line, 2);
}

TEST(YamlReader, AliasExpansionIsBounded) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c)
    bomb += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) +
            ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" +
            char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
  Diagnostics diags;
  read_yaml(bomb, "bomb.yaml", diags);
  EXPECT_TRUE(diags.has_errors());
}

}  // namespace
}  // namespace stack::schema
