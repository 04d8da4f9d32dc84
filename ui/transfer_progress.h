// TransferProgress rows: what a pull or push is doing to each layer, drawn as Docker draws it (a bar while bytes move).
#pragma once

#include <functional>
#include <string>

#include "ui/progress_display.h"
#include "registry/registry_client.h"

namespace stack::ui {

// "Downloading [=====>              ]  12.3MB/40.2MB"; other states as they are.
std::string describe_transfer(const registry::TransferProgress& p);

// Feeds a pull's or push's progress to `display`; nothing when `quiet`.
std::function<void(const registry::TransferProgress&)> show_transfer(ProgressDisplay& display, bool quiet);

}  // namespace stack::ui
