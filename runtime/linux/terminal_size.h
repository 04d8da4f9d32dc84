// TerminalSize: how many rows the terminal on a file descriptor shows, as the kernel's tty driver says.
#pragma once

namespace stack::runtime::linux_ {

// The rows of the terminal `fd` is on; 0 when it is not a terminal or
// does not say.
unsigned terminal_rows(int fd);

}  // namespace stack::runtime::linux_
