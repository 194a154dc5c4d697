// The status port's one message (guest → runner): microvm-init's "exit=<status>\n" once the
// workload has ended (contract::status_port_name). The guest end is hostile, so the reader
// takes only a well-formed line with a status in 0..255 and ignores everything else.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace microvm::contract {

// What the runner reads of the status port's file at most: a report is one short line.
inline constexpr std::size_t max_status_report_size = 4096;

// "exit=<status>\n".
std::string encode_exit_status(int status);

// The status in the last well-formed "exit=<N>" line (N in 0..255, a trailing "\r" allowed);
// std::nullopt when there is none.
std::optional<int> parse_exit_status(std::string_view text);

} // namespace microvm::contract
