// System tests (root) of pulls from a real registry: Debian's
// docker-registry started by each test on the sandbox's loopback with a
// filesystem store of its own, images put there by skopeo (an independent
// client), then pulled by stack into a second store.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

constexpr const char* kRegistry = "127.0.0.1:15000";

class Registry : public Container {
 protected:
  void SetUp() override {
    Container::SetUp();
    if (IsSkipped()) return;
    if (shell("command -v docker-registry && command -v skopeo").rc != 0)
      GTEST_SKIP() << "needs docker-registry and skopeo (scripts/setup installs them)";
    dir_ = root_ / "registry";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_config("");
  }

  // The registry's own config: a filesystem store in the test's directory,
  // and `auth` (a YAML block) when given.
  void write_config(const std::string& auth) {
    std::ofstream(dir_ / "config.yml") << "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: "
                                       << (dir_ / "data").string() << "\nhttp:\n  addr: " << kRegistry << "\n" << auth;
  }

  void TearDown() override {
    if (!IsSkipped()) fs::remove_all(dir_);
    Container::TearDown();
  }

  // SCRIPT in a sandbox where the registry runs (stopped at the end), with
  // $P naming stack on a second, empty store.
  Outcome with_registry(const std::string& script) {
    std::string pulled = (dir_ / "pulled").string();  // no quotes: $P is split into words
    // Logins go to the test's own Docker config, never root's.
    return in_sandbox("ip link set lo up; export DOCKER_CONFIG=" + quote((dir_ / "docker").string()) +
                      "; docker-registry serve " + quote((dir_ / "config.yml").string()) + " >/dev/null 2>&1 & r=$!; "
                      "for i in $(seq 100); do busybox wget -q -O /dev/null http://127.0.0.1:15000/v2/ 2>/dev/null; "
                      "[ $? -eq 0 ] || busybox wget -S -O /dev/null http://127.0.0.1:15000/v2/ 2>&1 | grep -q 401 && break; sleep 0.05; done; "
                      "P=\"env STACK_ROOT=" + pulled + " $S\"; " + script + "; kill $r; wait $r 2>/dev/null; true");
  }

  // Puts the local image NAME in the registry as REPO:TAG, with skopeo
  // (`skopeo_options` such as --dest-creds).
  static std::string push_with_skopeo(const std::string& name, const std::string& repo_tag,
                                      const std::string& skopeo_options = "") {
    return "$S image save " + name + " -o $STACK_ROOT/../push.tar && skopeo copy -q --dest-tls-verify=false " +
           skopeo_options + " oci-archive:$STACK_ROOT/../push.tar docker://" + std::string(kRegistry) + "/" + repo_tag +
           " && rm $STACK_ROOT/../push.tar";
  }

  fs::path dir_;
};

TEST_F(Registry, PullsByTagAndDigestAndStoresASharedLayerOnce) {
  Outcome r = with_registry(
      push_with_skopeo("busybox", "test/base:1") + " && " +
      "printf 'FROM busybox\\nRUN echo layered > /layered\\n' > $STACK_ROOT/../Dockerfile && "
      "$S image build -q -t layered:1 $STACK_ROOT/.. >/dev/null && rm $STACK_ROOT/../Dockerfile && " +
      push_with_skopeo("layered:1", "test/layered:1") + " && "
      "$P image pull 127.0.0.1:15000/test/base:1 2>&1 | grep -c 'Pull complete'; "
      "$P image pull 127.0.0.1:15000/test/layered:1 2>&1 | grep -c -e 'Already exists' -e 'Pull complete'; "
      "$P container run --rm 127.0.0.1:15000/test/layered:1 cat /layered; "
      "d=$(skopeo inspect --tls-verify=false docker://127.0.0.1:15000/test/layered:1 | sed -n 's/.*\"Digest\": \"\\(.*\\)\".*/\\1/p'); "
      "$P image pull -q 127.0.0.1:15000/test/layered@$d; $S image inspect layered:1 | grep '\"Id\"'; "
      "ls " + (dir_ / "pulled/images/layers").string() + " | wc -l");
  ASSERT_EQ(r.rc, 0) << r.err;
  std::istringstream lines(r.out);
  std::string base_pulled, layered_lines, content, pulled_id, built_id;
  std::getline(lines, base_pulled);
  std::getline(lines, layered_lines);
  std::getline(lines, content);
  std::getline(lines, pulled_id);
  std::getline(lines, built_id);
  EXPECT_EQ(base_pulled, "1") << r.out << r.err;
  EXPECT_EQ(layered_lines, "2") << "one layer already there, one pulled: " << r.out;
  EXPECT_EQ(content, "layered");
  // The pulled config is the very one built: the same image ID.
  EXPECT_NE(built_id.find(pulled_id), std::string::npos) << r.out;
  std::string layers;
  std::getline(lines, layers);
  EXPECT_EQ(layers, "2") << "the shared base layer is stored once";
}

