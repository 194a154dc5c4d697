// `microvm attach [--detach-keys KEYS] NAME`: connects the user's terminal to the workload of a
// VM started with -i and/or -t; also what a foreground `run -i`/`-t` does once the VM starts.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include <microvm/microvm.hpp>

#include "base/error.hpp"

namespace microvm::cli {

// podman's default detach sequence: ctrl-p, ctrl-q.
inline constexpr char default_detach_keys[] = "ctrl-p,ctrl-q";

// Parses podman's notation: comma-separated keys, each "ctrl-<letter>" (also ctrl-@, ctrl-[,
// ctrl-\, ctrl-], ctrl-^, ctrl-_) or a single character. "" means no detach keys.
Result<std::string> parse_detach_keys(std::string const& text);

enum class AttachEnd { workload_ended, detached };

// Attaches the user's stdin (when the workload was started with -i) and, with a terminal, its
// output to the VM's workload, in raw mode when stdin is a terminal. Returns how it ended.
Result<AttachEnd> attach_user(Vm& vm, bool interactive, bool tty, std::string const& detach_keys);

std::function<Result<int>()> add_attach_command(CLI::App& app);

} // namespace microvm::cli
