// Unit tests of where a reference lives: Docker Hub's defaults, registries with ports, plain HTTP for loopback only.
#include <gtest/gtest.h>

#include "registry/registry_client.h"

namespace stack::registry {
namespace {

RegistryLocation where(const std::string& text, const std::vector<std::string>& insecure = {}) {
  std::string error;
  auto ref = runtime::parse_image_reference(text, &error);
  EXPECT_TRUE(ref) << error;
  return locate(*ref, insecure);
}

TEST(RegistryLocation, DockerHubNamesGetLibraryAndTheRegistryHost) {
  EXPECT_EQ(where("busybox").host, "registry-1.docker.io");
  EXPECT_EQ(where("busybox").repository, "library/busybox");
  EXPECT_EQ(where("team/app:1").repository, "team/app");
  EXPECT_EQ(where("docker.io/library/postgres:16").host, "registry-1.docker.io");
  EXPECT_EQ(where("docker.io/library/postgres:16").repository, "library/postgres");
  EXPECT_EQ(where("busybox").base_url(), "https://registry-1.docker.io/v2/library/busybox");
}

TEST(RegistryLocation, AFirstComponentWithADotOrPortIsTheRegistry) {
  EXPECT_EQ(where("ghcr.io/org/model:1.2").host, "ghcr.io");
  EXPECT_EQ(where("ghcr.io/org/model:1.2").repository, "org/model");
  EXPECT_EQ(where("registry.lan:5000/app").host, "registry.lan:5000");
  EXPECT_EQ(where("localhost/app").host, "localhost");
}

TEST(RegistryLocation, PlainHttpForLoopbackAndListedRegistriesOnly) {
  EXPECT_TRUE(where("localhost/app").plain_http);
  EXPECT_TRUE(where("localhost:5000/app").plain_http);
  EXPECT_TRUE(where("127.0.0.1:5000/app").plain_http);
  EXPECT_FALSE(where("ghcr.io/org/model").plain_http);
  EXPECT_FALSE(where("registry.lan:5000/app").plain_http);
  EXPECT_TRUE(where("registry.lan:5000/app", {"registry.lan:5000"}).plain_http);
  EXPECT_EQ(where("127.0.0.1:5000/app").base_url(), "http://127.0.0.1:5000/v2/app");
}

TEST(RegistryLocation, LoginServersAreHostsWithoutARepository) {
  EXPECT_EQ(locate_registry("", {}).host, "registry-1.docker.io");
  EXPECT_EQ(locate_registry("https://index.docker.io/v1/", {}).host, "registry-1.docker.io");
  EXPECT_EQ(locate_registry("ghcr.io", {}).host, "ghcr.io");
  EXPECT_FALSE(locate_registry("ghcr.io", {}).plain_http);
  EXPECT_TRUE(locate_registry("127.0.0.1:5000", {}).plain_http);
  EXPECT_TRUE(locate_registry("http://registry.lan:5000/", {"registry.lan:5000"}).plain_http);
  EXPECT_EQ(locate_registry("registry.lan:5000", {}).repository, "");
}

}  // namespace
}  // namespace stack::registry
