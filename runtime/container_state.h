// ContainerState: where a container is in its life, as its record says, and the moves between states that a runner may make.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stack::runtime {

// The words are Docker's (`State.Status`), as state.json and `ps` write them.
enum class ContainerState {
  Creating,    // record written, creation under way: nothing may start it
  Created,     // complete; never started, or its start failed
  Running,     // its init runs (or just ended and its runner is recording that)
  Restarting,  // its init ended and its shim waits out the back-off
  Exited,      // ended, its exit code recorded
  Dead,        // recorded running, but its runner is gone: only shown, never written
};

std::string_view to_string(ContainerState state);
// The state a word names; nullopt for a word that names none.
std::optional<ContainerState> parse_container_state(std::string_view word);

// Whether a record may go from `from` to `to`. Created -> Exited is a start
// that failed after the init was made; `start` again goes Exited ->
// Created -> Running; any state may be recorded again as it is.
bool transition_allowed(ContainerState from, ContainerState to);

}  // namespace stack::runtime
