// System tests (root) of what `stack up` does over time: health, restarts,
// attached mode, logs, stopping, volumes, recreation, orphans, scaling and
// concurrent commands. Each writes its own stack file and runs in a private
// network and mount namespace.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class Stack : public Container {};

TEST_F(Stack, ServiceHealthyWaitsForTheHealthcheckAndUnhealthyFailsUp) {
  Outcome r = in_project("health", R"(services:
  db:
    image: busybox
    command: ["sh", "-c", "sleep 0.6; touch /tmp/ready; exec sleep 30"]
    healthcheck:
      test: test -f /tmp/ready
      interval: 5s
      start_period: 10s
      start_interval: 100ms
  web:
    image: busybox
    command: ["sh", "-c", "echo started; exec sleep 30"]
    depends_on:
      db: {condition: service_healthy}
)",
                          "$S up -d; echo up=$?; $S ps | tail -n +2 | awk '{print $1, $4, $5}'; "
                          "$S container inspect health-db-1 | grep -c '\"Status\": \"healthy\"'; $S down -t 0 >/dev/null");
  EXPECT_EQ(r.out,
            " Container health-db-1  Started\n Container health-db-1  Healthy\n Container health-web-1  Started\n"
            "up=0\nhealth-db-1 Up (healthy)\nhealth-web-1 Up \n1\n")
      << r.err;

  Outcome bad = in_project("sick", R"(services:
  db:
    image: busybox
    command: ["sleep", "30"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 100ms
      retries: 2
  plain:
    image: busybox
    command: ["sleep", "30"]
  web:
    image: busybox
    command: ["sleep", "30"]
    depends_on:
      db: {condition: service_healthy}
)",
                           "$S up -d; echo up=$?; $S ps -a | grep -c sick-web; "
                           "$S up -d --wait plain >/dev/null; echo wait=$?; $S down -t 0 >/dev/null");
  EXPECT_EQ(bad.out.substr(bad.out.find("up=")), "up=1\n0\nwait=0\n") << bad.out << bad.err;
  EXPECT_NE(bad.err.find("dependency failed to start: container sick-db-1 is unhealthy"), std::string::npos) << bad.err;
}

// a turns healthy only once it has made its mark, seconds after it
// starts; c, which needs only b, must not wait for that, and d, which
// needs a healthy, must. Each of c and d notes at start whether a's mark
// was there yet.
TEST_F(Stack, ASlowHealthcheckHoldsBackOnlyWhatWaitsForIt) {
  Outcome r = in_project("ready", R"(services:
  a:
    image: busybox
    command: ["sh", "-c", "sleep 4; touch /marks/a-ready; exec sleep 30"]
    volumes: [./marks:/marks]
    healthcheck:
      test: test -f /marks/a-ready
      interval: 5s
      start_period: 20s
      start_interval: 200ms
  b:
    image: busybox
    command: ["sleep", "30"]
  c:
    image: busybox
    command: ["sh", "-c", "if [ -f /marks/a-ready ]; then echo a-healthy; else echo a-not-yet; fi > /marks/c; exec sleep 30"]
    volumes: [./marks:/marks]
    depends_on: [b]
  d:
    image: busybox
    command: ["sh", "-c", "if [ -f /marks/a-ready ]; then echo a-healthy; else echo a-not-yet; fi > /marks/d; exec sleep 30"]
    volumes: [./marks:/marks]
    depends_on:
      a: {condition: service_healthy}
)",
                         "$S up -d; echo up=$?; wait_for '[ -s marks/c ]'; wait_for '[ -s marks/d ]'; "
                         "echo c: $(cat marks/c); echo d: $(cat marks/d); "
                         "$S ps a | tail -n +2 | awk '{print $1, $4, $5}'; $S down -t 0 >/dev/null");
  EXPECT_EQ(r.out,
            " Container ready-a-1  Started\n Container ready-b-1  Started\n Container ready-c-1  Started\n"
            " Container ready-a-1  Healthy\n Container ready-d-1  Started\n"
            "up=0\nc: a-not-yet\nd: a-healthy\nready-a-1 Up (healthy)\n")
      << r.err;
}

