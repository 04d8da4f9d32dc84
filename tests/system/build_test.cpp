// System tests (root) of image builds: Dockerfiles built from local build
// contexts on the busybox image, RUN steps in real containers, the layer
// cache, multi-stage builds, and compose services with `build:`.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class Build : public Container {
 protected:
  void SetUp() override {
    Container::SetUp();
    if (IsSkipped()) return;
    ctx_ = root_ / ("ctx-" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(ctx_);
    fs::create_directories(ctx_);
  }

  void TearDown() override {
    if (!IsSkipped()) {
      // Nothing of a build outlives it: no scratch directory, no mount (the fixture checks mounts).
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(root_ / "state/builder/tmp", ec))
        ADD_FAILURE() << "a build's scratch directory leaked: " << e.path();
      fs::remove_all(ctx_);
    }
    Container::TearDown();
  }

  void write(const std::string& path, const std::string& text) {
    fs::create_directories((ctx_ / path).parent_path());
    std::ofstream(ctx_ / path) << text;
  }

  Outcome build(const std::string& args) {
    return in_sandbox("$S image build --progress plain " + args + " " + quote(ctx_.string()));
  }

  // The step lines of a build's output ("[stage n/m] ..."), FROM lines left out.
  static std::vector<std::string> steps(const std::string& err) {
    std::vector<std::string> out;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("[", 0) == 0 && line.find("] FROM ") == std::string::npos &&
          (line.find("CACHED") != std::string::npos || line.find(" DONE ") != std::string::npos))
        out.push_back(line);
    return out;
  }

  static bool cached(const std::string& step_line) {
    return step_line.size() >= 6 && step_line.compare(step_line.size() - 6, 6, "CACHED") == 0;
  }

  fs::path ctx_;
};

TEST_F(Build, BuiltLayersAreStoredOnceAndTheirTarsMadeAgainForSave) {
  // Steps whose layers hold a deletion (whiteout), a link, a fifo, an
  // opaque directory and a file: each is kept only unpacked (a size file,
  // no tar blob), and `image save` makes their tars again, checked, for
  // skopeo to read.
  write("Dockerfile",
        "FROM busybox\n"
        "RUN rm /etc/group && mkdir -p /x && echo hi > /x/y && ln -s /x /z && mkfifo /f\n"
        "RUN rm -rf /x && mkdir /x && echo again > /x/w\n"
        "COPY Dockerfile /copied\n");
  Outcome b = build("-q -t once:1");
  ASSERT_EQ(b.rc, 0) << b.err;
  Outcome r = in_sandbox(
      "ls $STACK_ROOT/images/sizes | wc -l; "
      "for l in $($S image inspect once:1 | grep -o 'sha256:[0-9a-f]*' | sort -u); do "
      "  [ -e $STACK_ROOT/images/blobs/sha256/${l#sha256:} ] && [ -e $STACK_ROOT/images/sizes/${l#sha256:} ] && echo both; done; "
      "$S image save once:1 -o $STACK_ROOT/../once.tar && skopeo inspect oci-archive:$STACK_ROOT/../once.tar | grep -c '\"sha256:'; "
      "$S container run --rm once:1 cat /x/w /copied | head -1; rm $STACK_ROOT/../once.tar");
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  // The imported busybox layer and the three built ones, none also a blob;
  // skopeo sees the manifest's digest and the four layers.
  EXPECT_EQ(r.out, "4\n5\nagain\n") << r.err;
}

