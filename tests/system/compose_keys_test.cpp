// System tests (root) of stack-file keys that shape what a container sees
// (extra_hosts, dns, dns_search, dns_opt, ulimits, sysctls, labels, secrets,
// configs), each checked
// from inside the container, and the refusals that make nothing. Each runs
// in a private network and mount namespace with a private STACK_ROOT.
#include "tests/system/container_fixture.h"

namespace stack_system_test {
namespace {

class ComposeKeys : public Container {};

TEST_F(ComposeKeys, ExtraHostsDnsAndLabelsAreWhatTheContainerHasAndHostsStayWhenPeersCome) {
  Outcome r = in_project("hosts", R"(services:
  app:
    image: busybox
    command: ["sleep", "30"]
    extra_hosts:
      - "somehost:162.242.195.82"
      - "host.docker.internal:host-gateway"
    dns: [192.0.2.53, 192.0.2.54]
    dns_search: example.internal
    dns_opt: ["ndots:2", "timeout:1"]
    labels: {com.example.team: ml}
  peer:
    image: busybox
    command: ["sleep", "30"]
    extra_hosts:
      db: 10.0.0.5
    profiles: [later]
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "$S exec -T app sh -c 'grep -v -e localhost -e ^127.0.1.1 -e hosts-peer /etc/hosts; "
                         "echo gateway $(ip route | grep default | cut -d\" \" -f3); cat /etc/resolv.conf'; "
                         // A peer joining rewrites app's /etc/hosts: its own lines stay.
                         "$S --profile later up -d peer >/dev/null; "
                         "$S exec -T app grep -c -e somehost -e host.docker.internal -e hosts-peer /etc/hosts; "
                         "$S --profile later exec -T peer grep db /etc/hosts; "
                         "$S container inspect hosts-app-1 | grep -c -e com.example.team -e com.docker.compose.service; "
                         "$S --profile later down -t 0 >/dev/null; echo down=$?");
  ASSERT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  // The gateway the container routes through is the address host-gateway gave.
  size_t at = r.out.find("gateway ");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string gateway = r.out.substr(at + 8, r.out.find('\n', at) - at - 8);
  EXPECT_NE(r.out.find("162.242.195.82\tsomehost\n" + gateway + "\thost.docker.internal\n"), std::string::npos) << r.out;
  // On a project network the resolver at 127.0.0.11 is the one nameserver; the dns key's servers are its upstreams.
  EXPECT_NE(r.out.find("search example.internal\nnameserver 127.0.0.11\noptions ndots:2 timeout:1\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\n3\n10.0.0.5\tdb\n2\n"), std::string::npos) << r.out;  // and the service's label beside Compose's
  EXPECT_NE(r.out.find("down=0"), std::string::npos) << r.out;
}

// Limits at or under the hard ones of this process: raising a hard limit
// needs CAP_SYS_RESOURCE over the whole machine, which a CI sandbox may not
// give even to root (then the container does not start, and says why).
TEST_F(ComposeKeys, UlimitsAndNamespacedSysctlsAreTheContainersOwn) {
  std::string host_somaxconn = shell("cat /proc/sys/net/core/somaxconn").out;
  Outcome r = in_project("limits", R"(services:
  app:
    image: busybox
    command: ["sleep", "30"]
    ulimits:
      memlock: 65536
      stack: 67108864
      nofile: {soft: 200, hard: 300}
    sysctls:
      net.core.somaxconn: 1234
      kernel.shmmax: 68719476736
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "$S exec -T app sh -c 'echo memlock $(ulimit -l) stack $(ulimit -s) nofile $(ulimit -n) $(ulimit -Hn); "
                         "echo somaxconn $(cat /proc/sys/net/core/somaxconn) shmmax $(cat /proc/sys/kernel/shmmax)'; "
                         "$S down -t 0 >/dev/null; echo down=$?");
  EXPECT_NE(r.out.find("up=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("memlock 64 stack 65536 nofile 200 300\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("somaxconn 1234 shmmax 68719476736\n"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(shell("cat /proc/sys/net/core/somaxconn").out, host_somaxconn) << "the host's changed";
}

// As Compose: a file source is bound in read-only (its edits show), a
// variable's value or a config's content is a file of its own, 0444 and
// root's unless the long syntax says otherwise; neither is writable.
TEST_F(ComposeKeys, SecretsAndConfigsAreReadOnlyFilesWithTheirContentOwnerAndMode) {
  Outcome r = in_project("secrets", R"(services:
  app:
    image: busybox
    command: ["sleep", "30"]
    secrets:
      - db_password
      - source: api_token
        target: token
        uid: "999"
        gid: "998"
        mode: 0440
      - source: db_password
        target: /etc/db/password
        mode: 0400
    configs:
      - nginx
      - source: settings
        target: /etc/app/settings.json
secrets:
  db_password:
    file: ./db_password.txt
  api_token:
    environment: API_TOKEN
configs:
  nginx:
    file: ./nginx.conf
  settings:
    content: '{"debug": false}'
)",
                         "printf hunter2 > db_password.txt; echo 'events {}' > nginx.conf; export API_TOKEN=tok-3f9a7c1e; "
                         "$S config | grep -c tok-3f9a7c1e; "
                         "$S up -d >/dev/null; echo up=$?; "
                         "$S exec -T app sh -c 'for f in /run/secrets/db_password /run/secrets/token /etc/db/password /nginx "
                         "/etc/app/settings.json; do echo \"$f $(stat -c \"%u %g %a\" $f) $(cat $f)\"; done; "
                         "echo x > /run/secrets/token || echo refused; echo x > /nginx || echo refused'; "
                         // The bound file is the host's: its edits show, and a restart keeps them all.
                         "printf changed > db_password.txt; $S restart -t 0 app >/dev/null; "
                         "$S exec -T app sh -c 'cat /run/secrets/db_password; echo; cat /run/secrets/token; echo'; "
                         "$S down -t 0 >/dev/null; echo down=$?");
  EXPECT_NE(r.out.find("0\nup=0\n"), std::string::npos) << "config printed the secret, or up failed\n" << r.out << r.err;
  EXPECT_NE(r.out.find("/run/secrets/db_password 0 0 644 hunter2\n"
                       "/run/secrets/token 999 998 440 tok-3f9a7c1e\n"
                       "/etc/db/password 0 0 400 hunter2\n"
                       "/nginx 0 0 644 events {}\n"
                       "/etc/app/settings.json 0 0 444 {\"debug\": false}\n"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_NE(r.out.find("refused\nrefused\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("changed\ntok-3f9a7c1e\ndown=0"), std::string::npos) << r.out << r.err;
}

// As Docker: a port published without an address listens on 0.0.0.0 and
// [::]; "[::1]:P:P" on ::1 alone. (The sandbox's loopback has ::1 where
// the kernel has IPv6.)
TEST_F(ComposeKeys, PublishedPortsListenOnIpv6Too) {
  if (shell("unshare --net sh -c 'ip link set lo up && ip -6 addr show lo | grep -q ::1'").rc != 0)
    GTEST_SKIP() << "no IPv6 on this host";
  Outcome r = in_project("ipv6", R"(services:
  web:
    image: busybox
    command: ["sh", "-c", "echo six > /tmp/index.html; httpd -f -p 80 -h /tmp"]
    ports: ["8080:80", "[::1]:9100:80"]
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "wait_for 'busybox wget -qO- http://[::1]:8080/index.html'; "
                         "busybox wget -qO- http://[::1]:8080/index.html; busybox wget -qO- http://127.0.0.1:8080/index.html; "
                         "busybox wget -qO- http://[::1]:9100/index.html; "
                         "busybox wget -qO- http://127.0.0.1:9100/index.html || echo not on IPv4; "
                         "$S ps; $S port web 80; "
                         "$S down -t 0 >/dev/null; echo down=$?");
  EXPECT_NE(r.out.find("up=0\nsix\nsix\nsix\nnot on IPv4\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, [::1]:9100->80/tcp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n0.0.0.0:8080\n"), std::string::npos)
      << r.out << r.err;
  EXPECT_NE(r.out.find("down=0"), std::string::npos) << r.out << r.err;
}

// A volume's subpath is what is mounted, nocopy leaves a new volume empty
// of the image's files, and tmpfs options (mode) are the mount's.
TEST_F(ComposeKeys, VolumeSubpathNocopyAndTmpfsModeAreTheMountsOwn) {
  Outcome r = in_project("mounts", R"(services:
  app:
    image: busybox
    command: ["sleep", "30"]
    volumes:
      - data:/whole
      - type: volume
        source: bare
        target: /etc
        volume: {nocopy: true}
      - type: tmpfs
        target: /private
        tmpfs: {mode: 0700, size: 1048576}
    tmpfs: ["/scratch:mode=1770,size=1m"]
  part:
    image: busybox
    command: ["sleep", "30"]
    profiles: [later]
    volumes:
      - type: volume
        source: data
        target: /part
        volume: {subpath: sub}
volumes:
  data:
  bare:
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "$S exec -T app sh -c 'test -e /etc/passwd && echo copied || echo not copied; "
                         "stat -c \"%a\" /scratch /private; mkdir -p /whole/sub; echo in-sub > /whole/sub/f'; "
                         "$S --profile later up -d part >/dev/null; $S --profile later exec -T part cat /part/f; "
                         "$S --profile later down -t 0 -v >/dev/null; echo down=$?");
  EXPECT_NE(r.out.find("up=0\nnot copied\n1770\n700\nin-sub\ndown=0"), std::string::npos) << r.out << r.err;
}

// links: the alias finds the linked service's container from the linking
// one (its /etc/hosts, and so its resolver), also once that is recreated;
// the linked service starts first.
TEST_F(ComposeKeys, LinksAliasesResolveInTheLinkingContainer) {
  Outcome r = in_project("links", R"(services:
  db:
    image: busybox
    command: ["sleep", "30"]
  app:
    image: busybox
    command: ["sleep", "30"]
    links: ["db:database", "db"]
)",
                         "$S up -d >/dev/null; echo up=$?; "
                         "db=$($S exec -T db sh -c 'ip -o -4 addr show eth0' | grep -o 'inet [0-9.]*' | cut -d' ' -f2); "
                         "[ \"$($S exec -T app nslookup database 127.0.0.11 | grep -c \"$db\")\" -ge 1 ] && echo alias resolves; "
                         "$S exec -T app grep -c \"^$db.database\" /etc/hosts; "
                         "$S up -d --force-recreate db >/dev/null; "
                         "db2=$($S exec -T db sh -c 'ip -o -4 addr show eth0' | grep -o 'inet [0-9.]*' | cut -d' ' -f2); "
                         "$S exec -T app grep -c \"^$db2.database\" /etc/hosts; "
                         "$S config | grep -A3 'depends_on' | grep -c 'db:'; "
                         "$S down -t 0 >/dev/null; echo down=$?");
  EXPECT_NE(r.out.find("up=0\nalias resolves\n1\n1\n1\ndown=0"), std::string::npos) << r.out << r.err;
}

TEST_F(ComposeKeys, ASysctlOfTheHostOrAnUnknownUlimitIsRefusedByNameAndNothingIsMade) {
  Outcome r = in_project("refused", R"(services:
  app:
    image: busybox
    command: ["sleep", "30"]
    sysctls: {vm.swappiness: 10}
    ulimits: {nofiles: 10}
    secrets: [password]
secrets:
  password:
    file: ./password.txt
)",
                         "n=$(ls $STACK_ROOT/containers | wc -l); m=$(ls $STACK_ROOT/networks 2>/dev/null | wc -l); "
                         "$S up -d; echo up=$?; "
                         "echo made $(( $(ls $STACK_ROOT/containers | wc -l) - n )) $(( $(ls $STACK_ROOT/networks 2>/dev/null | wc -l) - m ))");
  EXPECT_EQ(r.out, "up=1\nmade 0 0\n") << r.err;
  // Each names its file, line and column, and the key.
  EXPECT_NE(r.err.find("compose.yaml:5:15: services.app.sysctls.vm.swappiness: \"vm.swappiness\" is not namespaced"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("compose.yaml:6:15: services.app.ulimits.nofiles: no such limit \"nofiles\""), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("compose.yaml:10:11: secrets.password.file: secret file "), std::string::npos) << r.err;
}

TEST_F(ComposeKeys, AnImageOfAnotherPlatformIsRefusedNotRun) {
  // The fixture's busybox was imported here: linux/amd64.
  Outcome r = in_project("platform", R"(services:
  arm:
    image: busybox
    platform: linux/arm64/v8
    command: ["sleep", "30"]
  amd:
    image: busybox
    platform: linux/amd64
    command: ["true"]
)",
                         "$S up -d arm; echo up=$?; $S ps -a | tail -n +2 | wc -l; $S up -d amd >/dev/null; echo amd=$?; "
                         "$S down -t 0 >/dev/null");
  EXPECT_NE(r.out.find("up=1\n0\namd=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("service arm: image busybox:latest is linux/amd64, not linux/arm64/v8 as its platform says"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace stack_system_test