TEST_F(Stack, WaitFailsNamingAServiceThatExits) {
  Outcome r = in_project("waiting", R"(services:
  api:
    image: busybox
    command: ["sh", "-c", "sleep 0.3; exit 4"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
)",
                         "$S up -d --wait --wait-timeout 20; echo rc=$?; $S down -t 0 >/dev/null");
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("service api: container waiting-api-1 exited (4)"), std::string::npos) << r.err;
}

TEST_F(Stack, RestartPolicyBacksOffAndAStopIsNotUndone) {
  // on-failure:3: four runs, 100, 200 and 400 ms apart at least.
  Outcome r = in_project("restarts", R"(services:
  flaky:
    image: busybox
    command: ["sh", "-c", "echo run; exit 1"]
    restart: on-failure:3
  steady:
    image: busybox
    command: ["sleep", "30"]
    restart: always
)",
                         "$S up -d >/dev/null; wait_for '$S ps -a flaky | grep -q \"Exited (1), 3 restarts\"'; "
                         "$S ps -a flaky | tail -n +2 | awk '{print $4, $5, $6, $7}'; "
                         "$S logs -t --no-log-prefix flaky | cut -d' ' -f1 | cut -dT -f2 | tr -d Z | "
                         "  awk -F: '{t=$1*3600+$2*60+$3; if (NR>1) printf \"%d\\n\", ((t-p)*1000 >= 100*2^(NR-2)); p=t}'; "
                         // a crash of steady's init brings it back; a stop does not
                         "pid=$($S container inspect restarts-steady-1 | grep '\"Pid\"' | tr -dc 0-9); kill -9 $pid; "
                         "wait_for '$S ps steady | grep -q \"Up, 1 restarts\"'; $S ps steady | tail -n +2 | awk '{print $4, $5, $6, $7}'; "
                         "$S stop steady >/dev/null; $S ps -a steady | tail -n +2 | awk '{print $4, $5}'; "
                         "$S start steady >/dev/null; $S ps steady | tail -n +2 | awk '{print $4, $5}'; "
                         "$S down -t 0 >/dev/null");
  EXPECT_EQ(r.out, "Exited (1), 3 restarts\n1\n1\n1\nUp, 1 restarts \nExited (137),\nUp, 1\n") << r.err;
}

TEST_F(Stack, AttachedUpPrefixesOutputAndExitsWithTheNamedServicesCode) {
  Outcome r = in_project("attached", R"(services:
  setup:
    image: busybox
    command: ["sh", "-c", "echo ready"]
  server:
    image: busybox
    command: ["sh", "-c", "trap 'echo server stopping; exit 0' TERM; echo serving; while true; do sleep 0.05; done"]
  tests:
    image: busybox
    command: ["sh", "-c", "sleep 0.3; echo testing; exit 3"]
    depends_on:
      setup: {condition: service_completed_successfully}
      server: {condition: service_started}
)",
                         "$S up --exit-code-from tests >up.txt; echo rc=$?; "
                         "grep -c '^setup-1   | ready$' up.txt; grep -c '^tests-1   | testing$' up.txt; "
                         "grep -c '^server-1  | server stopping$' up.txt; $S ps -a | grep -c Up; $S down >/dev/null");
  EXPECT_EQ(r.out, "rc=3\n1\n1\n1\n0\n") << r.err;
}

