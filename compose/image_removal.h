// ImageRemoval: an image removed only when no container, running or not, still uses it (`image rm`, `down --rmi`).
#pragma once

#include <string>
#include <vector>

#include "runtime/container_store.h"
#include "runtime/image_store.h"
#include "runtime/status.h"

namespace stack::compose {

// The first container, running or not, whose image this is; null when none.
const runtime::ContainerRecord* container_using(const std::vector<runtime::ContainerRecord>& records,
                                                const runtime::Image& image);

// Removes it when unused. The error names the container that still uses it.
runtime::Status remove_unused_image(const std::string& name_or_id, std::string* removed_reference,
                                    std::string* removed_digest);

}  // namespace stack::compose
