// The `real` tier (root): real software on a real Debian image
// (tests/real/import-base: PostgreSQL, Python with NumPy and scikit-learn,
// locales, time zones), where busybox hides what images people bring need:
// a database as its own user on a named volume, Python's threads and
// processes under the default seccomp filter, shared memory, locales.
// Each runs in a private network and mount namespace, against the STACK_ROOT
// the tier's set-up imported the image into once.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class Real : public Container {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_reason_ = "needs root";
      return;
    }
    root_ = REAL_ROOT;
    if (!fs::exists(root_ / "imported")) {
      skip_reason_ = "the Debian base image was not made here (tests/real/import-base skipped: see its output)";
      return;
    }
    usable_ = true;
  }
  // The image stays for the tier's next test; its set-up's run removes it.
  static void TearDownTestSuite() {}

  static constexpr const char* kImage = "debian-ml:bookworm";
};

// Debian's PostgreSQL 15, as the official image runs it: its own user, its
// data on a named volume, its socket in /tmp.
const char kPostgres[] = R"(services:
  db:
    image: debian-ml:bookworm
    user: postgres
    shm_size: 256m
    restart: always
    environment:
      PGDATA: /var/lib/postgresql/data
    command: ["sh", "-c", "test -s \"$$PGDATA/PG_VERSION\" || /usr/lib/postgresql/15/bin/initdb -D \"$$PGDATA\" >/dev/null; exec /usr/lib/postgresql/15/bin/postgres -D \"$$PGDATA\" -c listen_addresses=* -c unix_socket_directories=/tmp"]
    volumes: ["pgdata:/var/lib/postgresql"]
    healthcheck:
      test: ["CMD", "/usr/lib/postgresql/15/bin/pg_isready", "-h", "/tmp", "-q"]
      interval: 2s
      start_period: 60s
      start_interval: 200ms
volumes:
  pgdata:
)";

// psql in the running db container; `wait_for` it after each start.
const char kPsql[] = "psql() { $S exec -T db /usr/lib/postgresql/15/bin/psql -h /tmp -qAt -d postgres -c \"$1\"; }; ";

TEST_F(Real, PostgresRunsAsItsOwnUserOnANamedVolumeAndKeepsItsRowsAcrossRestartKillAndDown) {
  Outcome r = in_project("pg", kPostgres,
                         std::string(kPsql) +
                             "$S up -d --wait >/dev/null; echo up=$?; "
                             // The volume's root took the image directory's owner and mode.
                             "echo owner $($S exec -T db stat -c '%U %a' /var/lib/postgresql); "
                             "echo shm $($S exec -T db df -k /dev/shm | tail -1 | tr -s ' ' | cut -d' ' -f2); "
                             // Its supplementary groups, from the image's /etc/group (ssl-cert).
                             "echo groups $($S exec -T db id -Gn); "
                             "psql 'create table runs (id int, accuracy real)'; "
                             "psql 'insert into runs values (1, 0.97), (2, 0.98)'; "
                             "echo rows $(psql 'select count(*) from runs'); "
                             "$S restart db >/dev/null; wait_for \"psql 'select 1'\"; "
                             "echo restarted $(psql 'select count(*) from runs'); "
                             // The postmaster killed outright: restart: always brings it back,
                             // and its write-ahead log recovers the rows.
                             // ([b]: not this script's own command line, which has the words.)
                             "kill -9 $(pgrep -f '[b]in/postgres -D /var/lib/postgresql/data'); "
                             "wait_for \"$S ps -a db | grep -q 'Up'\"; wait_for \"psql 'select 1'\"; "
                             "echo killed $(psql 'select count(*) from runs') $($S ps -a db | grep -o '1 restart'); "
                             "$S down -t 10 >/dev/null; $S up -d --wait >/dev/null; "
                             "echo again $(psql 'select sum(id) from runs'); "
                             "$S down -v -t 10 >/dev/null; echo down=$?");
  ASSERT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("owner postgres 755\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("shm 262144\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("groups postgres ssl-cert\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rows 2\nrestarted 2\nkilled 2 1 restart\nagain 3\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("down=0\n"), std::string::npos) << r.out;
}

TEST_F(Real, PythonThreadsProcessesAndScikitLearnRunUnderTheDefaultSeccompFilter) {
  // glibc's pthread_create tries clone3 first and falls back to clone only
  // on ENOSYS; multiprocessing's locks live in /dev/shm.
  std::ofstream(root_ / "work.py") << R"(import concurrent.futures, multiprocessing
if __name__ == "__main__":
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        print("threads", sum(pool.map(lambda x: x * x, range(100))), flush=True)
    for method in ("fork", "spawn", "forkserver"):
        with multiprocessing.get_context(method).Pool(2) as pool:
            print(method, sum(pool.map(abs, range(-50, 50))), flush=True)
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    x, y = load_iris(return_X_y=True)
    xa, xb, ya, yb = train_test_split(x, y, random_state=0)
    model = LogisticRegression(max_iter=500).fit(xa, ya)
    print("accuracy", round(model.score(xb, yb), 2))
)";
  Outcome r = run("-v " + quote((root_ / "work.py").string()) + ":/work.py:ro " + kImage + " python3 /work.py");
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("threads 328350\nfork 2500\nspawn 2500\nforkserver 2500\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("accuracy 0.97\n"), std::string::npos) << r.out << r.err;
}

TEST_F(Real, LocalesAndTimeZonesOfTheImageAreThere) {
  Outcome r = run(std::string("-e LANG=en_US.UTF-8 -e TZ=America/New_York ") + kImage +
                  " sh -c 'date -d @0 +%Z%z; locale -a | grep -c en_US.utf8; "
                  "python3 -c \"import locale; locale.setlocale(locale.LC_ALL, str()); print(locale.getlocale())\"; "
                  "python3 -c \"print(chr(233))\"'");
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "EST-0500\n1\n('en_US', 'UTF-8')\n\xc3\xa9\n") << r.err;
}

}  // namespace
}  // namespace stack_system_test
