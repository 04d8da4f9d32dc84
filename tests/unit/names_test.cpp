// Names: what may become a path or a kernel object, and how errors quote what a file holds.
#include "schema/names.h"

#include <gtest/gtest.h>

#include "schema/diagnostics.h"
#include "schema/dotenv.h"
#include "schema/loader.h"
#include "tests/unit/memory_files.h"

namespace stack::schema {
namespace {

TEST(Names, ResourceKeysFollowTheComposeSpecification) {
  for (const char* ok : {"web", "Web", "a.b", "a_b", "a-b", "1st", "_x", ".hidden", "x."})
    EXPECT_FALSE(resource_key_problem(ok)) << ok;
  for (const char* bad : {"", ".", "..", "../../x", "a/b", "a b", "a:b", "é"})
    EXPECT_TRUE(resource_key_problem(bad)) << bad;
}

TEST(Names, ObjectNamesFollowDocker) {
  for (const char* ok : {"data", "Data", "9lives", "a.b_c-d", "a", "x..y"}) EXPECT_FALSE(object_name_problem(ok)) << ok;
  for (const char* bad : {"", ".", "..", "../../../../srv/data", "/srv/data", "-x", "_x", ".x", "a/b", "a b", "a\\b"})
    EXPECT_TRUE(object_name_problem(bad)) << bad;
  EXPECT_FALSE(object_name_problem(std::string(255, 'a')));
  EXPECT_TRUE(object_name_problem(std::string(256, 'a')));
}

TEST(Names, NetworkNamesFitTheNetworkStore) {
  EXPECT_FALSE(network_name_problem(std::string(64, 'n')));
  EXPECT_NE(network_name_problem(std::string(65, 'n')).value_or("").find("64"), std::string::npos);
  EXPECT_TRUE(network_name_problem("../x"));
}

TEST(Names, ImageReferencesParseAsDocker) {
  for (const char* ok :
       {"busybox", "busybox:1.36", "library/busybox:latest", "registry.local:5000/team/app:1.2",
        "localhost/app", "localhost:5000/a/b/c", "[::1]:5000/app", "a__b/c--d/e.f_g:V1.0-rc_1",
        "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "app:tag@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
    EXPECT_FALSE(image_reference_problem(ok)) << ok;
  for (const char* bad : {"", "Busybox", "a:b:c", "a..b", "-a", "a-", "a/", "/a", "a//b", "x@sha256:123",
                          "app:.tag", "app:", "bad_host:5000x/app", "re gistry/app", "../../etc", "a@md5:00"})
    EXPECT_TRUE(image_reference_problem(bad)) << bad;
  EXPECT_NE(image_reference_problem("Busybox").value_or("").find("lowercase"), std::string::npos);
  EXPECT_TRUE(image_reference_problem("a:" + std::string(129, 't')));
  EXPECT_TRUE(image_reference_problem(std::string(256, 'a')));
}

TEST(Names, SubpathsStayInsideTheVolume) {
  for (const char* ok : {"", "a", "a/b", "a/..b", "...", "a/./b"}) EXPECT_FALSE(subpath_problem(ok)) << ok;
  for (const char* bad : {"/etc", "..", "../x", "a/../..", "a/.."}) EXPECT_TRUE(subpath_problem(bad)) << bad;
}

TEST(Excerpt, ShortTextIsKeptLongTextKeepsBothEnds) {
  EXPECT_EQ(excerpt("short"), "short");
  std::string long_text = std::string(1000, 'a') + "END";
  std::string e = excerpt(long_text, 80);
  EXPECT_LE(e.size(), 80u);
  EXPECT_EQ(e.substr(0, 3), "aaa");
  EXPECT_EQ(e.substr(e.size() - 3), "END");
  EXPECT_NE(e.find("\u2026"), std::string::npos);
  // Never cut inside a UTF-8 character.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\u00e9";
  std::string cut = excerpt(accents, 41);
  for (size_t i = 0; i < cut.size();) {
    unsigned char c = static_cast<unsigned char>(cut[i]);
    ASSERT_NE(c & 0xC0, 0x80) << "a continuation byte starts a character at " << i;
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  }
}

TEST(SourceLines, ShowsTheLineAndACaret) {
  SourceLines lines("services:\n  web:\n    image: Bad\n");
  const std::string* file = intern_file_name("/p/compose.yaml");
  EXPECT_EQ(lines.excerpt(Mark{file, 3, 12}), "        image: Bad\n               ^\n");
  EXPECT_EQ(lines.excerpt(Mark{file, 9, 1}), "");
}

TEST(SourceLines, ALongLineShowsOnlyAWindowAroundTheColumn) {
  std::string line = "x: " + std::string(4 << 20, 'a') + "HERE" + std::string(1000, 'b');
  SourceLines lines(line + "\n");
  const std::string* file = intern_file_name("/p/long.yaml");
  std::string shown = lines.excerpt(Mark{file, 1, static_cast<int>(3 + (4 << 20) + 1)});
  EXPECT_LT(shown.size(), 300u);
  size_t caret_line = shown.find('\n') + 1;
  size_t caret = shown.find('^', caret_line) - caret_line;
  // The caret stands under the 'H' of HERE (counting the ellipsis as one column).
  std::string first_line = shown.substr(0, caret_line - 1);
  size_t here = first_line.find("HERE");
  ASSERT_NE(here, std::string::npos);
  EXPECT_EQ(caret, here - 2);  // the ellipsis is 3 bytes, one column
}

TEST(SourceLines, EnvFilesAreNeverShown) {
  SourceLines lines("root:$6$secret:19000:0:99999:7:::\n");
  const std::string* file = intern_confidential_file_name("/p/shadow.env");
  EXPECT_EQ(lines.excerpt(Mark{file, 1, 1}), "");
  EXPECT_TRUE(file_is_confidential(file));
  EXPECT_FALSE(file_is_confidential(intern_file_name("/p/compose.yaml")));
}

// An env file that is not one (here a shadow file) is refused line by line,
// and no error says anything of what the lines hold.
TEST(Dotenv, ErrorsNeverQuoteTheFile) {
  const std::string secret = "root:$6$c2VjcmV0$hAsHoFtHePaSsWoRd:19000:0:99999:7:::";
  std::string text = secret + "\n" + "daemon:*:19000:0:99999:7:::\n" + "hunter2 is my password\n" + "API_TOKEN=\"unterminated\n";
  Diagnostics diags;
  parse_dotenv(text, "/etc/shadow", [](std::string_view) { return std::nullopt; }, diags);
  ASSERT_TRUE(diags.has_errors());
  ASSERT_GE(diags.all().size(), 3u);
  for (const Diagnostic& d : diags.all()) {
    std::string shown = d.format() + SourceLines(text).excerpt(d.mark);
    for (const char* fragment : {"root", "$6$", "c2Vj", "hAsH", "daemon", "19000", "99999", "hunter2", "password", "API_TOKEN",
                                 "unterminated\""})
      EXPECT_EQ(shown.find(fragment), std::string::npos) << fragment << " in: " << shown;
    EXPECT_EQ(d.format().rfind("/etc/shadow:", 0), 0u) << d.format();
  }
  EXPECT_EQ(diags.all()[0].mark.line, 1);
  EXPECT_EQ(diags.all()[1].mark.line, 2);
  EXPECT_EQ(diags.all()[2].mark.line, 3);
}

TEST(Dotenv, InterpolationErrorsDoNotQuoteTheValue) {
  Diagnostics diags;
  parse_dotenv("TOKEN=${s3cr3t-value\n", "/p/.env", [](std::string_view) { return std::nullopt; }, diags);
  ASSERT_TRUE(diags.has_errors());
  EXPECT_EQ(diags.all()[0].format().find("s3cr3t"), std::string::npos) << diags.all()[0].format();
  EXPECT_EQ(diags.all()[0].format().find("TOKEN"), std::string::npos) << diags.all()[0].format();
}

using test_support::MemoryFiles;

// Every error of a file with one 4 MB line, excerpt included, stays short.
TEST(Diagnostics, AFourMegabyteLineGivesAShortError) {
  std::string big(4 << 20, 'A');
  for (std::string text : {"services: {web: {image: \"" + big + "\"}}\n",
                           "services:\n  web:\n    image: busybox\n    " + big + ": 1\n",
                           "services:\n  web:\n    image: busybox\n    command: \"${" + big + "\"\n",
                           "services:\n  \"" + big + "/..\":\n    image: busybox\n",
                           "volumes:\n  v:\n    name: \"../" + big + "\"\nservices: {web: {image: busybox}}\n"}) {
    MemoryFiles files;
    files.files["/p/compose.yaml"] = text;
    LoadOptions options;
    options.working_dir = "/p";
    LoadedProject p = load_project(options, files);
    ASSERT_FALSE(p.ok());
    SourceLines lines(text);
    for (const Diagnostic& d : p.diags.all()) {
      std::string shown = d.format() + "\n" + lines.excerpt(d.mark);
      EXPECT_LT(shown.size(), 600u) << shown.substr(0, 600);
      EXPECT_EQ(shown.rfind("/p/compose.yaml:", 0), 0u) << shown.substr(0, 200);
    }
  }
}

LoadedProject load_text(const std::string& text, std::map<std::string, std::string> more = {}) {
  MemoryFiles files;
  files.files["/p/compose.yaml"] = text;
  for (auto& [path, content] : more) files.files[path] = content;
  LoadOptions options;
  options.working_dir = "/p";
  return load_project(options, files);
}

// The first error, as "file:line:col: path: message".
std::string first_error(const LoadedProject& p) {
  for (const Diagnostic& d : p.diags.all())
    if (d.severity == Diagnostic::Severity::Error) return d.format();
  return "(no error)";
}

TEST(LoaderNames, TraversalNamesAreRefusedWithTheirPlace) {
  EXPECT_EQ(first_error(load_text("services:\n  web: {image: busybox, volumes: [v:/data]}\n"
                                  "volumes:\n  v:\n    name: ../../../../srv/data\n")),
            "/p/compose.yaml:5:11: volumes.v.name: invalid volume name \"../../../../srv/data\": it must start with "
            "a letter or a digit");
  EXPECT_EQ(first_error(load_text("services:\n  \"../../x\":\n    image: busybox\n")),
            "/p/compose.yaml:2:3: services: invalid service name \"../../x\": it may hold only letters, digits, '_', "
            "'.' and '-'");
  EXPECT_EQ(first_error(load_text("services:\n  web: {image: busybox, networks: [n]}\n"
                                  "networks:\n  n:\n    name: ../n\n")),
            "/p/compose.yaml:5:11: networks.n.name: invalid network name \"../n\": it must start with a letter or a "
            "digit");
  EXPECT_EQ(first_error(load_text("services:\n  web: {image: busybox, container_name: ../x}\n")),
            "/p/compose.yaml:2:41: services.web.container_name: invalid container name \"../x\": it must start with "
            "a letter or a digit");
  EXPECT_EQ(first_error(load_text("services:\n  web: {image: ../../etc}\n")),
            "/p/compose.yaml:2:16: services.web.image: invalid image reference \"../../etc\": it has an invalid "
            "registry host");
  EXPECT_EQ(first_error(load_text("services:\n  web: {image: a/../b}\n")),
            "/p/compose.yaml:2:16: services.web.image: invalid image reference \"a/../b\": it has an invalid name "
            "(lowercase letters and digits separated by '.', '_', '__' or '-', components joined by '/')");
  EXPECT_EQ(first_error(load_text("services:\n  web:\n    image: busybox\n    volumes:\n"
                                  "      - {type: volume, source: ../x, target: /d}\n")),
            "/p/compose.yaml:5:32: services.web.volumes[0].source: invalid volume name \"../x\": it must start with "
            "a letter or a digit");
  EXPECT_EQ(first_error(load_text("services:\n  web:\n    image: busybox\n    volumes:\n"
                                  "      - {type: volume, source: v, target: /d, volume: {subpath: ../..}}\n"
                                  "volumes: {v: {}}\n")),
            "/p/compose.yaml:5:65: services.web.volumes[0].volume.subpath: invalid subpath \"../..\": it must stay "
            "inside the volume (no \"..\")");
  EXPECT_EQ(first_error(load_text("services: {web: {image: busybox}}\nsecrets:\n  s:\n    name: ../s\n    file: ./s\n")),
            "/p/compose.yaml:4:11: secrets.s.name: invalid secret name \"../s\": it must start with a letter or a "
            "digit");
  EXPECT_EQ(first_error(load_text("services: {web: {image: busybox}}\nconfigs:\n  \"a/b\":\n    file: ./c\n")),
            "/p/compose.yaml:3:3: configs: invalid config name \"a/b\": it may hold only letters, digits, '_', '.' "
            "and '-'");
}

// What interpolation and defaults make is checked too, after normalization.
TEST(LoaderNames, MadeNamesAreChecked) {
  MemoryFiles files;
  files.files["/p/compose.yaml"] = "services: {web: {image: busybox, volumes: [v:/d]}}\nvolumes:\n  v:\n    name: ${WHERE}\n";
  LoadOptions options;
  options.working_dir = "/p";
  options.environment["WHERE"] = "../../../../root";
  EXPECT_EQ(first_error(load_project(options, files)),
            "/p/compose.yaml:4:11: volumes.v.name: invalid volume name \"../../../../root\": it must start with a "
            "letter or a digit");
  // An external volume is named by its key, which may start with '.'.
  EXPECT_EQ(first_error(load_text("services: {web: {image: busybox, volumes: [.v:/d]}}\nvolumes:\n  .v: {external: true}\n")),
            "/p/compose.yaml:3:3: volumes..v: the volume would be named \".v\", which must start with a letter or a "
            "digit");
  // <project>_<key> past 64 characters cannot be a network of stack's.
  std::string key(70, 'n');
  EXPECT_EQ(first_error(load_text("services: {web: {image: busybox, networks: [" + key + "]}}\nnetworks:\n  " + key + ": {}\n")),
            "/p/compose.yaml:3:3: networks." + key + ": the network would be named \"p_" + key +
                "\", which is longer than 64 characters, the most stack keeps for a network");
  // A built service with no image is named <project>-<service>, which must be a reference.
  EXPECT_EQ(first_error(load_text("services:\n  Web: {build: .}\n")),
            "/p/compose.yaml:2:3: services.Web: the image built for this service would be named \"p-Web\", which "
            "must be lowercase; name it with image:");
}

TEST(LoaderNames, EdgeCasesDockerAcceptsAreAccepted) {
  LoadedProject p = load_text(
      "services:\n"
      "  1web.v2_x-y:\n"
      "    image: registry.local:5000/team/app_1.x:v1.2-rc_3\n"
      "    container_name: 9.web_x-y\n"
      "    volumes: [data.v_1:/d, \"0v:/e\"]\n"
      "  _sidecar: {image: busybox, networks: [net.x]}\n"
      "volumes:\n"
      "  data.v_1: {name: 1.data_v-x}\n"
      "  0v: {}\n"
      "networks:\n"
      "  net.x: {name: N3t.work_x-y}\n");
  ASSERT_TRUE(p.ok()) << first_error(p);
  EXPECT_EQ(p.tree.find("volumes")->find("0v")->find("name")->text(), "p_0v");
  EXPECT_EQ(p.tree.find("networks")->find("net.x")->find("name")->text(), "N3t.work_x-y");
}

}  // namespace
}  // namespace stack::schema
