#include "runtime/linux/heap_reserve.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace stack::runtime::linux_ {

void reserve_heap(std::size_t bytes) {
  constexpr std::size_t kMax = 32u << 20;  // glibc's largest mmap threshold
  if (bytes < (1u << 20)) return;           // small files load fast enough as they are
  if (bytes > kMax) bytes = kMax;
  // Served from the brk heap (not a private mapping) and kept after free.
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMax));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kMax));
  void* block = std::malloc(bytes);
  if (!block) return;
  auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto start = reinterpret_cast<std::uintptr_t>(block) & ~(page - 1);
  auto end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
  if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
  std::free(block);
}

}  // namespace stack::runtime::linux_