// a and b take turns through a shared directory, so that their lines
// interleave in the same order however late either starts.
TEST_F(Stack, LogsMergeServicesAndFollowARestartingOne) {
  Outcome r = in_project("logs", R"(services:
  a:
    image: busybox
    command: ["sh", "-c", "echo a-one; until [ -f /sync/b ]; do sleep 0.02; done; echo a-two; exec sleep 30"]
    volumes: [./sync:/sync]
  b:
    image: busybox
    command: ["sh", "-c", "until [ -f /sync/a ]; do sleep 0.02; done; echo b-one; echo b-err >&2; exec sleep 30"]
    volumes: [./sync:/sync]
  c:
    image: busybox
    command: ["sh", "-c", "echo c-run; sleep 0.2; exit 1"]
    restart: on-failure:2
)",
                         // Each line is logged before the next is asked for: a line's
                         // time is when its shim read it, so only that orders them.
                         "$S up -d >/dev/null; wait_for '$S logs a | grep -q a-one'; touch sync/a; "
                         "wait_for '$S logs b | grep -q b-err'; touch sync/b; wait_for '$S logs a | grep -q a-two'; "
                         "$S logs --no-color a b; "
                         "$S logs --tail 1 --no-log-prefix a; "
                         "timeout 10 $S logs -f c | grep -c 'c-1  | c-run'; "
                         "$S logs --since 1h a | grep -c a-one; $S logs --since bogus a; echo since=$?; "
                         "$S down -t 0 >/dev/null");
  EXPECT_EQ(r.out, "a-1  | a-one\nb-1  | b-one\nb-1  | b-err\na-1  | a-two\na-two\n3\n1\nsince=1\n") << r.err;
}

TEST_F(Stack, DownKillsAtOnceWhatIgnoresItsStopSignalAndSignalsWhatCatchesIt) {
  Outcome r = in_project("sleepers", R"(services:
  s1: {image: busybox, command: ["sleep", "300"]}
  s2: {image: busybox, command: ["sleep", "300"]}
  s3: {image: busybox, command: ["sleep", "300"]}
  s4: {image: busybox, command: ["sleep", "300"]}
  polite:
    image: busybox
    command: ["sh", "-c", "trap 'echo got TERM > /data/term; exit 0' TERM; touch /data/ready; while true; do sleep 0.05; done"]
    volumes: [./out:/data]
)",
                         // The default grace period is 10 s: the sleeps are
                         // killed at once, the trap answers TERM at once.
                         "$S up -d >/dev/null; wait_for '[ -f out/ready ]'; timeout 5 $S down >/dev/null; echo rc=$?; cat out/term");
  EXPECT_EQ(r.out, "rc=0\ngot TERM\n") << r.err;
}

TEST_F(Stack, VolumesSurviveDownUpAndAKilledShim) {
  const char* compose = R"(services:
  db:
    image: busybox
    command: ["sh", "-c", "echo $$(cat /data/count 2>/dev/null || echo 0)+1 | bc > /tmp/n 2>/dev/null || true; c=$$(cat /data/count 2>/dev/null || echo 0); echo $$((c+1)) > /data/count; exec sleep 30"]
    volumes: [data:/data]
volumes:
  data:
)";
  Outcome r = in_project("persist", compose,
                         "count=$STACK_ROOT/volumes/persist_data/_data/count; "
                         "$S up -d >/dev/null; wait_for '[ \"$(cat $count)\" = 1 ]'; $S down -t 0 >/dev/null; "
                         "$S up -d >/dev/null; wait_for '[ \"$(cat $count)\" = 2 ]'; "
                         "shim=$($S container inspect persist-db-1 | grep '\"Runner\"' | tr -dc 0-9); kill -9 $shim; "
                         "wait_for '! kill -0 $shim'; cat $count; "
                         "$S down -t 0 >/dev/null; echo down=$?; "
                         "$S up -d >/dev/null; wait_for '[ \"$(cat $count)\" = 3 ]'; $S down -v -t 0 >/dev/null; "
                         "ls $STACK_ROOT/volumes | grep -c persist");
  EXPECT_EQ(r.out, "2\ndown=0\n0\n") << r.err;
}

