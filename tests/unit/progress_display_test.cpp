#include "ui/progress_display.h"

#include <gtest/gtest.h>

#include <sstream>

namespace stack::ui {
namespace {

TEST(ProgressDisplayTest, PlainOutputIsOneLinePerFinishedStep) {
  std::ostringstream out;
  {
    ProgressDisplay display(out, false);
    display.update("Container p-db-1", "Starting", false);
    display.update("Container p-web-1", "Starting", false);
    display.update("Container p-db-1", "Started", true);
    display.update("Container p-db-1", "Healthy", true);
    display.update("Container p-web-1", "Started", true);
  }
  EXPECT_EQ(out.str(), " Container p-db-1  Started\n Container p-db-1  Healthy\n Container p-web-1  Started\n");
}

TEST(ProgressDisplayTest, ARowShowsItsMarkAlignedObjectStatusAndTime) {
  EXPECT_EQ(ProgressDisplay::row("Container p-db-1", "Healthy", true, 1.23, 0, 20),
            " \033[32m✔\033[0m Container p-db-1      Healthy  1.2s");
  EXPECT_EQ(ProgressDisplay::row("Network p_default", "Created", false, 0, 1, 0),
            " \033[34m⠙\033[0m Network p_default  Created  0.0s");
  EXPECT_EQ(ProgressDisplay::row("Container p-db-1", "Error", true, 0.5, 0, 0), " \033[31m✘\033[0m Container p-db-1  Error  0.5s");
}

TEST(ProgressDisplayTest, OnATerminalRowsAreRedrawnInPlace) {
  std::ostringstream out;
  ProgressDisplay display(out, true);
  display.update("Container p-db-1", "Starting", false);
  display.update("Container p-web-1", "Starting", false);
  display.update("Container p-db-1", "Started", true);
  display.finish();
  std::string screen = out.str();
  // The second draw goes back up over the first row, each row cleared first.
  EXPECT_NE(screen.find("\033[1F\033[2K"), std::string::npos) << screen;
  EXPECT_NE(screen.find("\033[2F\033[2K"), std::string::npos) << screen;
  // The last draw: both rows, the finished one with its check mark.
  std::string last = screen.substr(screen.rfind("\033[2F"));
  EXPECT_NE(last.find("✔\033[0m Container p-db-1   Started"), std::string::npos) << last;
  EXPECT_NE(last.find("Container p-web-1  Starting"), std::string::npos) << last;
  // Once finished, a step that ends is printed below instead.
  display.update("Container p-web-1", "Started", true);
  EXPECT_NE(out.str().rfind("Container p-web-1  Started"), std::string::npos);
}

}  // namespace
}  // namespace stack::ui