TEST_F(Registry, IndexResolvesToLinuxAmd64) {
  // An OCI index with an arm64 entry first, put by hand through the distribution API.
  Outcome r = with_registry(
      push_with_skopeo("busybox", "test/multi:amd64") + " && "
      "m=$(skopeo inspect --raw --tls-verify=false docker://127.0.0.1:15000/test/multi:amd64) && "
      "d=sha256:$(printf %s \"$m\" | sha256sum | cut -d' ' -f1) && n=$(printf %s \"$m\" | wc -c) && "
      "printf '{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%s,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%s,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}' "
      "$d $n $d $n > $STACK_ROOT/../index.json && "
      "python3 -c \"import sys, urllib.request as u; "
      "r = u.Request('http://127.0.0.1:15000/v2/test/multi/manifests/1', data=open(sys.argv[1], 'rb').read(), method='PUT', "
      "headers={'Content-Type': 'application/vnd.oci.image.index.v1+json'}); print(u.urlopen(r).status)\" $STACK_ROOT/../index.json; "
      "$P image pull 127.0.0.1:15000/test/multi:1 2>&1 | grep -c 'Resolved linux/amd64'; "
      "$P container run --rm 127.0.0.1:15000/test/multi:1 echo runs; "
      "$P image pull --platform linux/arm64 127.0.0.1:15000/test/multi:1 2>&1 | grep -c 'Resolved linux/arm64'; "
      "$P image pull --platform linux/s390x 127.0.0.1:15000/test/multi:1; echo rc=$?");
  EXPECT_NE(r.out.find("201\n1\nruns\n1\nrc=1\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("the image has no linux/s390x variant"), std::string::npos) << r.err;
}

TEST_F(Registry, FailuresSayWhatFailedAndStoreNothing) {
  Outcome r = with_registry(
      push_with_skopeo("busybox", "test/base:1") + "; "
      "$P image pull 127.0.0.1:15000/test/missing:1; echo rc=$?; "
      "$P image pull 127.0.0.1:15001/test/base:1; echo rc=$?; "
      // Corrupt the layer blob in the registry's own store: the pull must refuse it.
      "for f in $(find " + quote((dir_ / "data").string()) + " -path '*/blobs/sha256/*/data' -size +100k); do "
      "printf corrupt | dd of=$f bs=1 seek=1000 conv=notrunc 2>/dev/null; done; "
      "$P image pull 127.0.0.1:15000/test/base:1; echo rc=$?; $P image ls | grep -c test/base");
  EXPECT_NE(r.err.find("error: no such image: 127.0.0.1:15000/test/missing:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error: registry 127.0.0.1:15001 is unreachable: http://127.0.0.1:15001/v2/test/base/manifests/1: "
                       "Failed to connect"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("what arrived has the digest sha256:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("; discarded"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "rc=1\nrc=1\nrc=1\n0\n") << r.err;
  std::string leftovers = shell("ls -A " + quote((dir_ / "pulled/images/layers").string()) + " " +
                                quote((dir_ / "pulled/images/.pulls").string()) + " 2>/dev/null | grep -v : | grep -c .").out;
  EXPECT_EQ(leftovers, "0\n") << "a rejected pull left something behind";
}

TEST_F(Registry, UpPullsMissingImagesAsPullPolicySaysAndBuildsPullTheirBase) {
  fs::path project = dir_ / "project";
  fs::create_directories(project / "app");
  std::ofstream(project / "compose.yaml") << "name: pulls\nservices:\n"
      "  web:\n    image: 127.0.0.1:15000/test/base:1\n    command: [\"sleep\", \"30\"]\n"
      "  offline:\n    image: 127.0.0.1:15000/test/other:1\n    pull_policy: never\n    command: [\"true\"]\n    profiles: [offline]\n"
      "  app:\n    build: ./app\n    command: [\"cat\", \"/from-base\"]\n";
  std::ofstream(project / "app/Dockerfile") << "FROM 127.0.0.1:15000/test/base:1\nRUN echo built-on-pulled-base > /from-base\n";
  std::string p = "$P -f " + (project / "compose.yaml").string();
  Outcome r = with_registry(push_with_skopeo("busybox", "test/base:1") + " && " + push_with_skopeo("busybox", "test/other:1") +
                            " && " + p + " up -d 2>&1 | grep -c 'Pull complete'; " +
                            // The one-shot app runs on after `up -d`: ps and its log wait for its end.
                            "i=0; until " + p + " ps -a app | grep -q Exited; do i=$((i+1)); [ $i -lt 200 ] || break; sleep 0.05; done; " +
                            p + " ps --services | sort; " +
                            p + " logs app; " + p + " --profile offline up -d offline >/dev/null; echo never=$?; " + p + " pull -q; echo pull=$?; " +
                            p + " down -t 0 >/dev/null");
  // web's image pulled once (app's base is then there); never does not pull.
  EXPECT_NE(r.out.find("1\nweb\napp-1  | built-on-pulled-base\nnever=1\npull=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("service offline: image 127.0.0.1:15000/test/other:1 is missing and its pull_policy never forbids pulling it"),
            std::string::npos)
      << r.err;
}

TEST_F(Registry, PushedImagesAreReadBySkopeoAndPulledBack) {
  std::string name = std::string(kRegistry) + "/team/app:1";
  Outcome r = with_registry(
      "printf 'FROM busybox\\nRUN echo pushed > /pushed\\n' > $STACK_ROOT/../Dockerfile && "
      "$S image build -q -t " + name + " $STACK_ROOT/.. >/dev/null && rm $STACK_ROOT/../Dockerfile && "
      "$S image push " + name + " 2>&1 | grep -c ' Pushed$'; $S image push " + name + " 2>&1 | grep -c 'Already exists'; "
      // Both layers went up compressed, as Docker pushes them.
      "skopeo inspect --raw --tls-verify=false docker://" + name + " | grep -o 'layer.v1.tar+gzip' | wc -l; "
      "skopeo copy -q --src-tls-verify=false docker://" + name + " oci:$STACK_ROOT/../copied && ls $STACK_ROOT/../copied; "
      "rm -rf $STACK_ROOT/../copied; $P image pull -q " + name + " >/dev/null && $P container run --rm " + name + " cat /pushed");
  // Two layers and the config go up once; the second push sends none of them.
  EXPECT_EQ(r.out, "3\n3\n2\nblobs\nindex.json\noci-layout\npushed\n") << r.err;
}

TEST_F(Registry, LoginsAreAskedForCheckedKeptAndForgotten) {
  // htpasswd auth (bcrypt of "s3cret-pass"): the registry answers with a Basic challenge.
  std::ofstream(dir_ / "htpasswd") << "tester:$2b$04$qg2E7sO0HANytnxDXawJc.NK2mAAcLmCfB6u7YKTAdlyx/2QA3mDi\n";
  write_config("auth:\n  htpasswd:\n    realm: stack-test\n    path: " + (dir_ / "htpasswd").string() + "\n");
  std::string name = std::string(kRegistry) + "/team/private:1";
  Outcome r = with_registry(
      push_with_skopeo("busybox", "team/base:1", "--dest-creds tester:s3cret-pass") + " && "
      "$P image pull 127.0.0.1:15000/team/base:1; echo anonymous=$?; "
      "echo wrong | $P login -u tester --password-stdin 127.0.0.1:15000; echo wrong=$?; ls $DOCKER_CONFIG 2>/dev/null | wc -l; "
      "echo s3cret-pass | $P login -u tester --password-stdin 127.0.0.1:15000; echo login=$?; "
      "grep -c \"$(printf tester:s3cret-pass | base64)\" $DOCKER_CONFIG/config.json; stat -c %a $DOCKER_CONFIG/config.json; "
      "$P image pull -q 127.0.0.1:15000/team/base:1 >/dev/null; echo pull=$?; "
      "printf 'FROM busybox\\nRUN echo private > /private\\n' > $STACK_ROOT/../Dockerfile && "
      "$S image build -q -t " + name + " $STACK_ROOT/.. >/dev/null && rm $STACK_ROOT/../Dockerfile && "
      "$S image push -q " + name + "; echo push=$?; "
      "skopeo inspect --tls-verify=false --creds tester:s3cret-pass docker://" + name + " >/dev/null; echo inspected=$?; "
      "$P logout 127.0.0.1:15000; $P image pull -q " + name + " 2>/dev/null; echo after-logout=$?");
  EXPECT_EQ(r.out, "anonymous=1\nwrong=1\n0\nLogin Succeeded\nlogin=0\n1\n600\npull=0\npush=0\ninspected=0\n"
                   "Removed login credentials for 127.0.0.1:15000\nafter-logout=1\n") << r.err;
  EXPECT_NE(r.err.find("error: registry 127.0.0.1:15000 asks for a login; run `stack login 127.0.0.1:15000`"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error: registry 127.0.0.1:15000 refused the login of tester"), std::string::npos) << r.err;
}

TEST_F(Registry, ABrokenOffDownloadIsResumedWhereItBroke) {
  // A 24 MiB layer: pushed by stack in 16 MiB chunks, then pulled through a
  // proxy that cuts the first 5 responses over 4 MiB. A pull tries 4 times,
  // fails and keeps what arrived; the next one goes on from there.
  std::string log = (dir_ / "proxy.log").string();
  Outcome r = with_registry(
      "head -c 25165824 /dev/urandom > $STACK_ROOT/../big && printf 'FROM busybox\\nCOPY big /big\\n' > $STACK_ROOT/../Dockerfile && "
      "$S image build -q -t 127.0.0.1:15000/test/big:1 $STACK_ROOT/.. >/dev/null && "
      "$S image push 127.0.0.1:15000/test/big:1 2>&1 | grep -c ' Pushed$'; "
      "skopeo copy -q --src-tls-verify=false docker://127.0.0.1:15000/test/big:1 oci:$STACK_ROOT/../copied; echo skopeo=$?; "
      "python3 " BREAKING_PROXY " 15001 15000 4194304 5 " + quote(log) + " & p=$!; "
      "for i in $(seq 100); do busybox wget -q -O /dev/null http://127.0.0.1:15001/v2/ 2>/dev/null && break; sleep 0.05; done; "
      "$P image pull 127.0.0.1:15001/test/big:1; echo first=$?; "
      "ls " + quote((dir_ / "pulled/images/.pulls").string()) + " | grep -c 'partial$'; "
      "$P image pull 127.0.0.1:15001/test/big:1 2>&1 | grep -c 'Pull complete (resumed from 16.8MB)'; "
      "$P container run --rm 127.0.0.1:15001/test/big:1 cat /big | cmp - $STACK_ROOT/../big && echo same; "
      "ls -A " + quote((dir_ / "pulled/images/.pulls").string()) + " | wc -l; "
      "kill $p; rm -rf $STACK_ROOT/../big $STACK_ROOT/../Dockerfile $STACK_ROOT/../copied");
  // Two layers and the config pushed; the second pull goes on from the
  // 16.8 MB (4 cuts of 4 MiB, less the headers) the first one kept.
  EXPECT_EQ(r.out, "3\nskopeo=0\nfirst=1\n1\n1\nsame\n0\n") << r.err;
  EXPECT_NE(r.err.find("transfer closed with "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(tried 4 times; the 1677"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" bytes that arrived are kept, and the next pull goes on from there)"), std::string::npos) << r.err;
  // 3 retries of the first pull, and both requests of the second, ask for the rest only.
  std::string ranges = shell("grep -c '^Range: bytes=' " + quote(log)).out;
  EXPECT_EQ(ranges, "5\n") << shell("cat " + quote(log)).out;
  EXPECT_EQ(shell("grep -c '^cut' " + quote(log)).out, "5\n");
}

TEST_F(Registry, MirrorsServeDockerHubNamesAndPullPolicyDailyPullsOnceADay) {
  fs::path project = dir_ / "project";
  fs::create_directories(project);
  std::ofstream(dir_ / "registries.json")
      << R"({"registry-mirrors": ["http://127.0.0.1:15009", "http://127.0.0.1:15000"]})";
  std::ofstream(project / "compose.yaml") << "name: daily\nservices:\n"
      "  web:\n    image: mirrored:1\n    pull_policy: daily\n    command: [\"true\"]\n";
  std::string p = "$P -f " + (project / "compose.yaml").string();
  std::string times = (dir_ / "pulled/images/pull-times.json").string();
  Outcome r = with_registry(
      "export STACK_REGISTRIES_CONFIG=" + quote((dir_ / "registries.json").string()) + "; " +
      push_with_skopeo("busybox", "library/mirrored:1") + " && "
      "$P image pull mirrored:1 2>&1 | grep -c -e 'Mirror 127.0.0.1:15009 failed' -e 'Pull complete'; " +
      p + " pull -q; " + p + " up 2>&1 | grep -c 'Pull complete'; " +
      "sed -i 's/: [0-9]*/: 1000/' " + quote(times) + "; " + p + " up 2>&1 | grep -c -e 'Already exists'; " +
      p + " down >/dev/null");
  // A mirror that is down is passed over; a fresh pull keeps a daily
  // policy from pulling; one a day old pulls (its layer already there).
  EXPECT_EQ(r.out, "2\n0\n1\n") << r.err;
}

}  // namespace
}  // namespace stack_system_test