// A host restart takes the kept network namespaces, links and bridges
// with it; the records stay. Here the first sandbox's end is the restart:
// its shims are killed, and its mounts and network devices go with it.
TEST_F(Stack, AStackComesBackUpAfterAHostRestartWithItsAddressesAndNames) {
  const char* compose = R"(services:
  web:
    image: busybox
    command: ["sleep", "30"]
  api:
    image: busybox
    command: ["sleep", "30"]
    depends_on: [web]
)";
  Outcome before = in_project("reboot", compose,
                              "$S up -d >/dev/null; $S exec web ip -4 -o addr show eth0 | awk '{print $4}'; "
                              "for c in reboot-web-1 reboot-api-1; do "
                              "kill -9 $($S container inspect $c | grep '\"Runner\"' | tr -dc 0-9); done; sleep 0.3");
  ASSERT_EQ(before.out, "10.89.0.2/24\n") << before.err;
  Outcome after = in_project("reboot", compose,
                             "$S up -d >/dev/null; echo up=$?; $S exec web ip -4 -o addr show eth0 | awk '{print $4}'; "
                             "$S exec api ping -c1 -W2 web >/dev/null; echo ping=$?; "
                             "$S exec api grep -c reboot-web-1 /etc/hosts; $S down -t 0 >/dev/null; echo down=$?");
  EXPECT_EQ(after.out, "up=0\n10.89.0.2/24\nping=0\n1\ndown=0\n") << after.err;
}

TEST_F(Stack, ANewVolumeStartsWithWhatTheImageHasThereAndKeepsItsOwnAfter) {
  Outcome r = in_project("seeded", R"(services:
  app:
    image: busybox
    command: ["sh", "-c", "cat /etc/group | head -1; echo changed > /etc/group; exec sleep 30"]
    volumes: [conf:/etc]
volumes:
  conf:
)",
                         "$S up -d >/dev/null; wait_for '$S exec -T app grep -q changed /etc/group'; $S logs --no-log-prefix app; "
                         "$S down -t 0 >/dev/null; "
                         "$S up -d >/dev/null; wait_for '$S logs app | grep -q .'; $S logs --no-log-prefix app; ls $STACK_ROOT/volumes/seeded_conf/_data | grep -c passwd; "
                         "$S down -v -t 0 >/dev/null");
  EXPECT_EQ(r.out, "root:x:0:\nchanged\n1\n") << r.err;
}

TEST_F(Stack, AnonymousVolumesFollowTheirContainerAndGoWithDownV) {
  Outcome r = in_project("anon", R"(services:
  app:
    image: busybox
    command: ["sh", "-c", "cat /cache/n 2>/dev/null || echo none; echo kept > /cache/n; exec sleep 30"]
    volumes: [/cache]
)",
                         "$S up -d >/dev/null; wait_for '[ \"$($S exec -T app cat /cache/n)\" = kept ]'; "
                         "$S up -d --force-recreate >/dev/null; wait_for '$S logs app | grep -q .'; "
                         "$S logs --no-log-prefix app; ls $STACK_ROOT/volumes | wc -l; "
                         "$S run --rm -T app sh -c 'cat /cache/n 2>/dev/null || echo fresh'; ls $STACK_ROOT/volumes | wc -l; "
                         "$S down -v -t 0 | grep -c Volume; ls $STACK_ROOT/volumes | wc -l");
  EXPECT_EQ(r.out, "kept\n1\nfresh\n1\n1\n0\n") << r.err;
}