TEST_F(Build, MultiStageImageHasOnlyTheFinalStagesLayers) {
  write("Dockerfile",
        "FROM busybox AS build\n"
        "RUN mkdir -p /out && echo built-in-stage > /out/result.txt && echo leftover > /leftover\n"
        "\n"
        "FROM scratch\n"
        "COPY --from=build /bin/busybox /bin/busybox\n"
        "COPY --from=build /out/result.txt /result.txt\n"
        "CMD [\"/bin/busybox\", \"cat\", \"/result.txt\"]\n");
  Outcome b = build("-t multi:1");
  ASSERT_EQ(b.rc, 0) << b.err;
  Outcome r = in_sandbox("$S container run --rm multi:1; $S container run --rm multi:1 /bin/busybox ls /; "
                         "$S image inspect multi:1 | grep -c '\"sha256:'");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("built-in-stage\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("leftover"), std::string::npos) << "the build stage's files reached the image: " << r.out;
  // Id, ManifestDigest and the two COPY layers: none of busybox's or the build stage's.
  EXPECT_NE(r.out.find("\n4\n"), std::string::npos) << r.out;
}

TEST_F(Build, RunMountsReadAnotherStageAndKeepACacheBetweenBuilds) {
  write("Dockerfile",
        "FROM busybox AS tools\n"
        "RUN mkdir -p /opt/tools && echo tool-v1 > /opt/tools/version\n"
        "FROM busybox\n"
        "RUN --mount=type=bind,from=tools,source=opt/tools,target=/t cat /t/version > /used\n"
        "RUN --mount=type=cache,target=/cache echo run >> /cache/runs; wc -l < /cache/runs > /runs\n");
  ASSERT_EQ(build("-t mounts:1").rc, 0);
  Outcome again = build("-t mounts:1 --no-cache");
  ASSERT_EQ(again.rc, 0) << again.err;
  Outcome r = in_sandbox("$S container run --rm mounts:1 sh -c 'cat /used /runs; ls -d /t /cache 2>/dev/null | wc -l'");
  // The cache mount kept the first build's line; neither mount point is left in the image.
  EXPECT_EQ(r.out, "tool-v1\n2\n0\n") << r.err;
}

TEST_F(Build, UnchangedRebuildIsAllCachedAndGivesTheSameImage) {
  write("Dockerfile", "FROM busybox\nARG V=1\nENV MODE=test\nWORKDIR /app\nCOPY . .\nRUN echo ran-$V > /app/ran\n"
                      "LABEL purpose=cache\nCMD [\"cat\", \"/app/ran\"]\n");
  write("main.py", "print('hi')\n");
  Outcome first = build("-t cached:1 -q");
  ASSERT_EQ(first.rc, 0) << first.err;
  Outcome second = build("-t cached:1");
  ASSERT_EQ(second.rc, 0) << second.err;
  std::vector<std::string> lines = steps(second.err);
  ASSERT_EQ(lines.size(), 7u) << second.err;
  for (const std::string& line : lines) EXPECT_TRUE(cached(line)) << line;
  EXPECT_EQ(second.err.find("ran-1"), std::string::npos) << "a RUN ran again: " << second.err;
  Outcome id = in_sandbox("$S image inspect cached:1 | grep '\"Id\"'");
  EXPECT_NE(id.out.find(first.out.substr(0, 71)), std::string::npos) << "the rebuild made another image: " << id.out;
}

TEST_F(Build, ChangingOneFileRerunsFromTheFirstCopyThatHasIt) {
  write("Dockerfile", "FROM busybox\nRUN echo step-one\nCOPY a.txt /a.txt\nRUN cat /a.txt\nCOPY b.txt /b.txt\n"
                      "RUN cat /b.txt\n");
  write("a.txt", "a1\n");
  write("b.txt", "b1\n");
  ASSERT_EQ(build("-t inval:1").rc, 0);
  write("b.txt", "b2\n");
  Outcome b = build("-t inval:1");
  ASSERT_EQ(b.rc, 0) << b.err;
  std::vector<std::string> lines = steps(b.err);
  ASSERT_EQ(lines.size(), 5u) << b.err;
  EXPECT_TRUE(cached(lines[0]) && cached(lines[1]) && cached(lines[2])) << b.err;
  EXPECT_FALSE(cached(lines[3]) || cached(lines[4])) << b.err;
  EXPECT_NE(b.err.find("b2"), std::string::npos) << b.err;

  write("a.txt", "a2\n");
  b = build("-t inval:1");
  ASSERT_EQ(b.rc, 0) << b.err;
  lines = steps(b.err);
  ASSERT_EQ(lines.size(), 5u) << b.err;
  EXPECT_TRUE(cached(lines[0])) << b.err;
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_FALSE(cached(lines[i])) << lines[i];
  Outcome r = in_sandbox("$S container run --rm inval:1 cat /a.txt /b.txt");
  EXPECT_EQ(r.out, "a2\nb2\n") << r.err;
}

TEST_F(Build, BuildArgsOverrideDefaultsInFromAndSteps) {
  write("Dockerfile",
        "ARG BASE=127.0.0.1:9/nothing-by-this-name\n"
        "FROM ${BASE}\n"
        "ARG GREETING=hello\n"
        "ARG BASE\n"
        "ARG UNSET\n"
        "RUN echo \"$GREETING from $BASE [$UNSET]\" > /greeting\n"
        "ENV SAVED=$GREETING\n");
  Outcome b = build("-t args:1 --build-arg BASE=busybox --build-arg GREETING=bonjour --build-arg NOBODY=x");
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_NE(b.err.find("warning: the build arg NOBODY was not consumed"), std::string::npos) << b.err;
  Outcome r = in_sandbox("$S container run --rm args:1 sh -c 'cat /greeting; echo $SAVED; echo [$GREETING]'");
  // ARG values reach RUN but not the image's environment; ENV keeps what it was given.
  EXPECT_EQ(r.out, "bonjour from busybox []\nbonjour\n[]\n") << r.err;

  Outcome defaults = build("-t args:2");
  EXPECT_NE(defaults.rc, 0);
  // The default names a registry on the sandbox's loopback where none listens: the pull of the missing base fails.
  EXPECT_NE(defaults.err.find("Dockerfile:2: FROM: registry 127.0.0.1:9 is unreachable"), std::string::npos) << defaults.err;
}

TEST_F(Build, DockerignoreLeavesFilesOutWithExceptions) {
  write("Dockerfile", "FROM busybox\nCOPY . /src/\nRUN find /src -type f | sort\n");
  write(".dockerignore", "# build junk\n*.log\n!keep.log\n**/__pycache__\nsecrets/\n");
  write("app.py", "x\n");
  write("debug.log", "x\n");
  write("keep.log", "x\n");
  write("pkg/__pycache__/mod.pyc", "x\n");
  write("pkg/mod.py", "x\n");
  write("secrets/key", "x\n");
  Outcome b = build("-t ignore:1");
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_NE(b.err.find("/src/Dockerfile\n/src/app.py\n/src/keep.log\n/src/pkg/mod.py\n"), std::string::npos) << b.err;

  write("Dockerfile", "FROM busybox\nCOPY secrets/key /key\n");
  b = build("-t ignore:2");
  EXPECT_NE(b.rc, 0);
  EXPECT_NE(b.err.find("Dockerfile:2: COPY: secrets/key is excluded by .dockerignore"), std::string::npos) << b.err;
}

TEST_F(Build, UserWorkdirEnvAndOwnersAreThereAtRunTime) {
  write("Dockerfile",
        "FROM busybox\n"
        "ENV APP_HOME=/home/app/work\n"
        "WORKDIR $APP_HOME\n"
        "COPY --chown=app:app data.txt ./\n"
        "ADD bundle.tar.gz /opt/bundle/\n"
        "RUN chown app:app .\n"
        "USER app\n"
        "RUN id -u > whoami && pwd >> whoami\n"
        "CMD [\"sh\", \"-c\", \"cat whoami; id -u; pwd; echo $APP_HOME; stat -c '%U %a' data.txt; cat /opt/bundle/inner.txt\"]\n");
  write("data.txt", "data\n");
  fs::create_directories(root_ / "bundle");
  std::ofstream(root_ / "bundle/inner.txt") << "from the tarball\n";
  ASSERT_EQ(shell("tar -C " + quote((root_ / "bundle").string()) + " -czf " + quote((ctx_ / "bundle.tar.gz").string()) + " .").rc, 0);
  fs::remove_all(root_ / "bundle");
  Outcome b = build("-t user:1");
  ASSERT_EQ(b.rc, 0) << b.err;
  Outcome r = in_sandbox("$S container run --rm user:1");
  EXPECT_EQ(r.out, "1000\n/home/app/work\n1000\n/home/app/work\n/home/app/work\napp 644\nfrom the tarball\n") << r.err;
}

TEST_F(Build, FailingRunStopsTheBuildNamingStepLineAndExitCode) {
  write("Dockerfile", "FROM busybox\nRUN echo before > /before\nRUN echo about to fail; exit 3\nRUN echo never\n");
  Outcome b = build("-t failing:1");
  EXPECT_EQ(b.rc, 1);
  EXPECT_NE(b.err.find("about to fail"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("error: step [stage-0 3/4] failed: " + (ctx_ / "Dockerfile").string() + ":3: RUN:"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("exited with code 3"), std::string::npos) << b.err;
  EXPECT_EQ(b.err.find("never"), std::string::npos) << b.err;
  Outcome ls = in_sandbox("$S image ls");
  EXPECT_EQ(ls.out.find("failing"), std::string::npos) << "a failed build named an image: " << ls.out;

  // A bad Dockerfile is refused before anything runs.
  write("Dockerfile", "FROM busybox\nRUNN echo typo\n");
  b = build("-t failing:2");
  EXPECT_NE(b.rc, 0);
  EXPECT_NE(b.err.find("Dockerfile:2: unknown instruction RUNN (did you mean RUN?)"), std::string::npos) << b.err;
}

TEST_F(Build, BuiltImageIsSavedAndLoadedIntoAnotherStore) {
  write("Dockerfile", "FROM busybox\nRUN echo portable > /portable && rm /bin/vi\nCMD [\"cat\", \"/portable\"]\n");
  ASSERT_EQ(build("-t portable:1").rc, 0);
  std::string other = quote((root_ / "other-state").string());
  Outcome r = in_sandbox("$S image save portable:1 -o $STACK_ROOT/../portable.tar && STACK_ROOT=" + other +
                         " $S image load -i $STACK_ROOT/../portable.tar >/dev/null && STACK_ROOT=" + other +
                         " $S container run --rm portable:1 && STACK_ROOT=" + other +
                         " $S container run --rm portable:1 sh -c 'test -e /bin/vi || echo vi deleted'");
  // Other OCI tools read it too.
  std::string inspected = quote((root_ / "inspected.json").string());
  Outcome skopeo = shell("command -v skopeo >/dev/null || exit 77; skopeo inspect --config oci-archive:" +
                         quote((root_ / "portable.tar").string()) + " >" + inspected + " && grep -c diff_ids " + inspected);
  fs::remove(root_ / "inspected.json");
  fs::remove_all(root_ / "other-state");
  fs::remove(root_ / "portable.tar");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "portable\nvi deleted\n") << r.err;
  if (skopeo.rc != 77) {
    EXPECT_EQ(skopeo.out, "1\n") << skopeo.err;
  }
}

TEST_F(Build, AddFetchesUrlsAndNamesTheOnesItCannotReach) {
  // A server on the sandbox's loopback: the only traffic a test may send.
  fs::path www = root_ / "www";
  fs::create_directories(www);
  std::ofstream(www / "weights.bin") << "remote weights\n";
  write("Dockerfile", "FROM busybox\nADD http://127.0.0.1:18080/weights.bin /models/\n");
  // In the foreground of a background job, not a daemon: it stays in the
  // sandbox's process group, which a timeout kills whole.
  std::ofstream(www / "ready") << "";
  std::string serve = "busybox httpd -f -p 127.0.0.1:18080 -h " + quote(www.string()) +
                      " & until busybox wget -q -O /dev/null http://127.0.0.1:18080/ready; do sleep 0.05; done; ";
  std::string build_cmd = "$S image build --progress plain -t fetched:1 " + quote(ctx_.string());
  Outcome r = in_sandbox("ip link set lo up; " + serve + build_cmd + " 2>&1 | tail -1; " + build_cmd +
                         " 2>&1 | grep -c CACHED; $S container run --rm fetched:1 sh -c 'cat /models/weights.bin; stat -c %a /models/weights.bin'; "
                         "kill $!");
  EXPECT_EQ(r.out, "Built fetched:1 (" + r.out.substr(r.out.find('(') + 1, 12) + ")\n1\nremote weights\n600\n") << r.err;

  write("Dockerfile", "FROM busybox\nADD http://127.0.0.1:18081/weights.bin /models/\n");
  Outcome refused = in_sandbox("ip link set lo up; " + build_cmd);
  EXPECT_NE(refused.rc, 0);
  EXPECT_NE(refused.err.find("Dockerfile:2: ADD: downloading http://127.0.0.1:18081/weights.bin: Failed to connect"),
            std::string::npos) << refused.err;
  write("Dockerfile", "FROM busybox\nADD http://127.0.0.1:18080/missing.bin /models/\n");
  Outcome missing = in_sandbox("ip link set lo up; " + serve + build_cmd + "; kill $!");
  EXPECT_NE(missing.err.find("downloading http://127.0.0.1:18080/missing.bin: the server answered HTTP 404"), std::string::npos)
      << missing.err;
  fs::remove_all(www);
}

TEST_F(Build, ComposeServicesAreBuiltWhenMissingAndRebuiltWithUpBuild) {
  write("app/Dockerfile", "FROM busybox\nARG FLAVOUR\nCOPY message.txt /message.txt\nRUN echo \"$FLAVOUR\" > /flavour\n"
                          "CMD [\"sh\", \"-c\", \"cat /message.txt /flavour; sleep 30\"]\n");
  write("app/message.txt", "first\n");
  write("compose.yaml", "name: builds\nservices:\n  app:\n    build:\n      context: ./app\n      args:\n        FLAVOUR: vanilla\n"
                        "      tags: [\"builds-app:extra\"]\n");
  std::string s = "$S -f " + quote((ctx_ / "compose.yaml").string());
  // The app prints two lines once it runs, after `up -d` has returned: waited for, 10 s at most.
  std::string two_lines = "i=0; until [ \"$(" + s + " logs app | wc -l)\" -ge 2 ]; do i=$((i+1)); [ $i -lt 200 ] || break; sleep 0.05; done; ";
  Outcome r = in_sandbox(s + " up -d >/dev/null && " + two_lines + s + " logs app && " + s + " build app 2>&1 | grep -c CACHED; " +
                         "$S image ls | grep -c builds-app");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("app-1  | first\napp-1  | vanilla\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("\n4\n2\n"), std::string::npos) << "every step of `stack build` cached, two names: " << r.out;
  write("app/message.txt", "second\n");
  r = in_sandbox(s + " up -d >/dev/null && " + two_lines + s + " logs app | tail -2; " + s + " up -d --build 2>&1 | grep -c Recreated; " +
                 two_lines +
                 s + " logs app | tail -2; " + s + " down -t 0 --rmi local >/dev/null; $S image ls | grep -c builds-app");
  EXPECT_NE(r.out.find("app-1  | first\napp-1  | vanilla\n1\napp-1  | second\napp-1  | vanilla\n"), std::string::npos)
      << "up without --build keeps the image; up --build rebuilds and recreates: " << r.out << r.err;
}

}  // namespace
}  // namespace stack_system_test
