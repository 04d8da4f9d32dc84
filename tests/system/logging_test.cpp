// System tests (root) of a service's `logging`: the json-file and local
// drivers' rotation seen from the host (at most max-file files, each at most
// max-size), `stack logs` reading the newest lines in order across the
// rotated files (also with --tail, and following while they rotate),
// driver "none" keeping nothing, and another driver refused before
// anything is made. Each runs in a private network and mount namespace
// with a private STACK_ROOT.
#include "tests/system/container_fixture.h"

#include <sstream>

namespace stack_system_test {
namespace {

class Logging : public Container {
 protected:
  // The lines of `out` between "==NAME" and the next "==" line.
  static std::vector<std::string> section(const std::string& out, const std::string& name) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("==", 0) == 0) inside = line == "==" + name;
      else if (inside) lines.push_back(line);
    }
    return lines;
  }
  // Whether `lines` are "line-K-..." up to "line-LAST-..." with none
  // missing or repeated, then "done"; K goes to *first.
  static std::string consecutive(const std::vector<std::string>& lines, int last, int* first) {
    if (lines.size() < 2 || lines.back() != "done") return "does not end in done";
    *first = std::atoi(lines.front().c_str() + 5);
    for (size_t i = 0; i + 1 < lines.size(); ++i)
      if (lines[i].rfind("line-" + std::to_string(*first + static_cast<int>(i)) + "-", 0) != 0)
        return "line " + std::to_string(i) + " is " + lines[i];
    if (*first + static_cast<int>(lines.size()) - 2 != last) return "does not end at line " + std::to_string(last);
    return "";
  }
};

