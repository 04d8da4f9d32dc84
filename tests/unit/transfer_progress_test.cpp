// Unit tests of how a pull's or push's progress reads: a bar while bytes move, the state otherwise.
#include <gtest/gtest.h>

#include "ui/transfer_progress.h"

namespace stack::ui {
namespace {

TEST(TransferProgress, ABarWhileBytesMove) {
  EXPECT_EQ(describe_transfer({"abc", "Downloading", 12300000, 40200000, false}),
            "Downloading [======>             ]  12.3MB/40.2MB");
  EXPECT_EQ(describe_transfer({"abc", "Pushing", 40200000, 40200000, false}),
            "Pushing [====================]  40.2MB/40.2MB");
  EXPECT_EQ(describe_transfer({"abc", "Downloading", 0, 1, false}), "Downloading [>                   ]  0.0MB/0.0MB");
  EXPECT_EQ(describe_transfer({"abc", "Downloading", 1500000, 0, false}), "Downloading  1.5MB");
  EXPECT_EQ(describe_transfer({"abc", "Pull complete", 0, 0, true}), "Pull complete");
}

}  // namespace
}  // namespace stack::ui
