// The lifecycle verbs on real VMs: run -d, ps, logs, stop, inspect, rm, and what happens when a
// runner is killed or two runs want one name.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

using namespace std::chrono_literals;

// A workload that says something on both streams, then runs until it is stopped (bounded, so
// that a test that fails to stop it still ends), and exits 7 on SIGTERM.
constexpr char long_running[] =
    "trap 'echo got-term; exit 7' TERM; echo hello-out; echo hello-err >&2; "
    "i=0; while [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done";

std::filesystem::path vm_dir(std::string const& name) {
    return world().data_dir / "vms" / name;
}

test::ProcessResult run_detached(std::string const& name, std::string const& script,
                                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "-d", "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--rootfs", world().rootfs.string(), "--", "/bin/sh", "-c", script});
    return microvm(args);
}

// The one VM of `inspect NAME`, or null when inspect failed.
nlohmann::json inspect(std::string const& name) {
    auto result = microvm({"inspect", name});
    if (result.exit_code != 0) {
        return nullptr;
    }
    auto json = nlohmann::json::parse(result.out, nullptr, false);
    return json.is_array() && json.size() == 1 ? json[0] : nlohmann::json(nullptr);
}

// The row `ps -a` prints for `name`, or "" when it lists none.
std::string ps_row(std::string const& name, bool all = true) {
    auto result =
        microvm(all ? std::vector<std::string>{"ps", "-a"} : std::vector<std::string>{"ps"});
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with(name + " ")) {
            return line;
        }
    }
    return "";
}

