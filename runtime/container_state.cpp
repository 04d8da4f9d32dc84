#include "runtime/container_state.h"

#include <array>
#include <utility>

namespace stack::runtime {
namespace {

constexpr std::array<std::pair<ContainerState, std::string_view>, 6> kWords{{
    {ContainerState::Creating, "creating"},
    {ContainerState::Created, "created"},
    {ContainerState::Running, "running"},
    {ContainerState::Restarting, "restarting"},
    {ContainerState::Exited, "exited"},
    {ContainerState::Dead, "dead"},
}};

}  // namespace

std::string_view to_string(ContainerState state) {
  for (const auto& [s, word] : kWords)
    if (s == state) return word;
  return "dead";
}

std::optional<ContainerState> parse_container_state(std::string_view word) {
  for (const auto& [s, w] : kWords)
    if (w == word) return s;
  return std::nullopt;
}

bool transition_allowed(ContainerState from, ContainerState to) {
  using S = ContainerState;
  if (to == S::Dead || from == S::Dead) return false;  // derived when shown, never recorded
  if (from == to) return true;
  switch (from) {
    case S::Creating:
      return to == S::Created || to == S::Exited;  // complete(), or reclaimed once its creator died
    case S::Created:
      return to == S::Running || to == S::Exited;
    case S::Running:
      return to == S::Restarting || to == S::Exited;
    case S::Restarting:
      return to == S::Running || to == S::Exited;
    case S::Exited:
      return to == S::Created;  // `start`: made ready to run again, then Running
    case S::Dead:
      return false;
  }
  return false;
}

}  // namespace stack::runtime
