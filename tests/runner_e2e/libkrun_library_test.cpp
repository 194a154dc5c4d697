// The libkrun backend end to end on the host, with the recording fake standing in for
// libkrun.so.1: microvm-init goes into the VM's own layer, the runner hands it to libkrun
// (krun_set_exec) and enforces the read-only share on the host (krun_add_virtiofs3), its report
// says so, and the workload's status (the fake's exit) comes back as the VM's outcome.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include <microvm/microvm.hpp>

#include "base/kvm.hpp"
#include "base/temp_dir.hpp"
#include "host/hypervisor/libkrun/engine_section.hpp"
#include "host/microvm/data_dir.hpp"
#include "host/microvm/runner_config.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/microvm/vm_registry.hpp"
#include "host/process/runner_launch.hpp"
#include "host/process/spawn.hpp"
#include "host/rootfs/view.hpp"
#include "host/state/state_file.hpp"
#include "support/test_support.hpp"

namespace microvm::test {
namespace {

namespace fs = std::filesystem;

class LibkrunLibraryTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("libkrun-library-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
        for (char const* name : {"data", "rootfs", "share", "lib"}) {
            fs::create_directory(path(name));
        }
        // What the runner dlopen()s by default, found the usual way.
        fs::create_symlink(std::string(MICROVM_LIB_DIR) + "/libkrun-fake-1.19.so",
                           path("lib") / "libkrun.so.1");
        ::setenv("LD_LIBRARY_PATH", path("lib").c_str(), 1);
        ::setenv("MICROVM_FAKE_KRUN_LOG", path("krun.log").c_str(), 1);
        ::setenv("MICROVM_FAKE_KRUN_EXIT", "7", 1);
    }
    void TearDown() override {
        for (char const* name :
             {"LD_LIBRARY_PATH", "MICROVM_FAKE_KRUN_LOG", "MICROVM_FAKE_KRUN_EXIT"}) {
            ::unsetenv(name);
        }
    }
    fs::path path(std::string const& name) const { return m_dir->path() / name; }

    RunOptions options() const {
        RunOptions options;
        options.name = "krun1";
        options.rootfs = path("rootfs");
        options.data_dir = path("data");
        options.backend = BackendKind::libkrun;
        options.network = NetworkMode::none;
        options.mounts = {
            {.tag = "ro", .host_path = path("share"), .guest_path = "/share", .read_only = true}};
        options.command = {"/bin/true"};
        return options;
    }

    std::optional<base::TempDir> m_dir;
};

// run()'s own steps after the preflight, in its order: this machine may have no /dev/kvm, which
// the preflight requires of libkrun (the next test), while the fake needs none.
TEST_F(LibkrunLibraryTest, MicrovmInitIsHandedToLibkrunAndTheReportDecidesEnforcement) {
    auto const opts = options();
    auto vm_dir = claim_vm_dir(path("data"), opts.name);
    ASSERT_TRUE(vm_dir) << vm_dir.error().text();
    ASSERT_TRUE(state::write_state(*vm_dir, created_record("", opts)));
    auto view = rootfs::create_view(opts.rootfs, *vm_dir);
    ASSERT_TRUE(view) << view.error().text();
    auto config = runner_config_for(opts, *view, state::VmDir(*vm_dir));
    auto const bin = fs::path(MICROVM_BIN_DIR);
    ASSERT_TRUE(hypervisor::libkrun::add_libkrun_section(config, *view,
                                                         {.init_binary = bin / "microvm-init"}));
    auto runner = process::launch_runner(config, {.runner = bin / "microvm-runner",
                                                  .vm_dir = *vm_dir,
                                                  .env = process::current_environment()});
    ASSERT_TRUE(runner) << runner.error().text();
    ASSERT_TRUE(record_started(*vm_dir, "", opts.rootfs, (*runner)->identity()));
    auto status = (*runner)->wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 7);
    // The report says the runner's exit status is the workload's.
    EXPECT_EQ(interpret_runner_exit(*status, *vm_dir).value_or(-1), 7);

    auto const calls = read_file(path("krun.log"));
    EXPECT_NE(calls.find("krun_set_exec ctx=0 path=/.microvm/init argv=--libkrun env=\n"),
              std::string::npos)
        << calls;
    EXPECT_NE(calls.find("krun_add_virtiofs3 ctx=0 tag=ro path=" + path("share").string() +
                         " shm=0 read_only=1\n"),
              std::string::npos)
        << calls;

    // microvm-init sits in the VM's own layer, a copy of the one beside the runner; the
    // --rootfs source is untouched.
    EXPECT_EQ(read_file(view->upper_dir / ".microvm/init"), read_file(bin / "microvm-init"));
    EXPECT_TRUE(fs::is_empty(path("rootfs")));

    auto record = refresh_state(*vm_dir);
    ASSERT_TRUE(record && *record) << (record ? "no state" : record.error().text());
    ASSERT_EQ((*record)->info.mounts.size(), 1u);
    EXPECT_EQ((*record)->info.mounts[0].enforcement, Enforcement::host_and_guest);
}

TEST_F(LibkrunLibraryTest, RunRefusesLibkrunWithoutKvmBeforeCreatingAnything) {
    if (base::probe_kvm().device_usable) {
        // With /dev/kvm the preflight passes and the runner starts the fake: run() returns a VM.
        auto vm = run("", options());
        ASSERT_TRUE(vm) << vm.error().text();
        EXPECT_EQ(vm->wait().value_or(-1), 7);
        ASSERT_TRUE(vm->remove());
        return;
    }
    auto vm = run("", options());
    ASSERT_FALSE(vm);
    EXPECT_NE(vm.error().text().find("the libkrun backend needs KVM"), std::string::npos)
        << vm.error().text();
    EXPECT_FALSE(fs::exists(path("data") / "vms/krun1"));
}

} // namespace
} // namespace microvm::test
