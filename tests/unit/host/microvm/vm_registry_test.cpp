// Status from the persisted state, kept true with real processes standing in for runners.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <thread>

#include "base/command.hpp"
#include "base/temp_dir.hpp"
#include "contract/runner_report.hpp"
#include "host/microvm/data_dir.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/microvm/vm_registry.hpp"
#include "host/process/identity.hpp"
#include "host/state/state_file.hpp"
#include "host/state/vm_dir.hpp"
#include "support/readdir_fault.hpp"
#include "support/test_support.hpp"

namespace microvm {
namespace {

std::filesystem::path const sh = "/bin/sh";

class VmRegistryTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-registry-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_data.emplace(std::move(*dir));
    }

    std::filesystem::path data() const { return m_data->path(); }

    // Claims `name` and records it as running under `runner`.
    std::filesystem::path running_vm(std::string const& name,
                                     process::ProcessIdentity const& runner) {
        RunOptions options;
        options.name = name;
        options.rootfs = "/srv/root";
        auto dir = claim_vm_dir(data(), name);
        EXPECT_TRUE(dir) << dir.error().text();
        EXPECT_TRUE(state::write_state(*dir, created_record("", options)));
        auto started = record_started(*dir, "", options.rootfs, runner);
        EXPECT_TRUE(started) << started.error().text();
        return *dir;
    }

    // A real process running `script`, and its identity.
    static std::pair<base::Child, process::ProcessIdentity> start(std::string const& script) {
        auto child = base::spawn({.path = sh, .argv = {sh, "-c", script}});
        EXPECT_TRUE(child) << child.error().text();
        // What /proc/PID/exe shows: /bin/sh with its symlinks resolved. (Read from the
        // executable, not from /proc, which no longer names it once a short script has exited.)
        auto identity = process::capture_identity(child->pid(), std::filesystem::canonical(sh));
        EXPECT_TRUE(identity) << identity.error().text();
        return {std::move(*child), *identity};
    }

    static VmInfo refreshed(std::filesystem::path const& vm_dir) {
        auto record = refresh_state(vm_dir);
        EXPECT_TRUE(record && *record) << (record ? "no state" : record.error().text());
        return record && *record ? (*record)->info : VmInfo{};
    }

    std::optional<base::TempDir> m_data;
};

TEST_F(VmRegistryTest, ARunningRunnerStaysRunning) {
    auto [child, identity] = start("sleep 600");
    auto const dir = running_vm("alive", identity);
    auto info = refreshed(dir);
    EXPECT_EQ(info.status, VmStatus::running);
    EXPECT_EQ(info.pid, child.pid());
    EXPECT_TRUE(info.started);
    child.kill_and_reap();
}

TEST_F(VmRegistryTest, AKilledRunnerIsExitedWithTheReasonItLeftNoStatus) {
    auto [child, identity] = start("sleep 600");
    auto const dir = running_vm("killed", identity);
    ASSERT_TRUE(child.kill());
    auto info = refreshed(dir);
    EXPECT_EQ(info.status, VmStatus::exited);
    EXPECT_FALSE(info.exit_code);
    EXPECT_NE(info.error.find("without reporting a result"), std::string::npos) << info.error;
    EXPECT_TRUE(info.finished);
    // Recorded, not only computed: the file says so for the next reader.
    auto stored = state::read_state(dir);
    ASSERT_TRUE(stored && *stored);
    EXPECT_EQ((*stored)->info.status, VmStatus::exited);
}

TEST_F(VmRegistryTest, AnEndedRunnerReportsTheExitCodeOfItsResult) {
    auto [child, identity] = start("exit 0");
    auto const dir = running_vm("ended", identity);
    test::write_file(state::VmDir(dir).runner_report(), "{\"exit_code\": 7}\n");
    ASSERT_TRUE(child.wait());
    auto info = refreshed(dir);
    EXPECT_EQ(info.status, VmStatus::exited);
    EXPECT_EQ(info.exit_code, 7);
    EXPECT_TRUE(info.error.empty()) << info.error;
}

TEST_F(VmRegistryTest, AZombieRunnerCountsAsExited) {
    auto [child, identity] = start("exit 0");
    auto const dir = running_vm("zombie", identity);
    test::write_file(state::VmDir(dir).runner_report(), "{\"exit_code\": 3}\n");
    // Not reaped: the PID is still the runner's, but it is no longer running.
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOWAIT), 0);
    EXPECT_EQ(refreshed(dir).exit_code, 3);
    ASSERT_TRUE(child.wait());
}