TEST_F(Stack, AnImagesVolumePathsGetAnonymousVolumesUnlessTheServiceMountsThere) {
  std::string tar = quote((root_ / "rootfs.tar").string());
  Outcome r = in_project("imgvol", R"(services:
  db:
    image: withvol
    command: ["sh", "-c", "cat /data/n 2>/dev/null || echo none; echo kept > /data/n; grep -c -e ' /data ' -e ' /logs ' /proc/mounts; exec sleep 30"]
    volumes: ["logs:/logs/"]
volumes:
  logs: {}
)",
                         "$S image import " + tar + " withvol --change 'VOLUME [\"/data\", \"/logs\"]' >/dev/null; "
                         "$S image import " + tar + " bad --change 'VOLUME data' 2>&1 | grep -c absolute; "
                         "$S up -d >/dev/null; wait_for '[ \"$($S exec -T db cat /data/n)\" = kept ]'; "
                         "$S up -d --force-recreate >/dev/null; wait_for '[ $($S logs db | wc -l) = 2 ]'; "
                         "$S logs --no-log-prefix db; ls $STACK_ROOT/volumes | wc -l; "
                         "$S down -v -t 0 | grep -c Volume; ls $STACK_ROOT/volumes | wc -l");
  EXPECT_EQ(r.out, "1\nkept\n2\n2\n2\n0\n") << r.err;  // the recreated one found its data
}

TEST_F(Stack, RestartingADependencyRestartsWhatSaysRestartTrue) {
  Outcome r = in_project("chain", R"(services:
  db: {image: busybox, command: ["sleep", "30"]}
  api:
    image: busybox
    command: ["sleep", "30"]
    depends_on:
      db: {condition: service_started, restart: true}
  web:
    image: busybox
    command: ["sleep", "30"]
    depends_on: [db]
)",
                         "$S up -d >/dev/null; $S restart db | sort; $S down -t 0 >/dev/null");
  EXPECT_EQ(r.out, " Container chain-api-1  Started\n Container chain-db-1  Started\n") << r.err;
}

TEST_F(Stack, UpRecreatesOnlyWhatChangedScalesAndFindsOrphans) {
  fs::path dir = root_ / "changes";
  fs::create_directories(dir);
  auto write = [&](const std::string& web_command, bool with_worker) {
    std::ofstream(dir / "compose.yaml") << "services:\n  web:\n    image: busybox\n    command: [\"sh\", \"-c\", \"" + web_command +
                                               "\"]\n  api:\n    image: busybox\n    command: [\"sleep\", \"30\"]\n" +
                                               (with_worker ? "  worker:\n    image: busybox\n    command: [\"sleep\", \"30\"]\n" : "");
  };
  write("sleep 30", true);
  Outcome first = in_sandbox("cd " + quote(dir.string()) + "; $S up -d >/dev/null; $S up -d");
  EXPECT_EQ(first.out, " Container changes-api-1  Running\n Container changes-web-1  Running\n Container changes-worker-1  Running\n")
      << first.err;
  write("sleep 31", false);
  Outcome second = in_sandbox("cd " + quote(dir.string()) + "; $S up -d; $S up -d --remove-orphans --scale api=3 | grep -c Started; "
                              "$S up -d --scale api=1 | grep -c Removed; $S ps | tail -n +2 | awk '{print $1}'; $S down -t 0 >/dev/null");
  EXPECT_EQ(second.out,
            " Container changes-api-1  Running\n Container changes-web-1  Recreated\n Container changes-web-1  Started\n"
            "2\n2\nchanges-api-1\nchanges-web-1\n")
      << second.err;
  EXPECT_NE(second.err.find("found orphan containers (changes-worker-1)"), std::string::npos) << second.err;
}

TEST_F(Stack, UpStartsAStoppedUnchangedContainerAgainWithItsWritableLayer) {
  Outcome r = in_project("again", R"(services:
  web: {image: busybox, command: ["sh", "-c", "echo run >> /count; exec sleep 30"]}
)",
                         "$S up -d >/dev/null; $S stop -t 0 web >/dev/null; $S up -d; "
                         "timeout 5 $S exec -T web sh -c 'until [ $(wc -l < /count) = 2 ]; do sleep 0.05; done; cat /count'; "
                         "$S down -t 0 >/dev/null");
  EXPECT_EQ(r.out, " Container again-web-1  Started\nrun\nrun\n") << r.err;
}