TEST_F(Logging, RotatedFilesStayWithinMaxSizeAndMaxFileAndLogsReadsAcrossThemInOrder) {
  // chatty writes ~270 KB at once, 4 times what 3 files of 20k keep; slow
  // writes ~110 KB over five seconds while `logs -f` (polling every 100 ms)
  // follows it, rotating under it about once a second.
  Outcome r = in_project("rot", R"(services:
  chatty:
    image: busybox
    command: ["sh", "-c", "i=1; while [ $$i -le 3000 ]; do echo line-$$i-........................................; i=$$((i+1)); done; echo done; sleep 30"]
    logging:
      driver: json-file
      options: {max-size: 20k, max-file: "3"}
  slow:
    image: busybox
    volumes: ["./gate:/gate"]
    command: ["sh", "-c", "echo line-0-........................................; until [ -e /gate/go ]; do usleep 20000; done; i=1; while [ $$i -le 1200 ]; do echo line-$$i-........................................; i=$$((i+1)); [ $$((i % 25)) = 0 ] && usleep 100000; done; echo done"]
    logging:
      driver: local
      options: {max-size: 20k, max-file: "3"}
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         // slow begins once the follower has its first line.
                         "$S logs -f --no-log-prefix slow > follow.txt & follower=$!; "
                         "wait_for 'grep -q ^line-0- follow.txt'; touch gate/go; wait $follower; "
                         "wait_for '$S logs --no-log-prefix --tail 1 chatty | grep -q ^done'; "
                         "for service in chatty slow; do d=$(ls -d $STACK_ROOT/containers/$($S ps -a -q $service)*); "
                         "echo $service files $(ls $d | grep -c ^log); ls $d | grep ^log; "
                         "for f in $d/log*; do echo size $(stat -c %s $f); done; done; "
                         "echo ==all; $S logs --no-log-prefix chatty; "
                         "echo ==tail; $S logs --no-log-prefix --tail 3 chatty; "
                         "echo ==follow; cat follow.txt; echo ==; "
                         "$S down -t 0 >/dev/null; echo down=$?");
  ASSERT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  // From the host: three files, log, log.1 and log.2, none past 20 kB
  // (Docker's sizes are decimal).
  EXPECT_NE(r.out.find("chatty files 3\nlog\nlog.1\nlog.2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("slow files 3\nlog\nlog.1\nlog.2\n"), std::string::npos) << r.out;
  std::istringstream in(r.out);
  int sizes = 0;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("size ", 0) == 0) {
      ++sizes;
      EXPECT_LE(std::stol(line.substr(5)), 20000) << line;
      EXPECT_GT(std::stol(line.substr(5)), 0) << line;
    }
  EXPECT_EQ(sizes, 6) << r.out;
  // What is kept is the newest lines, in order, across the three files.
  int first = 0;
  std::vector<std::string> all = section(r.out, "all");
  EXPECT_EQ(consecutive(all, 3000, &first), "") << r.out;
  EXPECT_GT(first, 2000);
  EXPECT_GT(all.size(), 400u) << "only the current file was read";
  EXPECT_EQ(section(r.out, "tail"),
            (std::vector<std::string>{"line-2999-........................................",
                                      "line-3000-........................................", "done"}));
  // Followed from before its output began, through every rotation.
  std::vector<std::string> followed = section(r.out, "follow");
  EXPECT_EQ(consecutive(followed, 1200, &first), "") << r.out;
  EXPECT_EQ(first, 0) << r.out;
  EXPECT_NE(r.out.find("down=0"), std::string::npos) << r.out << r.err;
}

TEST_F(Logging, DriverNoneKeepsNoLogAndLogsSaysSo) {
  Outcome r = in_project("quiet", R"(services:
  quiet:
    image: busybox
    command: ["sh", "-c", "echo unseen; sleep 30"]
    logging:
      driver: none
  loud:
    image: busybox
    command: ["sh", "-c", "echo heard; sleep 30"]
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "wait_for '$S logs loud | grep -q heard'; "
                         "echo quiet files $(ls $STACK_ROOT/containers/$($S ps -q quiet)* | grep -c ^log); "
                         "$S logs --no-log-prefix; echo logs=$?; "
                         "$S container logs quiet-quiet-1; echo container-logs=$?; "
                         "$S down -t 0 >/dev/null; echo down=$?");
  EXPECT_NE(r.out.find("up=0\nquiet files 0\nheard\nlogs=0\ncontainer-logs=1\ndown=0\n"), std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(r.out.find("unseen"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("can't retrieve logs for quiet-quiet-1: configured logging driver does not support reading"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("error: container quiet-quiet-1: configured logging driver does not support reading"), std::string::npos) << r.err;
  // An attached `up` shows the log; with none there is nothing to show, and it says so.
  Outcome attached = in_project("attached", R"(services:
  quiet:
    image: busybox
    command: ["echo", "unseen"]
    logging: {driver: none}
)",
                                "$S up; echo up=$?; $S down -t 0 >/dev/null");
  EXPECT_NE(attached.out.find("up=0\n"), std::string::npos) << attached.out << attached.err;
  EXPECT_EQ(attached.out.find("unseen"), std::string::npos) << attached.out;
  EXPECT_NE(attached.err.find("service quiet: logging driver \"none\" keeps no log: its output is not shown"),
            std::string::npos)
      << attached.err;
}

TEST_F(Logging, ContainerRunTakesTheSameDriversAndOptionsAndContainerLogsReadsAcrossTheFiles) {
  Outcome r = in_sandbox(
      "$S container run -d --name c --log-opt max-size=2k --log-opt max-file=2 busybox "
      "sh -c 'i=1; while [ $i -le 200 ]; do echo line-$i-........................................; i=$((i+1)); done; "
      "echo done' >/dev/null; echo run=$?; "
      "i=0; until $S container logs --tail 1 c | grep -q ^done; do i=$((i+1)); [ $i -lt 200 ] || break; sleep 0.05; done; "
      "echo files $(ls $STACK_ROOT/containers/*/log* | wc -l) current $(cat $STACK_ROOT/containers/*/log | wc -l); "
      "echo ==all; $S container logs c; echo ==tail; $S container logs --tail 10 c; echo ==; "
      "$S container rm -f c >/dev/null; "
      "$S container run --rm --log-driver syslog busybox true; echo syslog=$?; "
      "$S container run --rm --log-opt max-file=0 busybox true; echo max-file=$?");
  EXPECT_NE(r.out.find("run=0\nfiles 2 current "), std::string::npos) << r.out << r.err;
  size_t at = r.out.find("current ");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_LT(std::atoi(r.out.c_str() + at + 8), 10) << "the tail below should need both files";
  int first = 0;
  std::vector<std::string> all = section(r.out, "all");
  EXPECT_EQ(consecutive(all, 200, &first), "") << r.out;
  EXPECT_LT(all.size(), 50u) << r.out;  // 2 files of 2 kB
  std::vector<std::string> tail = section(r.out, "tail");
  EXPECT_EQ(consecutive(tail, 200, &first), "") << r.out;
  EXPECT_EQ(first, 192) << r.out;
  EXPECT_NE(r.out.find("syslog=125\nmax-file=125\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("error: --log-driver syslog: not supported"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error: --log-opt max-file: max-file cannot be less than 1"), std::string::npos) << r.err;
}

TEST_F(Logging, AnotherDriverIsRefusedByNameAndNothingIsMade) {
  Outcome r = in_project("syslog", R"(services:
  app:
    image: busybox
    command: ["sleep", "30"]
    logging:
      driver: syslog
)",
                         "n=$(ls $STACK_ROOT/containers | wc -l); $S up -d; echo up=$?; "
                         "echo made $(( $(ls $STACK_ROOT/containers | wc -l) - n ))");
  EXPECT_EQ(r.out, "up=1\nmade 0\n") << r.err;
  EXPECT_NE(r.err.find("compose.yaml:6:15: services.app.logging.driver: logging driver \"syslog\" is not supported"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace stack_system_test