// The PID alone is not trusted: a live process with the runner's PID but another start time
// (what a reused PID looks like) is not the runner.
TEST_F(VmRegistryTest, APidNowHeldByAnotherProcessIsNotTheRunner) {
    auto [child, identity] = start("sleep 600");
    auto impostor = identity;
    impostor.start_time += 1;
    auto const dir = running_vm("reused", impostor);
    EXPECT_EQ(refreshed(dir).status, VmStatus::exited);
    // And stopping it never signals the live process behind the PID.
    auto vm = open("reused", data());
    ASSERT_TRUE(vm) << vm.error().text();
    EXPECT_TRUE(vm->stop(std::chrono::seconds(1)));
    EXPECT_FALSE(child.try_wait().value_or(std::nullopt));
    child.kill_and_reap();
}

TEST_F(VmRegistryTest, WaitOnAVmOpenedByNameReturnsTheRecordedExitCode) {
    auto [child, identity] = start("sleep 0.2; exit 0");
    auto const dir = running_vm("waited", identity);
    test::write_file(state::VmDir(dir).runner_report(), "{\"exit_code\": 42}\n");
    auto vm = open("waited", data());
    ASSERT_TRUE(vm) << vm.error().text();
    EXPECT_EQ(vm->id(), std::to_string(child.pid()));
    // The runner is our child here, so it becomes a zombie rather than vanishing; reap it from
    // another thread as init would.
    std::thread reaper([&] { (void)child.wait(); });
    auto status = vm->wait();
    reaper.join();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 42);
}

TEST_F(VmRegistryTest, OpenAndListByName) {
    auto missing = open("nope", data());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().text(), "no VM named \"nope\"");

    auto [child, identity] = start("sleep 600");
    running_vm("b-second", identity);
    RunOptions options;
    options.name = "a-created";
    auto claimed = claim_vm_dir(data(), options.name);
    ASSERT_TRUE(claimed);
    ASSERT_TRUE(state::write_state(*claimed, created_record("alpine:3.20", options)));

    auto vms = list(data());
    ASSERT_TRUE(vms) << vms.error().text();
    ASSERT_EQ(vms->size(), 2U);
    std::map<std::string, VmStatus> statuses;
    for (auto const& vm : *vms) {
        statuses[vm.name] = vm.status;
    }
    EXPECT_EQ(statuses["b-second"], VmStatus::running);
    EXPECT_EQ(statuses["a-created"], VmStatus::created);
    child.kill_and_reap();
}

TEST_F(VmRegistryTest, TheKernelTheBackendBootedReplacesTheRequestedOne) {
    auto [child, identity] = start("sleep 600");
    RunOptions options;
    options.name = "kernel";
    auto dir = claim_vm_dir(data(), options.name);
    ASSERT_TRUE(dir);
    ASSERT_TRUE(state::write_state(*dir, created_record("", options)));
    ASSERT_TRUE(record_started(*dir, "6.1.192-microvm (/k/bzImage)", "/srv/root", identity));
    EXPECT_EQ(refreshed(*dir).kernel, "6.1.192-microvm (/k/bzImage)");
    child.kill_and_reap();
}

TEST_F(VmRegistryTest, ListRemovesAnExitedAutoRemoveVmItsRunnerCouldNotRemove) {
    auto [child, identity] = start("sleep 600");
    RunOptions options;
    options.name = "gone";
    options.auto_remove = true;
    auto dir = claim_vm_dir(data(), options.name);
    ASSERT_TRUE(dir);
    ASSERT_TRUE(state::write_state(*dir, created_record("", options)));
    ASSERT_TRUE(record_started(*dir, "", "/srv/root", identity));
    ASSERT_TRUE(child.kill());
    auto vms = list(data());
    ASSERT_TRUE(vms) << vms.error().text();
    EXPECT_TRUE(vms->empty());
    EXPECT_FALSE(std::filesystem::exists(*dir));
}

