// ContainerState: its words as state.json writes them, and the moves a record may make.
#include <gtest/gtest.h>

#include "runtime/container_state.h"
#include "runtime/container_store.h"

namespace stack::runtime {
namespace {

using S = ContainerState;

TEST(ContainerState, WordsAreDockersAndReadBack) {
  for (S s : {S::Creating, S::Created, S::Running, S::Restarting, S::Exited, S::Dead})
    EXPECT_EQ(parse_container_state(to_string(s)), s);
  EXPECT_EQ(to_string(S::Restarting), "restarting");
  EXPECT_EQ(parse_container_state("paused"), std::nullopt);
  EXPECT_EQ(parse_container_state("Running"), std::nullopt);
}

TEST(ContainerState, ALifeWithARestartAndAStartAgain) {
  std::vector<S> life{S::Creating, S::Created, S::Running, S::Restarting, S::Running, S::Exited, S::Created, S::Running};
  for (size_t i = 1; i < life.size(); ++i)
    EXPECT_TRUE(transition_allowed(life[i - 1], life[i])) << to_string(life[i - 1]) << " -> " << to_string(life[i]);
}

TEST(ContainerState, MovesThatWouldHideABug) {
  EXPECT_FALSE(transition_allowed(S::Creating, S::Running));   // started before it was complete
  EXPECT_FALSE(transition_allowed(S::Exited, S::Running));     // started without being made ready again
  EXPECT_FALSE(transition_allowed(S::Exited, S::Restarting));
  EXPECT_FALSE(transition_allowed(S::Running, S::Created));
  EXPECT_FALSE(transition_allowed(S::Running, S::Creating));
  EXPECT_FALSE(transition_allowed(S::Running, S::Dead));       // Dead is only ever shown
  EXPECT_FALSE(transition_allowed(S::Dead, S::Running));
  EXPECT_TRUE(transition_allowed(S::Creating, S::Exited));     // reclaimed: its creator died
}

TEST(ContainerState, ARecordRefusesAMoveAndKeepsItsState) {
  ContainerRecord r;
  r.state = S::Exited;
  r.move_to(S::Restarting);
  EXPECT_EQ(r.state, S::Exited);
  r.move_to(S::Created);
  EXPECT_EQ(r.state, S::Created);
}

TEST(ContainerState, AnUnknownWordInARecordReadsAsExitedSoThatItCanBeReclaimedOrStarted) {
  ContainerRecord r;
  r.id = "0123456789ab";
  r.name = "c";
  r.state = S::Running;
  nlohmann::json j = r.to_json();
  EXPECT_EQ(j["Status"], "running");
  j["Status"] = "paused";
  ContainerRecord back = ContainerRecord::from_json(j);
  EXPECT_EQ(back.state, S::Exited);
  back.move_to(S::Created);
  EXPECT_EQ(back.state, S::Created);
}

TEST(ContainerState, TheLogConfigIsKeptAndAnOlderRecordReadsAsDockersDefault) {
  ContainerRecord r;
  r.log = {"local", 20'000'000, 5};
  ContainerRecord back = ContainerRecord::from_json(r.to_json());
  EXPECT_EQ(back.log, r.log);
  nlohmann::json older = r.to_json();
  older.erase("LogConfig");
  EXPECT_EQ(ContainerRecord::from_json(older).log, LogConfig{});
}

}  // namespace
}  // namespace stack::runtime
