// microvm-init's own messages. They go to the kernel console (the VM's console log on the host),
// never to the workload's output ports.
#pragma once

#include <string_view>

namespace microvm::guest {

// Writes "microvm-init: <message>\n" to standard error, which is /dev/console for PID 1.
void log(std::string_view message);

// Makes sure descriptors 0, 1 and 2 are open on /dev/console. The kernel opens them for init only
// when the initramfs has a /dev/console node; without one they are closed, and the first file
// init opened would otherwise become its "stderr".
void ensure_console();

} // namespace microvm::guest
