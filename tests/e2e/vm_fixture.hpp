// Shared set-up of the end-to-end tests: a busybox root file system, a private data directory,
// and a way to run the real `microvm` binary.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "host/hypervisor/qemu/kernel.hpp"
#include "support/test_support.hpp"

namespace microvm::e2e {

// Paths shared by every test in the binary, made once.
struct World {
    std::filesystem::path work;     // a temp dir removed at exit
    std::filesystem::path rootfs;   // busybox-static root (never written by a VM)
    std::filesystem::path data_dir; // MICROVM_DATA_DIR of every run
};
World const& world();

std::filesystem::path bin(char const* name);

// The guest kernel the library boots for a run without --kernel in this environment (the
// microvm kernel once `make kernel` has built it, else the distribution's; MICROVM_KERNEL
// overrides both).
hypervisor::qemu::GuestKernel expected_kernel();

// Runs `microvm ARGS...` with the shared data directory.
test::ProcessResult microvm(std::vector<std::string> const& args);

// Runs `microvm run --rootfs <busybox> EXTRA... -- sh -c SCRIPT`.
test::ProcessResult run_sh(std::string const& script, std::vector<std::string> const& extra = {});

// A fresh directory under the shared work dir.
std::filesystem::path fresh_dir(std::string const& name);

// Every file below `dir` with its content, for before/after comparisons.
std::string snapshot(std::filesystem::path const& dir);

// How many processes run the given executable (by /proc/PID/exe basename).
int count_processes(std::string const& exe_name);

// Polls `done` every 200 ms for up to `limit` (a ceiling for a loaded TCG machine, not a
// timing assertion).
template <typename Condition>
bool eventually(Condition done, std::chrono::seconds limit = std::chrono::seconds(300)) {
    auto const give_up = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > give_up) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return true;
}

} // namespace microvm::e2e