// PIDs of processes whose command line names the VM's directory: its runner, qemu and the
// virtiofsd daemons all do (config, sockets, logs).
std::vector<int> processes_of(std::string const& name) {
    std::string const needle = vm_dir(name).string() + "/";
    std::vector<int> pids;
    for (auto const& entry : std::filesystem::directory_iterator("/proc")) {
        auto const pid = entry.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream in(entry.path() / "cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // A zombie has an empty command line: it is gone but for its parent's bookkeeping.
        if (cmdline.find(needle) != std::string::npos) {
            pids.push_back(std::stoi(pid));
        }
    }
    return pids;
}

std::string logs(std::string const& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"logs"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(name);
    auto result = microvm(args);
    return result.out + result.err;
}

TEST(Lifecycle, DetachedRunPsLogsStopInspectRm) {
    std::string const name = "e2e-life";
    auto const rootfs_before = snapshot(world().rootfs);
    auto started = run_detached(name, long_running);
    ASSERT_EQ(started.exit_code, 0) << started.err;
    EXPECT_EQ(started.out, name + "\n");

    EXPECT_NE(ps_row(name, false).find("running"), std::string::npos) << ps_row(name, false);
    auto running = inspect(name);
    ASSERT_FALSE(running.is_null());
    EXPECT_EQ(running["state"]["status"], "running");
    EXPECT_GT(running["state"]["pid"].get<int>(), 1);

    ASSERT_TRUE(eventually([&] { return logs(name).find("hello-err") != std::string::npos; }))
        << logs(name) << "\nconsole:\n"
        << logs(name, {"--console"});
    auto out = microvm({"logs", name});
    EXPECT_EQ(out.exit_code, 0);
    EXPECT_EQ(out.out, "hello-out\n");
    EXPECT_EQ(out.err, "hello-err\n");
    // The console carries the guest's own messages (how many depends on the kernel's "quiet").
    EXPECT_EQ(microvm({"logs", "--console", name}).exit_code, 0);

    auto stopped = microvm({"stop", "-t", "120", name});
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    EXPECT_EQ(stopped.out, name + "\n");
    EXPECT_EQ(ps_row(name, false), "");
    EXPECT_NE(ps_row(name).find("exited (7)"), std::string::npos) << ps_row(name);
    auto exited = inspect(name);
    ASSERT_FALSE(exited.is_null());
    EXPECT_EQ(exited["state"]["status"], "exited");
    EXPECT_EQ(exited["state"]["exit_code"], 7);
    EXPECT_FALSE(exited["state"]["finished"].is_null());
    // The workload's output stays readable after it ended (busybox sh adds "Terminated" on
    // stderr for the sleep the stop interrupted).
    auto after = microvm({"logs", name});
    EXPECT_EQ(after.out, "hello-out\ngot-term\n");
    EXPECT_TRUE(after.err.starts_with("hello-err\n")) << after.err;
    // Stopping a stopped VM is no error.
    EXPECT_EQ(microvm({"stop", name}).exit_code, 0);

    auto removed = microvm({"rm", name});
    EXPECT_EQ(removed.exit_code, 0) << removed.err;
    EXPECT_EQ(ps_row(name), "");
    EXPECT_FALSE(std::filesystem::exists(vm_dir(name)));
    EXPECT_EQ(snapshot(world().rootfs), rootfs_before) << "rm touched the --rootfs directory";
    EXPECT_TRUE(processes_of(name).empty());
}

TEST(Lifecycle, RmRefusesARunningVmWithoutForce) {
    std::string const name = "e2e-rm-running";
    ASSERT_EQ(run_detached(name, long_running).exit_code, 0);
    auto refused = microvm({"rm", name});
    EXPECT_EQ(refused.exit_code, 125);
    EXPECT_NE(refused.err.find("is running"), std::string::npos) << refused.err;
    EXPECT_NE(ps_row(name, false).find("running"), std::string::npos);

    auto forced = microvm({"rm", "-f", name});
    EXPECT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_FALSE(std::filesystem::exists(vm_dir(name)));
    EXPECT_TRUE(eventually([&] { return processes_of(name).empty(); }, 60s));
}

TEST(Lifecycle, AKilledRunnerIsShownExitedAndLeavesNoQemuOrVirtiofsd) {
    std::string const name = "e2e-killed";
    ASSERT_EQ(run_detached(name, long_running).exit_code, 0);
    auto info = inspect(name);
    ASSERT_FALSE(info.is_null());
    int const runner = info["state"]["pid"].get<int>();
    ASSERT_GT(runner, 1);
    // The VMM and the root share's daemon are up once the workload has printed.
    ASSERT_TRUE(eventually([&] { return logs(name).find("hello-out") != std::string::npos; }));
    auto const before = processes_of(name);
    EXPECT_GE(before.size(), 3U) << "expected the runner, qemu and at least one virtiofsd";

    ASSERT_EQ(::kill(runner, SIGKILL), 0);
    EXPECT_TRUE(eventually([&] { return processes_of(name).empty(); }, 60s))
        << processes_of(name).size() << " processes of the VM left after its runner was killed";
    EXPECT_TRUE(eventually([&] { return ps_row(name).find("exited") != std::string::npos; }, 60s))
        << ps_row(name);
    EXPECT_NE(ps_row(name).find("exited (error)"), std::string::npos) << ps_row(name);
    auto exited = inspect(name);
    ASSERT_FALSE(exited.is_null());
    EXPECT_NE(exited["state"]["error"].get<std::string>().find("without reporting a result"),
              std::string::npos)
        << exited.dump();

    EXPECT_EQ(microvm({"rm", name}).exit_code, 0);
    EXPECT_FALSE(std::filesystem::exists(vm_dir(name)));
}

TEST(Lifecycle, OfTwoRunsWithOneNameOneWinsAndTheOtherFailsClearly) {
    std::string const name = "e2e-same-name";
    auto first = std::async(std::launch::async, [&] { return run_detached(name, long_running); });
    auto second = std::async(std::launch::async, [&] { return run_detached(name, long_running); });
    auto a = first.get();
    auto b = second.get();
    EXPECT_EQ((a.exit_code == 0) + (b.exit_code == 0), 1) << a.err << "\n---\n" << b.err;
    auto const& loser = a.exit_code == 0 ? b : a;
    EXPECT_EQ(loser.exit_code, 125);
    EXPECT_NE(loser.err.find("a VM named \"" + name + "\" already exists"), std::string::npos)
        << loser.err;
    // The loser took nothing from the winner: it is still running.
    EXPECT_NE(ps_row(name, false).find("running"), std::string::npos) << ps_row(name);
    EXPECT_EQ(microvm({"rm", "-f", name}).exit_code, 0);
}

TEST(Lifecycle, DetachedRmRemovesTheVmWhenItEnds) {
    std::string const name = "e2e-detached-rm";
    auto started = run_detached(name, "echo bye; exit 3", {"--rm"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    // The runner removes the directory itself: no microvm command runs meanwhile.
    EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(vm_dir(name)); }));
    EXPECT_EQ(ps_row(name), "");
}

TEST(Lifecycle, EveryVerbOnAnUnknownNameFailsWith125) {
    for (auto const& args : std::vector<std::vector<std::string>>{{"stop", "e2e-ghost"},
                                                                  {"rm", "e2e-ghost"},
                                                                  {"rm", "-f", "e2e-ghost"},
                                                                  {"logs", "e2e-ghost"},
                                                                  {"logs", "-f", "e2e-ghost"},
                                                                  {"inspect", "e2e-ghost"}}) {
        auto result = microvm(args);
        EXPECT_EQ(result.exit_code, 125) << args[0];
        EXPECT_NE(result.err.find("no VM named \"e2e-ghost\""), std::string::npos) << result.err;
    }
}

} // namespace
} // namespace microvm::e2e
