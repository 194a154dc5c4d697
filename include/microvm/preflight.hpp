// Checks that run() makes before it prepares or boots anything, so that a VM that cannot work
// fails at once with a message that says what to fix, rather than half way through a boot.
//
// run() runs default_preflight_checks() and then RunOptions::preflight_checks, in order, and
// stops at the first failure, returning it with the context "preflight <check name>". A check
// that finds a problem which does not stop the VM (KVM missing: the VM still runs, slowly under
// TCG) logs a warning through spdlog and succeeds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <microvm/error.hpp>

namespace microvm {

struct RunOptions;

// What a check sees: the caller's options (already validated) and the data directory run()
// resolved from them (it exists).
struct PreflightContext {
    RunOptions const& options;
    std::filesystem::path data_dir;
};

struct PreflightCheck {
    // Short and stable, e.g. "kvm", "ports": it names the check in the error's context.
    std::string name;
    // Returns an error, saying what is wrong and how to fix it, to stop the run.
    std::function<Result<void>(PreflightContext const&)> run;
};

// The data directory must have at least this much room: the VM's writable layer, its logs and
// (first run of a kernel) the initramfs cache are written there before the guest can start.
inline constexpr std::uint64_t min_free_data_dir_bytes = 256ull << 20;

// The built-in checks, in the order run() runs them:
//   "shares"  every share's host directory (and --rootfs) exists and is a directory;
//   "kvm"     warns when QEMU will fall back to TCG (the libkrun backend needs KVM: an error);
//   "tools"   qemu backend: qemu-system-x86_64 on $PATH, virtiofsd, a guest kernel;
//   "disk"    at least min_free_data_dir_bytes free in the data directory;
//   "ports"   every RunOptions::ports host port can be bound on its host address. A port in
//             use fails naming it and, when /proc shows it, the process holding it:
//             "host port 127.0.0.1:8080/tcp is in use by pid 4242 (nginx)".
std::vector<PreflightCheck> default_preflight_checks();

// Runs the default checks and then options.preflight_checks; the first failure is returned
// with the context "preflight <name>".
Result<void> run_preflight(RunOptions const& options, std::filesystem::path const& data_dir);

} // namespace microvm