TEST_F(Stack, DownRmiRemovesTheProjectsImagesButNotOneAnotherContainerUses) {
  std::string tar = quote((root_ / "rootfs.tar").string());
  Outcome r = in_project("rmi", R"(services:
  web: {image: "shared:1", command: ["sleep", "30"]}
  app: {build: .}
)",
                         "$S image import " + tar + " shared:1 >/dev/null; $S image import " + tar + " rmi-app >/dev/null; "
                         "$S container run -d --name other shared:1 sleep 30 >/dev/null; "
                         "$S up -d web >/dev/null; $S down -t 0 --rmi local | grep Image; "
                         "$S up -d web >/dev/null; $S down -t 0 --rmi all | grep Image; $S image ls | grep -c shared; "
                         "$S container rm -f other >/dev/null; $S up -d web >/dev/null; $S down -t 0 --rmi all | grep Image; "
                         "$S image ls | grep -c shared; $S down --rmi some");
  EXPECT_EQ(r.out, " Image rmi-app:latest  Removed\n1\n Image shared:1  Removed\n0\n") << r.err;
  EXPECT_NE(r.err.find("warning: image shared:1 is used by container other"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--rmi: some not in {local,all}"), std::string::npos) << r.err;
  EXPECT_NE(r.rc, 0);
}

TEST_F(Stack, AnUpKilledMidwayIsCompletedByTheNextUpAndCleanedByDown) {
  Outcome r = in_project("killed", R"(services:
  a: {image: busybox, command: ["sleep", "30"]}
  b: {image: busybox, command: ["sleep", "30"], depends_on: [a]}
  c: {image: busybox, command: ["sleep", "30"], depends_on: [b]}
  d: {image: busybox, command: ["sleep", "30"], depends_on: [c]}
)",
                         // Killed at some point of its work: whatever it made, the
                         // next up completes it and down removes all of it.
                         "$S up -d >/dev/null 2>&1 & pid=$!; sleep 0.05; kill -9 $pid; wait $pid 2>/dev/null; "
                         "$S up -d >/dev/null; echo up=$?; $S ps | tail -n +2 | wc -l; "
                         "$S down -t 0 >/dev/null; echo down=$?; ip -br link | grep -vc '^lo'; $S ps -a | tail -n +2 | wc -l");
  EXPECT_EQ(r.out, "up=0\n4\ndown=0\n0\n0\n") << r.err;
}

TEST_F(Stack, ConcurrentUpsOnOneProjectAreSerialized) {
  Outcome r = in_project("together", R"(services:
  a: {image: busybox, command: ["sleep", "30"]}
  b: {image: busybox, command: ["sleep", "30"]}
  c: {image: busybox, command: ["sleep", "30"]}
)",
                         "$S up -d >one.txt 2>&1 & $S up -d >two.txt 2>&1 & wait; "
                         "cat one.txt two.txt | grep -c Started; cat one.txt two.txt | grep -c Running; "
                         "$S ps | tail -n +2 | wc -l; $S network ls | grep -c together; $S down -t 0 >/dev/null");
  EXPECT_EQ(r.out, "3\n3\n3\n1\n") << r.err;
}

TEST_F(Stack, RunMakesAOneOffOnTheProjectsNetworkAndExecReachesAService) {
  Outcome r = in_project("oneoff", R"(services:
  db:
    image: busybox
    command: ["sh", "-c", "echo hello > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
  tests:
    image: busybox
    command: ["true"]
    depends_on: [db]
)",
                         "$S run --rm tests sh -c 'i=0; until wget -qO- http://db/index.html 2>/dev/null; do "
                         "i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done'; echo rc=$?; "
                         "$S exec -T db cat /tmp/index.html; $S run --rm tests sh -c 'exit 7'; echo rc=$?; "
                         "$S ps -a | grep -c run-; $S down -t 0 >/dev/null");
  EXPECT_EQ(r.out, " Container oneoff-db-1  Started\nhello\nrc=0\nhello\n Container oneoff-db-1  Running\nrc=7\n0\n") << r.err;
}

