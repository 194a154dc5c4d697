// The guest kernel the qemu backend picks (the microvm kernel once `make kernel` has built it,
// else the distribution's; MICROVM_KERNEL overrides both) really boots, and the host's graceful
// stop reaches the workload on it (over the virtio-serial control port, which needs no keyboard).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "host/hypervisor/qemu/kernel.hpp"
#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

namespace qemu = hypervisor::qemu;

TEST(Kernel, TheGuestRunsTheKernelTheLibraryChooses) {
    auto const expected = expected_kernel();
    ASSERT_FALSE(expected.version.empty());
    auto result = run_sh("uname -r");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, expected.version + "\n");
    // The microvm kernel boots without modules: nothing under /lib/modules in the initramfs,
    // and the guest's virtio, virtio-fs and console still work (this very output).
    std::cout << "[ kernel   ] " << qemu::describe(expected) << "\n";
}

// Polls `path` until its content is `text`; false after `limit`.
bool wait_for_content(std::filesystem::path const& path, std::string const& text,
                      std::chrono::seconds limit) {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (test::read_file(path) != text) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
}

// SIGTERM to the runner is the host's graceful stop (`microvm stop`, Ctrl-C): the workload gets
// SIGTERM in the guest, and its own exit status comes back.
TEST(Stop, SigtermToTheRunnerReachesTheWorkloadWhichExitsOnItsOwnTerms) {
    std::string const name = "e2e-stop-" + std::to_string(::getpid());
    test::ProcessResult result;
    std::thread cli([&] {
        // Bounded, so that a test that cannot find the runner still ends.
        result = run_sh("trap 'echo got-term; exit 3' TERM; echo started; "
                        "i=0; while [ $i -lt 300 ]; do sleep 1; i=$((i+1)); done",
                        {"--name", name});
    });
    auto const vm_dir = world().data_dir / "vms" / name;
    bool const started =
        wait_for_content(vm_dir / "stdout.log", "started\n", std::chrono::seconds(240));
    auto const runner = test::run_process({"/usr/bin/pgrep", "-f", "microvm-runner.*" + name});
    int pid = 0;
    if (started && runner.exit_code == 0) {
        pid = std::stoi(runner.out);
        ::kill(pid, SIGTERM);
    }
    cli.join();
    ASSERT_TRUE(started) << "the workload never started: " << result.err;
    ASSERT_NE(pid, 0) << "no runner process for " << name;
    EXPECT_EQ(result.exit_code, 3) << result.err;
    EXPECT_EQ(result.out, "started\ngot-term\n");
}

} // namespace
} // namespace microvm::e2e
