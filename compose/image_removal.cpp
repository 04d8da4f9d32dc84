#include "compose/image_removal.h"

#include <algorithm>
#include <vector>

#include "compose/host.h"
#include "runtime/container_store.h"
#include "runtime/image_store.h"

namespace stack::compose {
const runtime::ContainerRecord* container_using(const std::vector<runtime::ContainerRecord>& records,
                                                const runtime::Image& image) {
  auto it = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.image_id == image.config_digest; });
  return it == records.end() ? nullptr : &*it;
}

runtime::Status remove_unused_image(const std::string& name_or_id, std::string* removed_reference,
                                    std::string* removed_digest) {
  runtime::ImageStore store(images_root());
  runtime::ContainerStore containers(runtime_paths().containers);
  std::vector<runtime::ContainerRecord> records;
  containers.list(&records);
  runtime::Image target;
  if (store.find(name_or_id, &target))
    if (const runtime::ContainerRecord* user = container_using(records, target))
      return runtime::Status::error("image " + target.reference + " is used by container " + user->name + " (" +
                                    user->id.substr(0, 12) + "); remove the container first");
  runtime::Image removed;
  if (runtime::Status s = store.remove(name_or_id, &removed); !s) return s;
  *removed_reference = removed.reference;
  *removed_digest = removed.config_digest;
  return runtime::Status::ok();
}

}  // namespace stack::compose
