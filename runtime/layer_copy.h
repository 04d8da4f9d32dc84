// LayerCopy: a directory of an image as its layers make it up (whiteouts and opaque directories applied), copied out.
#pragma once

#include <string>
#include <vector>

#include "runtime/status.h"

namespace stack::runtime {

// Copies what the image has at `path` (absolute, inside the image) into
// `dest`, an existing directory: the layers from the bottom one up, each
// overwriting the one below, whiteouts deleting and opaque directories
// hiding what lower layers had. Modes, owners and symlinks are kept, and
// `dest` itself takes the owner and mode of the directory at `path`; device
// nodes are left out. A layer whose `path` goes through a symbolic link
// has no directory there: the link is never followed (out of the layer, it
// would be the host's). Nothing at `path` in the image: nothing is copied.
// `layer_dirs` are the unpacked layers, top first (as ContainerSpec's lower_dirs).
Status copy_image_directory(const std::vector<std::string>& layer_dirs, const std::string& path, const std::string& dest);

}  // namespace stack::runtime
