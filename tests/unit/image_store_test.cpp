#include "runtime/image_store.h"
#include "runtime/layer_unpacker.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace stack::runtime {
namespace {

struct TarEntry {
  TarEntry(std::string p, std::string c = "", mode_t t = AE_IFREG, std::string l = "")
      : path(std::move(p)), content(std::move(c)), type(t), link(std::move(l)) {}
  std::string path;
  std::string content;  // files only
  mode_t type;
  std::string link;  // symlinks and hard links
  la_int64_t uid = 0;
  std::string uname;
};

// Writes a tar (gzip when `gzip`) holding `entries`.
void write_tar(const std::string& path, const std::vector<TarEntry>& entries, bool gzip = false) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const TarEntry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, e.type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_uid(entry, e.uid);
    if (!e.uname.empty()) archive_entry_set_uname(entry, e.uname.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (e.type == AE_IFREG && !e.link.empty()) archive_entry_set_hardlink(entry, e.link.c_str());
    archive_entry_set_size(entry, e.type == AE_IFREG && e.link.empty() ? static_cast<la_int64_t>(e.content.size()) : 0);
    archive_write_header(a, entry);
    if (e.type == AE_IFREG && e.link.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ImageStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stack-image-test-" + std::to_string(::getpid()) + "-" +
                                         testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ImageReference ref(const std::string& text) {
    std::string error;
    auto r = parse_image_reference(text, &error);
    EXPECT_TRUE(r) << error;
    return *r;
  }

  fs::path dir_;
};

TEST_F(ImageStoreTest, ImportStoresVerifiedBlobsAndUnpacksTheLayerOnce) {
  std::string tar = (dir_ / "rootfs.tar.gz").string();
  write_tar(tar, {{"./", "", AE_IFDIR}, {"./etc/", "", AE_IFDIR}, {"./etc/hostname", "box\n"},
                  {"./bin/", "", AE_IFDIR}, {"./bin/sh", "#!binary"}, {"./bin/ash", "", AE_IFLNK, "sh"},
                  {"./bin/hard", "", AE_IFREG, "./bin/sh"}},
            /*gzip=*/true);
  ImageStore store((dir_ / "images").string());
  ImageConfig config;
  ASSERT_TRUE(apply_change(config, "CMD [\"sh\", \"-c\", \"echo hi\"]"));
  ASSERT_TRUE(apply_change(config, "ENV A=1 B=\"two\""));
  Image a, b;
  Status s = store.import_rootfs(tar, ref("box"), config, &a);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(a.reference, "box:latest");
  ASSERT_EQ(a.diff_ids.size(), 1u);
  std::string layer = store.layer_dir(a.diff_ids[0]);
  EXPECT_EQ(slurp(layer + "/etc/hostname"), "box\n");
  EXPECT_EQ(fs::read_symlink(layer + "/bin/ash"), "sh");
  EXPECT_EQ(fs::hard_link_count(layer + "/bin/sh"), 2u);
  // Kept once: unpacked, with no tar blob beside it (only the config and
  // the manifest are blobs); its tar is made again, and checked, on demand.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "images/blobs/sha256"), fs::directory_iterator()), 2);
  std::string made;
  bool scratch = false;
  ASSERT_TRUE(store.layer_tar(a.diff_ids[0], &made, &scratch));
  EXPECT_TRUE(scratch);
  std::string again;
  ASSERT_TRUE(decompress_layer(made, (dir_ / "again.tar").string(), &again));
  EXPECT_EQ("sha256:" + again, a.diff_ids[0]);
  ::unlink(made.c_str());
  EXPECT_EQ(a.config.cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_EQ(a.config.env, (std::vector<std::string>{"A=1", "B=two"}));

  ASSERT_TRUE(store.import_rootfs(tar, ref("box2:v1"), ImageConfig{}, &b));
  EXPECT_EQ(a.diff_ids, b.diff_ids);  // one layer, stored once
  EXPECT_NE(a.config_digest, b.config_digest);
  size_t layers = std::distance(fs::directory_iterator(dir_ / "images/layers"), fs::directory_iterator());
  EXPECT_EQ(layers, 1u);

  std::vector<Image> images;
  ASSERT_TRUE(store.list(&images));
  EXPECT_EQ(images.size(), 2u);
  Image found;
  ASSERT_TRUE(store.find(a.id(), &found));
  EXPECT_EQ(found.reference, "box:latest");

  // Removing one image keeps the shared layer; removing both removes it.
  Image removed;
  ASSERT_TRUE(store.remove("box", &removed));
  EXPECT_TRUE(fs::exists(layer));
  ASSERT_TRUE(store.remove("box2:v1", &removed));
  EXPECT_FALSE(fs::exists(layer));
  EXPECT_TRUE(fs::is_empty(dir_ / "images/blobs/sha256"));
  EXPECT_FALSE(store.find("box", &found));
}

TEST_F(ImageStoreTest, CorruptBlobsAreDetected) {
  std::string tar = (dir_ / "rootfs.tar").string();
  write_tar(tar, {{"file", "data"}});
  ImageStore store((dir_ / "images").string());
  Image image;
  ASSERT_TRUE(store.import_rootfs(tar, ref("x"), ImageConfig{}, &image));
  std::string config_blob = (dir_ / "images/blobs/sha256" / image.config_digest.substr(7)).string();
  std::ofstream(config_blob, std::ios::app) << " ";
  Status s = store.find("x", &image);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("missing or corrupt"), std::string::npos) << s.message();
}

TEST_F(ImageStoreTest, RefusesEntriesOutsideTheLayer) {
  std::string tar = (dir_ / "evil.tar").string();
  write_tar(tar, {{"../escape", "x"}});
  ImageStore store((dir_ / "images").string());
  Image image;
  Status s = store.import_rootfs(tar, ref("evil"), ImageConfig{}, &image);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("leaves the layer"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(dir_ / "escape"));
  EXPECT_TRUE(fs::is_empty(dir_ / "images/layers"));
  EXPECT_TRUE(fs::is_empty(dir_ / "images/blobs/sha256"));
}

TEST_F(ImageStoreTest, LinksOfALayerResolveInsideItAndOwnersKeepTheirNumbers) {
  if (::geteuid() != 0) GTEST_SKIP() << "the chrooted unpack and owners need root (otherwise such entries are refused)";
  // Written through links to / and to ../../..: both land in the layer,
  // as in Docker's chrooted unpack; nothing is made outside it.
  std::string tar = (dir_ / "links.tar").string();
  TarEntry owned("owned", "x");
  owned.uid = 4242;
  owned.uname = "daemon";  // a name the host has (uid 1): the number in the tar wins
  write_tar(tar, {{"root", "", AE_IFLNK, "/"},
                  {"up", "", AE_IFLNK, "../../../../../.."},
                  {"root/tmp/", "", AE_IFDIR},
                  {"root/tmp/through-root", "a"},
                  {"up/through-up", "b"},
                  owned});
  ImageStore store((dir_ / "images").string());
  Image image;
  Status s = store.import_rootfs(tar, ref("links"), ImageConfig{}, &image);
  ASSERT_TRUE(s) << s.message();
  std::string layer = store.layer_dir(image.diff_ids[0]);
  EXPECT_EQ(slurp(layer + "/tmp/through-root"), "a");
  EXPECT_EQ(slurp(layer + "/through-up"), "b");
  EXPECT_FALSE(fs::exists("/tmp/through-root"));
  EXPECT_FALSE(fs::exists(dir_ / "through-up"));
  struct stat st {};
  ASSERT_EQ(::stat((layer + "/owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4242u);
}

TEST_F(ImageStoreTest, WhiteoutsBecomeOverlayWhiteouts) {
  if (::geteuid() != 0) GTEST_SKIP() << "making 0:0 character devices and trusted.* xattrs needs root";
  std::string tar = (dir_ / "layer.tar").string();
  write_tar(tar, {{"etc/", "", AE_IFDIR}, {"etc/.wh.motd", ""}, {"var/", "", AE_IFDIR}, {"var/.wh..wh..opq", ""}});
  ImageStore store((dir_ / "images").string());
  Image image;
  ASSERT_TRUE(store.import_rootfs(tar, ref("wh"), ImageConfig{}, &image));
  std::string layer = store.layer_dir(image.diff_ids[0]);
  struct stat st {};
  ASSERT_EQ(::lstat((layer + "/etc/motd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(layer + "/etc/.wh.motd"));
  char value[4] = {};
  ASSERT_EQ(::getxattr((layer + "/var").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
  EXPECT_EQ(value[0], 'y');
}

TEST_F(ImageStoreTest, SaveThenLoadKeepsTheImage) {
  std::string tar = (dir_ / "rootfs.tar").string();
  write_tar(tar, {{"etc/", "", AE_IFDIR}, {"etc/os-release", "ID=test\n"}});
  ImageStore a((dir_ / "a").string()), b((dir_ / "b").string());
  ImageConfig config;
  ASSERT_TRUE(apply_change(config, "CMD [\"sh\"]"));
  Image original, loaded_image;
  ASSERT_TRUE(a.import_rootfs(tar, ref("team/app:1.0"), config, &original));
  std::string archive = (dir_ / "app.oci.tar").string();
  Status s = a.save_archive("team/app:1.0", archive);
  ASSERT_TRUE(s) << s.message();
  std::vector<Image> loaded;
  s = b.load_archive(archive, &loaded);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].reference, "team/app:1.0");
  EXPECT_EQ(loaded[0].config_digest, original.config_digest);  // the same image ID
  EXPECT_EQ(loaded[0].diff_ids, original.diff_ids);
  EXPECT_EQ(slurp(b.layer_dir(loaded[0].diff_ids[0]) + "/etc/os-release"), "ID=test\n");
}

TEST_F(ImageStoreTest, SkopeoReadsSavedArchivesAndWeLoadItsZstdCopies) {
  if (std::system("command -v skopeo >/dev/null 2>&1") != 0) GTEST_SKIP() << "skopeo not installed (scripts/setup installs it)";
  std::string tar = (dir_ / "rootfs.tar").string();
  write_tar(tar, {{"file", "data"}});
  ImageStore store((dir_ / "images").string());
  Image image;
  ASSERT_TRUE(store.import_rootfs(tar, ref("tool:1"), ImageConfig{}, &image));
  std::string saved = (dir_ / "saved.tar").string(), copy = (dir_ / "copy.tar").string();
  ASSERT_TRUE(store.save_archive("tool:1", saved));
  std::string inspect = "skopeo inspect --raw oci-archive:" + saved + " > " + (dir_ / "raw.json").string();
  ASSERT_EQ(std::system(inspect.c_str()), 0);
  EXPECT_NE(slurp((dir_ / "raw.json").string()).find(image.config_digest), std::string::npos);
  std::string convert = "skopeo copy -q --dest-compress --dest-compress-format zstd oci-archive:" + saved +
                        " oci-archive:" + copy + ":copied >/dev/null";
  ASSERT_EQ(std::system(convert.c_str()), 0);
  std::vector<Image> loaded;
  Status s = ImageStore((dir_ / "other").string()).load_archive(copy, &loaded);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].reference, "copied:latest");
  EXPECT_EQ(loaded[0].diff_ids, image.diff_ids);
}

TEST_F(ImageStoreTest, LoadsDockerSaveArchivesWithCompressedLayers) {
  // A docker save archive: manifest.json, a config, one gzip layer.
  std::string layer = (dir_ / "layer.tar.gz").string();
  write_tar(layer, {{"hello.txt", "hi\n"}}, /*gzip=*/true);
  std::string plain = (dir_ / "layer.tar").string();
  write_tar(plain, {{"hello.txt", "hi\n"}});
  std::string diff_id;
  {
    std::string blob = (dir_ / "blob").string();
    std::string hex;
    ASSERT_TRUE(decompress_layer(layer, blob, &hex));
    diff_id = "sha256:" + hex;
  }
  std::string config = nlohmann::json{{"architecture", "amd64"}, {"os", "linux"}, {"config", {{"Cmd", {"cat", "/hello.txt"}}}},
                                      {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}}.dump();
  std::ifstream layer_in(layer, std::ios::binary);
  std::string layer_bytes((std::istreambuf_iterator<char>(layer_in)), {});
  std::string manifest = nlohmann::json::array({{{"Config", "config.json"}, {"RepoTags", {"hello:v1", "hello:latest"}},
                                                 {"Layers", {"abc/layer.tar"}}}}).dump();
  std::string archive = (dir_ / "save.tar").string();
  write_tar(archive, {{"manifest.json", manifest}, {"config.json", config}, {"abc/", "", AE_IFDIR},
                      {"abc/layer.tar", layer_bytes}});
  ImageStore store((dir_ / "images").string());
  std::vector<Image> loaded;
  Status s = store.load_archive(archive, &loaded);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].reference, "hello:v1");
  EXPECT_EQ(loaded[1].reference, "hello:latest");
  EXPECT_EQ(loaded[0].config.cmd, (std::vector<std::string>{"cat", "/hello.txt"}));

  // A layer that does not match the config's diff ID is refused.
  std::string wrong = nlohmann::json{{"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + std::string(64, '0')}}}}}.dump();
  write_tar(archive, {{"manifest.json", manifest}, {"config.json", wrong}, {"abc/", "", AE_IFDIR}, {"abc/layer.tar", layer_bytes}});
  ImageStore other((dir_ / "other").string());
  s = other.load_archive(archive, &loaded);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("the config says"), std::string::npos) << s.message();
}

TEST(ImageReference, ParsesNamesTagsAndDigests) {
  std::string error;
  auto r = parse_image_reference("registry.local:5000/team/app:1.2", &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->name, "registry.local:5000/team/app");
  EXPECT_EQ(r->tag, "1.2");
  EXPECT_EQ(parse_image_reference("busybox", &error)->str(), "busybox:latest");
  EXPECT_FALSE(parse_image_reference("Busybox", &error));
  EXPECT_FALSE(parse_image_reference("a:b:c", &error));
  EXPECT_FALSE(parse_image_reference("x@sha256:123", &error));
}

TEST(ImageConfigChanges, FollowDockerImport) {
  ImageConfig c;
  ASSERT_TRUE(apply_change(c, "ENTRYPOINT /init --flag"));
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "/init --flag"}));
  ASSERT_TRUE(apply_change(c, "ENV PATH /bin"));
  ASSERT_TRUE(apply_change(c, "ENV PATH=/usr/bin"));
  EXPECT_EQ(c.env, (std::vector<std::string>{"PATH=/usr/bin"}));
  ASSERT_TRUE(apply_change(c, "EXPOSE 80 53/udp"));
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"80/tcp", "53/udp"}));
  EXPECT_FALSE(apply_change(c, "WORKDIR relative"));
  EXPECT_FALSE(apply_change(c, "RUN make"));
}

}  // namespace
}  // namespace stack::runtime
