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

// Step tracing for finding where boot time goes: off unless the kernel command line has the
// word `trace_word` ("microvm.trace"); then trace() logs "<seconds since boot> <step>".
inline constexpr char trace_word[] = "microvm.trace";
// Whether the command line `cmdline` (the text of /proc/cmdline) has `word` as a whole word.
bool cmdline_has_word(std::string_view cmdline, std::string_view word);
void enable_trace(bool enabled);
void trace(std::string_view step);

} // namespace microvm::guest
