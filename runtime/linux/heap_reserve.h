// HeapReserve: grows the heap once, pre-faulted, before a large stack file is loaded or a container launched.
#pragma once

#include <cstddef>

namespace stack::runtime::linux_ {

// Page faults cost 11-14 us each on the VMs stack runs on, and loading a
// 1000-service file touches ~7,000 fresh pages: most of its time. Growing the
// heap in one step and populating it with MADV_POPULATE_WRITE costs under
// 1 us a page. Does nothing where the kernel lacks MADV_POPULATE_WRITE.
void reserve_heap(std::size_t bytes);

}  // namespace stack::runtime::linux_
