// Failures fail closed and leave nothing behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "vm_fixture.hpp"

extern char** environ;

namespace microvm::e2e {
namespace {

struct ProcessInfo {
    pid_t pid = 0;
    pid_t parent = 0;
    std::string exe;
    std::string cmdline;
};

std::vector<ProcessInfo> processes() {
    std::vector<ProcessInfo> list;
    for (auto const& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        ProcessInfo info;
        info.pid = std::stoi(name);
        std::error_code error;
        info.exe = std::filesystem::read_symlink(entry.path() / "exe", error).filename().string();
        info.cmdline = test::read_file(entry.path() / "cmdline");
        std::replace(info.cmdline.begin(), info.cmdline.end(), '\0', ' ');
        auto stat = test::read_file(entry.path() / "stat");
        auto close = stat.rfind(')');
        if (close != std::string::npos) {
            int ppid = 0;
            std::sscanf(stat.c_str() + close + 2, "%*c %d", &ppid);
            info.parent = ppid;
        }
        list.push_back(info);
    }
    return list;
}

bool alive(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

TEST(Failure, KillingTheRunnerLeavesNoQemuOrVirtiofsdBehind) {
    auto share = fresh_dir("kill-share");
    std::string const name = "e2e-kill-" + std::to_string(::getpid());
    std::vector<std::string> args = {bin("microvm").string(),
                                     "run",
                                     "--rootfs",
                                     world().rootfs.string(),
                                     "--name",
                                     name,
                                     "-v",
                                     share.string() + ":/data:ro",
                                     "--",
                                     "/bin/sh",
                                     "-c",
                                     "echo started; sleep 300"};
    std::vector<char*> argv;
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    std::string data_env = "MICROVM_DATA_DIR=" + world().data_dir.string();
    std::vector<char*> envp = {data_env.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t cli = 0;
    ASSERT_EQ(::posix_spawn(&cli, argv[0], &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);

    auto const vm_dir = world().data_dir / "vms" / name;
    auto const stdout_log = vm_dir / "stdout.log";
    ASSERT_TRUE(eventually([&] { return test::read_file(stdout_log) == "started\n"; },
                           std::chrono::seconds(240)))
        << "the workload never started";

    pid_t runner = 0;
    std::vector<pid_t> children;
    for (auto const& process : processes()) {
        if (process.exe == "microvm-runner" &&
            process.cmdline.find(vm_dir.string()) != std::string::npos) {
            runner = process.pid;
        }
    }
    ASSERT_NE(runner, 0);
    for (auto const& process : processes()) {
        if (process.parent == runner) {
            children.push_back(process.pid);
        }
    }
    // qemu and one virtiofsd for the root and one for the share.
    EXPECT_GE(children.size(), 3u);

    ASSERT_EQ(::kill(runner, SIGKILL), 0);
    for (pid_t child : children) {
        EXPECT_TRUE(eventually([&] { return !alive(child); }, std::chrono::seconds(20)))
            << "process " << child << " outlived the runner";
    }
    int status = 0;
    ::waitpid(cli, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 125) << "the CLI must report that microvm failed";
    std::error_code ignored;
    std::filesystem::remove_all(vm_dir, ignored);
}

// The initramfs the qemu backend cached on an earlier boot.
std::filesystem::path cached_initramfs() {
    for (auto const& entry : std::filesystem::directory_iterator(world().data_dir / "initramfs")) {
        if (entry.path().string().ends_with(".cpio.gz")) {
            return entry.path();
        }
    }
    return {};
}

TEST(Failure, AGuestConfigThatDoesNotParseStopsTheBootWithNothingMounted) {
    // A normal boot first, so that the kernel and the initramfs are known.
    ASSERT_EQ(run_sh("true").exit_code, 0);
    auto const initramfs = cached_initramfs();
    ASSERT_FALSE(initramfs.empty());
    // The kernel that boot used: the cached initramfs was made for it (the microvm kernel's
    // carries no modules, so it would not boot a distribution kernel).
    auto const kernel = expected_kernel().kernel;
    ASSERT_FALSE(kernel.empty());

    // The runner boots a root whose /etc/microvm.json is garbage, with a read-write share that
    // the workload would write to if anything ran.
    auto root = fresh_dir("bad-config-root");
    std::filesystem::copy(world().rootfs, root,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::copy_symlinks);
    test::write_file(root / "etc" / "microvm.json", "{not json");
    auto share = fresh_dir("bad-config-share");
    auto const before = snapshot(share);
    auto logs = fresh_dir("bad-config-logs");
    nlohmann::json config = {
        {"root_path", root.string()},
        {"num_vcpus", 1},
        {"ram_mib", 256},
        {"engine", "qemu"},
        {"virtiofs_mounts", {{{"tag", "data"}, {"path", share.string()}}}},
        {"console_log_path", (logs / "console.log").string()},
        {"stdout_path", (logs / "stdout.log").string()},
        {"stderr_path", (logs / "stderr.log").string()},
        {"report_path", (logs / "result.json").string()},
        {"qemu", {{"kernel", kernel.string()}, {"initrd", initramfs.string()}}},
    };
    test::write_file(logs / "runner.json", config.dump());
    auto result =
        test::run_process({bin("microvm-runner").string(), (logs / "runner.json").string()});
    EXPECT_NE(result.exit_code, 0) << result.err;
    auto const console = test::read_file(logs / "console.log");
    EXPECT_NE(console.find("microvm.json"), std::string::npos) << console;
    EXPECT_EQ(test::read_file(logs / "stdout.log"), "");
    EXPECT_EQ(snapshot(share), before);
}

} // namespace
} // namespace microvm::e2e
