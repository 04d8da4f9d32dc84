#include "runtime/linux/terminal_size.h"

#include <sys/ioctl.h>

namespace stack::runtime::linux_ {

unsigned terminal_rows(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_row;
}

}  // namespace stack::runtime::linux_
