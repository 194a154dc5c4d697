// `microvm ps [-a] [--format table|json]`: the VMs of the data directory.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include <microvm/microvm.hpp>

#include "base/error.hpp"

namespace microvm::cli {

std::function<Result<int>()> add_ps_command(CLI::App& app);

// The table `ps` prints: NAME IMAGE STATUS CREATED PORTS MOUNTS, columns padded to their
// widest cell; `now` is seconds since the epoch, for the CREATED column ("5 seconds ago").
std::string ps_table(std::vector<VmInfo> const& vms, std::int64_t now);

} // namespace microvm::cli
