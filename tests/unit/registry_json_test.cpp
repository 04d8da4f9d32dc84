// Unit tests of what a pull reads from a registry's JSON: indexes, manifests, configs and token answers, well-formed or not.
#include <gtest/gtest.h>

#include "registry/registry_json.h"

namespace stack::registry {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

TEST(RegistryJson, ASha256DigestIsSixtyFourLowerCaseHexDigits) {
  EXPECT_TRUE(is_sha256_digest(kA));
  EXPECT_TRUE(is_sha256_digest("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_digest("sha512:" + std::string(64, 'a')));
  // A scratch file is named after the digest: no path may pass.
  EXPECT_FALSE(is_sha256_digest("sha256:../../../../../../../../../../../../../../../../etc/passwd.aaaaaaaaa"));
}

TEST(RegistryJson, AnIndexGivesTheDigestOfThePlatformsManifest) {
  std::string index = R"({"manifests": [
      {"digest": ")" + kA + R"(", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
      {"digest": ")" + kB + R"(", "platform": {"os": "linux", "architecture": "amd64"}}]})";
  std::string digest;
  ASSERT_TRUE(choose_platform("app", index, "linux", "amd64", "", &digest));
  EXPECT_EQ(digest, kB);
  ASSERT_TRUE(choose_platform("app", index, "linux", "arm64", "v8", &digest));
  EXPECT_EQ(digest, kA);
  EXPECT_EQ(choose_platform("app", index, "linux", "s390x", "", &digest).message(),
            "app: the image has no linux/s390x variant");
}

TEST(RegistryJson, AnIndexOfTheWrongShapeIsAnErrorNotACrash) {
  std::string digest;
  EXPECT_EQ(choose_platform("app", "not json", "linux", "amd64", "", &digest).message(),
            "app: the image index is not a JSON object");
  EXPECT_EQ(choose_platform("app", "[1, 2]", "linux", "amd64", "", &digest).message(),
            "app: the image index is not a JSON object");
  // Entries, platforms and fields of other types than the index's are passed over.
  for (const char* index : {R"({"manifests": 5})", R"({"manifests": [1, "x", null]})",
                            R"({"manifests": [{"platform": "linux/amd64"}]})",
                            R"({"manifests": [{"platform": {"os": 1, "architecture": ["amd64"]}}]})"})
    EXPECT_EQ(choose_platform("app", index, "linux", "amd64", "", &digest).message(),
              "app: the image has no linux/amd64 variant")
        << index;
  EXPECT_EQ(choose_platform("app", R"({"manifests": [{"digest": 7, "platform": {"os": "linux", "architecture": "amd64"}}]})",
                            "linux", "amd64", "", &digest)
                .message(),
            "app: the image index's linux/amd64 entry has no sha256 digest");
}

TEST(RegistryJson, AManifestGivesItsConfigAndLayersInOrder) {
  std::string body = R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "config": {"digest": ")" + kA + R"(", "size": 10},
      "layers": [{"digest": ")" + kB + R"("}, {"digest": ")" + kC + R"("}, {"digest": ")" + kB + R"("}]})";
  ImageManifest m;
  ASSERT_TRUE(parse_image_manifest("app", body, &m));
  EXPECT_EQ(m.config_digest, kA);
  EXPECT_EQ(m.layer_digests, (std::vector<std::string>{kB, kC, kB}));
  EXPECT_EQ(manifest_media_type(body, "application/json"), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(manifest_media_type("{}", "application/vnd.docker.distribution.manifest.v2+json"),
            "application/vnd.docker.distribution.manifest.v2+json");
}

TEST(RegistryJson, AManifestOfTheWrongShapeOrWithADigestThatIsNoFileNameIsAnError) {
  ImageManifest m;
  EXPECT_EQ(parse_image_manifest("app", "{", &m).message(), "app: the manifest is not a JSON object");
  EXPECT_EQ(parse_image_manifest("app", R"({"config": "x"})", &m).message(), "app: the manifest's config has no sha256 digest");
  EXPECT_EQ(parse_image_manifest("app", R"({"config": {"digest": "sha256:../../x.config"}})", &m).message(),
            "app: the manifest's config has no sha256 digest");
  std::string config = R"("config": {"digest": ")" + kA + R"("})";
  EXPECT_EQ(parse_image_manifest("app", "{" + config + R"(, "layers": [{"digest": ")" + kB + R"("}, 3]})", &m).message(),
            "app: layer 2 has no sha256 digest");
  EXPECT_EQ(parse_image_manifest("app", "{" + config + R"(, "layers": [{"digest": ["x"]}]})", &m).message(),
            "app: layer 1 has no sha256 digest");
  std::string traversal = "sha256:" + std::string(48, '.') + "/etc/passwd.x";
  traversal.resize(71, 'a');
  EXPECT_EQ(parse_image_manifest("app", "{" + config + R"(, "layers": [{"digest": ")" + traversal + R"("}]})", &m).message(),
            "app: layer 1 has no sha256 digest");
  // A mediaType of another type than a string leaves the header's.
  EXPECT_EQ(manifest_media_type(R"({"mediaType": 12})", "application/json"), "application/json");
  EXPECT_EQ(manifest_media_type("[]", "application/json"), "application/json");
}

TEST(RegistryJson, AConfigGivesItsDiffIdsOrSaysWhatIsWrong) {
  std::vector<std::string> ids;
  ASSERT_TRUE(parse_diff_ids("app", R"({"rootfs": {"type": "layers", "diff_ids": [")" + kA + R"(", ")" + kB + R"("]}})", &ids));
  EXPECT_EQ(ids, (std::vector<std::string>{kA, kB}));
  for (const char* config : {"", "[]", R"({"rootfs": 1})", R"({"rootfs": null})", R"({"rootfs": {"diff_ids": {}}})", "{}"})
    EXPECT_EQ(parse_diff_ids("app", config, &ids).message(), "app: its config has no rootfs.diff_ids") << config;
  EXPECT_EQ(parse_diff_ids("app", R"({"rootfs": {"diff_ids": [")" + kA + R"(", 5]}})", &ids).message(),
            "app: its config's diff ID 2 is not a sha256 digest");
}

TEST(RegistryJson, ATokenAnswerGivesTokenElseAccessToken) {
  EXPECT_EQ(token_of_response(R"({"token": "t1", "access_token": "t2"})"), "t1");
  EXPECT_EQ(token_of_response(R"({"access_token": "t2", "expires_in": 300})"), "t2");
  EXPECT_EQ(token_of_response(R"({"token": "", "access_token": "t2"})"), "t2");
  EXPECT_EQ(token_of_response(R"({"token": 5})"), "");
  EXPECT_EQ(token_of_response(R"({"token": {"a": 1}, "access_token": null})"), "");
  EXPECT_EQ(token_of_response("<html>"), "");
  EXPECT_EQ(token_of_response(R"(["token"])"), "");
}

}  // namespace
}  // namespace stack::registry
