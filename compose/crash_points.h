// CrashPoints: a test's way to kill `stack` at a named step of its work (the Host's crash_at, from STACK_TEST_CRASH_AT=STEP), as a SIGKILL would.
#pragma once

#include <string_view>

namespace stack::compose {

// Once the Host is installed (use_host): when its crash_at names a step,
// makes this process the leader of its own process group (unless it is
// already), so that a crash takes what `stack` forked and nothing of its
// caller's.
void arm_crash_point();

// When the Host's crash_at names `step`: SIGKILL to this process group,
// the `stack` command and its forked launches (not the shims, which have
// sessions of their own), as `kill -9 -PGID` would. Otherwise nothing.
//
// The steps of a container's creation, in order (those of one launch run
// in the launch's process, several at once):
//   networks-created         `up`: the project's networks recorded
//   record-written           its record, status creating
//   spec-written             spec.json
//   ports-bound              its published ports (only with ports)
//   network-namespace-made   its kept network namespace
//   network-leased-N         an address on its Nth network (from 1)
//   network-joined-N         its veth pair on the Nth network
//   record-complete          status created: startable from here on
//   container-started        `up`: a launch reported its container running
//   containers-launched      `up`: every launch of a batch ended
//   hosts-written            `up`: the peers' /etc/hosts rewritten
void crash_point(std::string_view step);

}  // namespace stack::compose
