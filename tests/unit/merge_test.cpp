#include "schema/merge.h"

#include <gtest/gtest.h>

#include "schema/serialize.h"
#include "schema/yaml_reader.h"

namespace stack::schema {
namespace {

Node yaml(const char* text) {
  Diagnostics diags;
  Node n = read_yaml(text, "t", diags);
  EXPECT_FALSE(diags.has_errors());
  return n;
}

std::string merged_service(const char* base, const char* over) {
  Node b = yaml(base), o = yaml(over);
  Diagnostics diags;
  merge_service(b, o, "services.s", diags);
  EXPECT_FALSE(diags.has_errors());
  return to_json(b, -1);
}

TEST(Merge, MappingsMergeDeeplyAndScalarsReplace) {
  EXPECT_EQ(merged_service("image: a\ndeploy: {resources: {limits: {cpus: 1, memory: 1g}}}",
                           "image: b\ndeploy: {resources: {limits: {memory: 2g}}}"),
            R"({"deploy":{"resources":{"limits":{"cpus":1,"memory":"2g"}}},"image":"b"})");
}

TEST(Merge, CommandEntrypointAndTestReplace) {
  EXPECT_EQ(merged_service("command: [a, b]\nentrypoint: [x]\nhealthcheck: {test: [CMD, a], retries: 2}",
                           "command: [c]\nentrypoint: [y, z]\nhealthcheck: {test: [CMD, b]}"),
            R"({"command":["c"],"entrypoint":["y","z"],"healthcheck":{"retries":2,"test":["CMD","b"]}})");
}

TEST(Merge, MapLikeListsMergeAsMaps) {
  EXPECT_EQ(merged_service("environment: [A=1, B=2]\nlabels: {x: 1}", "environment: {B: 3}\nlabels: [y=2]"),
            R"({"environment":{"A":"1","B":3},"labels":{"x":1,"y":"2"}})");
}

TEST(Merge, PortsDeduplicateAndVolumesMergeByTarget) {
  EXPECT_EQ(merged_service("ports: ['80:80', '443:443']\nvolumes: ['./a:/data', 'v:/v']",
                           "ports: ['80:80', '81:81']\nvolumes: [{type: bind, source: ./b, target: /data}, /new]"),
            R"({"ports":["80:80","443:443","81:81"],"volumes":[{"source":"./b","target":"/data","type":"bind"},"v:/v","/new"]})");
}

TEST(Merge, OtherListsAppendUnique) {
  EXPECT_EQ(merged_service("dns: 1.1.1.1\ncap_add: [A]", "dns: [1.1.1.1, 8.8.8.8]\ncap_add: [A, B]"),
            R"({"cap_add":["A","B"],"dns":["1.1.1.1","8.8.8.8"]})");
}

TEST(Merge, ResetAndOverrideTags) {
  EXPECT_EQ(merged_service("ports: ['80:80']\nenvironment: {A: 1, B: 2}\nimage: x",
                           "ports: !reset []\nenvironment: !override {C: 3}"),
            R"({"environment":{"C":3},"image":"x"})");
}

TEST(Merge, ProjectsMergeServicesByName) {
  Node b = yaml("services: {a: {image: x}}\nvolumes: {v: {}}");
  Node o = yaml("services: {a: {command: [run]}, b: {image: y}}\nvolumes: {w: {}}");
  Diagnostics diags;
  merge_project(b, o, diags);
  EXPECT_EQ(to_json(b, -1),
            R"({"services":{"a":{"command":["run"],"image":"x"},"b":{"image":"y"}},"volumes":{"v":{},"w":{}}})");
}

}  // namespace
}  // namespace stack::schema