// The runner's report decides, under either policy; before it there is no claim at all.
TEST_F(VmRegistryTest, ReadOnlySharesShowWhatTheRunnerReported) {
    auto share = m_data->path() / "share";
    std::filesystem::create_directory(share);
    RunOptions options;
    options.name = "shares";
    options.mounts = {{.tag = "ro", .host_path = share, .guest_path = "/ro", .read_only = true},
                      {.tag = "rw", .host_path = share, .guest_path = "/rw", .read_only = false}};
    for (auto policy : {ReadOnlyPolicy::require_host, ReadOnlyPolicy::allow_guest_only}) {
        options.read_only_policy = policy;
        auto const created = created_record("", options);
        EXPECT_EQ(created.info.mounts[0].enforcement, Enforcement::unknown);
        EXPECT_EQ(created.info.mounts[1].enforcement, Enforcement::none);
    }

    auto [child, identity] = start("sleep 600");
    auto dir = claim_vm_dir(data(), options.name);
    ASSERT_TRUE(dir);
    ASSERT_TRUE(state::write_state(*dir, created_record("", options)));
    ASSERT_TRUE(record_started(*dir, "", "/srv/root", identity));
    EXPECT_EQ(refreshed(*dir).mounts[0].enforcement, Enforcement::unknown);
    // Log text and a console log say nothing: the report is the only source.
    test::write_file(state::VmDir(*dir).console_log(), "");
    test::write_file(*dir / "runner.log", "anything at all\n");
    EXPECT_EQ(refreshed(*dir).mounts[0].enforcement, Enforcement::unknown);

    auto const report = state::VmDir(*dir).runner_report().string();
    contract::RunnerReport said{.vmm_started = true,
                                .engine = contract::Engine::qemu,
                                .shares = {{.tag = "ro", .read_only = true, .host_enforced = true},
                                           {.tag = "rw", .read_only = false}}};
    ASSERT_TRUE(contract::write_runner_report(report, said));
    EXPECT_EQ(refreshed(*dir).mounts[0].enforcement, Enforcement::host_and_guest);
    EXPECT_EQ(refreshed(*dir).mounts[1].enforcement, Enforcement::none);
    said.shares[0].host_enforced = false;
    ASSERT_TRUE(contract::write_runner_report(report, said));
    EXPECT_EQ(refreshed(*dir).mounts[0].enforcement, Enforcement::guest_only);
    // A report from before the VMM was up, or one that does not parse, claims nothing.
    said.vmm_started = false;
    said.shares[0].host_enforced = true;
    ASSERT_TRUE(contract::write_runner_report(report, said));
    EXPECT_EQ(refreshed(*dir).mounts[0].enforcement, Enforcement::unknown);
    test::write_file(report, "{\"vmm_started\": true, \"shares\": 7}");
    EXPECT_EQ(refreshed(*dir).mounts[0].enforcement, Enforcement::unknown);
    child.kill_and_reap();
}

// Used to throw out of the library: a range-for over the VMs' directory, which a `rm` in
// another process can remove entries from while it is read (getdents then fails).
TEST_F(VmRegistryTest, ListingAVmsDirectoryThatFailsMidwayIsAnErrorNotAnException) {
    RunOptions options;
    for (char const* name : {"a", "b", "c"}) {
        options.name = name;
        auto dir = claim_vm_dir(data(), name);
        ASSERT_TRUE(dir);
        ASSERT_TRUE(state::write_state(*dir, created_record("", options)));
    }
    test::ReaddirFault fault(data() / "vms", 1, ENOENT);
    auto vms = list(data());
    ASSERT_FALSE(vms);
    EXPECT_NE(vms.error().text().find("list " + (data() / "vms").string()), std::string::npos)
        << vms.error().text();
    EXPECT_EQ(vms.error().errno_value(), ENOENT);
}

// Used to throw: json.value("started", false) on a non-bool. The report's codec names the
// field instead, and the VM's outcome says so.
TEST_F(VmRegistryTest, AReportWithAFieldOfTheWrongTypeIsAnErrorNamingIt) {
    auto [child, identity] = start("exit 0");
    auto const dir = running_vm("typo", identity);
    test::write_file(state::VmDir(dir).runner_report(), "{\"status_is_runner_exit\": \"yes\"}\n");
    ASSERT_TRUE(child.wait());
    auto info = refreshed(dir);
    EXPECT_EQ(info.status, VmStatus::exited);
    EXPECT_FALSE(info.exit_code);
    EXPECT_NE(info.error.find("status_is_runner_exit"), std::string::npos) << info.error;
}

} // namespace
} // namespace microvm