TEST_F(Stack, StateIsRootsAloneAndANonRootServiceStillWritesItsVolumeAndTmp) {
  // An image whose /data belongs to uid 1000 and whose /tmp is everyone's, as Docker images make them.
  std::string image = "cp -a " + quote((root_ / "rootfs").string()) + " img; mkdir img/data; chown 1000:1000 img/data; "
                      "chmod 1777 img/tmp; tar -C img -cf img.tar . && $S image import img.tar userimg >/dev/null; ";
  Outcome r = in_project("privy", R"(services:
  app:
    image: userimg
    user: "1000"
    command: ["sh", "-c", "echo v > /data/v; echo vol=$$?; echo t > /tmp/t; echo tmp=$$?; exec sleep 30"]
    volumes: [data:/data]
volumes:
  data:
)",
                         image +
                             // As an older stack left them: readable by all, tightened by the next command.
                             "R=$STACK_ROOT; chmod 755 $R $R/volumes $R/containers $R/images; "
                             "$S up -d >/dev/null; echo up=$?; "
                             "for i in $(seq 200); do $S logs app | grep -q tmp= && break; sleep 0.05; done; "
                             "$S logs --no-log-prefix app; "
                             "stat -c '%a %n' $R $R/containers $R/volumes $R/images $R/projects $R/networks | sed \"s|$R|R|\"; "
                             "stat -c '%a' $R/containers/*/state.json | wc -l; stat -c '%a' $(dirname $R/containers/*/state.json); "
                             "stat -c '%a' $R/volumes/privy_data; stat -c '%a %u' $R/volumes/privy_data/_data; "
                             "nobody='setpriv --reuid 65534 --regid 65534 --clear-groups'; "
                             "$nobody cat $R/volumes/privy_data/_data/v >/dev/null 2>&1; echo volume-read=$?; "
                             "$nobody cat $R/containers/*/log >/dev/null 2>&1; echo log-read=$?; "
                             "$nobody cat $R/containers/*/state.json >/dev/null 2>&1; echo state-read=$?; "
                             "$nobody ls $R >/dev/null 2>&1; echo root-list=$?; "
                             "$nobody $S container ls -a 2>/dev/null | grep -c privy; "
                             "$S down -v -t 0 >/dev/null");
  EXPECT_EQ(r.out,
            "up=0\nvol=0\ntmp=0\n"
            "711 R\n700 R/containers\n700 R/volumes\n700 R/images\n700 R/projects\n700 R/networks\n"
            "1\n700\n700\n755 1000\n"
            "volume-read=1\nlog-read=1\nstate-read=1\nroot-list=2\n0\n")
      << r.err;
}

TEST_F(Stack, UpResolvesEveryImageBeforeMakingAnything) {
  Outcome r = in_project("early", R"(services:
  first:
    image: busybox
    command: ["sleep", "30"]
    volumes: [data:/data]
  second:
    image: nosuch:1
    pull_policy: never
    command: ["sleep", "30"]
    depends_on: [first]
volumes:
  data:
)",
                         "cgroups=$(ls -d /sys/fs/cgroup/*/stack/*/ /sys/fs/cgroup/stack/*/ 2>/dev/null); "
                         "$S up -d 2>err.txt; echo up=$?; grep -c 'service second: image nosuch:1 is missing' err.txt; "
                         "$S run --rm second true 2>err.txt; echo run=$?; grep -c 'service second: image nosuch:1 is missing' err.txt; "
                         "$S container ls -a | tail -n +2 | wc -l; $S network ls | grep -c early; "
                         "ls $STACK_ROOT/volumes | grep -c early; "
                         "[ \"$(ls -d /sys/fs/cgroup/*/stack/*/ /sys/fs/cgroup/stack/*/ 2>/dev/null)\" = \"$cgroups\" ] && echo cgroups=same; "
                         "$S down -v -t 0 >/dev/null 2>&1");
  EXPECT_EQ(r.out, "up=1\n1\nrun=1\n1\n0\n0\n0\ncgroups=same\n") << r.err;
}

}  // namespace
}  // namespace stack_system_test
