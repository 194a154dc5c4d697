// run() end to end with stand-ins for qemu and virtiofsd: the exit status plumbing, the
// preflight statuses, and that nothing is left behind. Real VMs are the e2e tests' business.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "base/temp_dir.hpp"
#include "contract/runner_config.hpp"
#include "contract/runner_report.hpp"
#include "runner/engine/engines.hpp"
#include "support/test_support.hpp"

namespace microvm::runner::qemu {
namespace {

using ::testing::HasSubstr;

// The fake qemu writes `report` to the status port's file, records its arguments, and exits
// with `status`.
std::string fake_qemu(std::string const& report, int status, std::string const& record) {
    return "#!/bin/sh\n"
           "for a in \"$@\"; do case \"$a\" in file,id=status,path=*) "
           "s=\"${a#file,id=status,path=}\";; esac; done\n"
           "echo \"$@\" > " +
           record + "\n" + (report.empty() ? "" : "printf '" + report + "' > \"$s\"\n") + "exit " +
           std::to_string(status) + "\n";
}

class Engine : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-qemu-engine-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        std::filesystem::create_directories(path("root"));
        std::filesystem::create_directories(path("data"));
        std::filesystem::create_directories(path("tmp"));
        test::write_file(path("vmlinuz"), "kernel");
        test::write_file(path("initrd"), "initrd");
        // Answers --help with nothing (so: the C daemon), then serves until stopped.
        executable("virtiofsd", "#!/bin/sh\n[ \"$1\" = --help ] && exit 0\nexec sleep 100\n");
        set_qemu("exit=5\\n", 0);

        m_config.engine = contract::Engine::qemu;
        m_config.root_path = path("root");
        m_config.num_vcpus = 1;
        m_config.ram_mib = 128;
        m_config.virtiofs_mounts = {{.tag = "data", .path = path("data"), .read_only = false}};
        m_config.console_log_path = path("console.log");
        m_config.stdout_path = path("stdout");
        m_config.stderr_path = path("stderr");
        m_config.report_path = path("report.json");
        m_config.qemu.binary = path("qemu");
        m_config.qemu.kernel = path("vmlinuz");
        m_config.qemu.initrd = path("initrd");
        m_config.qemu.virtiofsd = path("virtiofsd");
        m_config.qemu.accel = "tcg";

        char const* tmp = std::getenv("TMPDIR");
        m_saved_tmpdir = tmp ? tmp : "";
        ::setenv("TMPDIR", path("tmp").c_str(), 1);
    }
    void TearDown() override {
        if (m_saved_tmpdir.empty()) {
            ::unsetenv("TMPDIR");
        } else {
            ::setenv("TMPDIR", m_saved_tmpdir.c_str(), 1);
        }
    }

    std::string path(std::string const& name) const { return (m_dir->path() / name).string(); }
    void executable(std::string const& name, std::string const& text) {
        test::write_file(path(name), text);
        ::chmod(path(name).c_str(), 0755);
    }
    void set_qemu(std::string const& report, int status) {
        executable("qemu", fake_qemu(report, status, path("qemu-args")));
    }

    std::optional<base::TempDir> m_dir;
    contract::RunnerConfig m_config;
    std::string m_saved_tmpdir;
};

TEST_F(Engine, ReturnsTheStatusTheGuestReported) {
    EXPECT_EQ(run(m_config), 5);
    auto report = contract::read_runner_report(path("report.json"));
    ASSERT_TRUE(report && *report) << (report ? "none" : report.error().text());
    EXPECT_EQ((*report)->exit_code, 5);
    EXPECT_TRUE((*report)->vmm_started);
    EXPECT_EQ((*report)->engine, contract::Engine::qemu);
    EXPECT_EQ((*report)->kernel, path("vmlinuz"));
    EXPECT_EQ((*report)->accelerator, "tcg");
    // The user's shares, not the root share.
    EXPECT_EQ((*report)->shares,
              (std::vector<contract::ShareReport>{{.tag = "data", .read_only = false}}));
}

TEST_F(Engine, StartsOneDaemonPerShareAndLeavesNothingBehind) {
    ASSERT_EQ(run(m_config), 5);
    std::string const args = test::read_file(path("qemu-args"));
    EXPECT_THAT(args, HasSubstr("tag=microvm-root"));
    EXPECT_THAT(args, HasSubstr("tag=data"));
    EXPECT_THAT(args, HasSubstr("-accel tcg"));
    EXPECT_THAT(args, HasSubstr("file,id=stdout,path=" + path("stdout") + ",append=on"));
    // The runtime directory (sockets, status file) is gone.
    EXPECT_TRUE(std::filesystem::is_empty(path("tmp")));
}

TEST_F(Engine, TheHostsRuntimeDirIsUsedAndEmptiedButKept) {
    std::filesystem::create_directories(path("run"));
    // What a runner killed with SIGKILL leaves behind: its sockets and the overlay mountpoint.
    test::write_file(path("run") + "/vfs-0.sock", "stale");
    std::filesystem::create_directories(path("run") + "/root");
    m_config.runtime_dir = path("run");
    ASSERT_EQ(run(m_config), 5);
    EXPECT_THAT(test::read_file(path("qemu-args")),
                HasSubstr("path=" + path("run") + "/vfs-0.sock"));
    EXPECT_TRUE(std::filesystem::is_directory(path("run")));
    EXPECT_TRUE(std::filesystem::is_empty(path("run")));
    // Nothing under $TMPDIR.
    EXPECT_TRUE(std::filesystem::is_empty(path("tmp")));
}

TEST_F(Engine, NoReportIsARuntimeError) {
    set_qemu("", 0);
    EXPECT_EQ(run(m_config), 1);
    EXPECT_THAT(test::read_file(path("report.json")),
                HasSubstr("without reporting the workload's exit status"));
}

TEST_F(Engine, QemuFailingIsAStartFailure) {
    set_qemu("", 1);
    EXPECT_EQ(run(m_config), 2);
    EXPECT_THAT(test::read_file(path("report.json")), HasSubstr("qemu failed (exit status 1"));
}

TEST_F(Engine, MissingFilesAreEngineInitFailuresNamingThePath) {
    m_config.qemu.kernel = path("no-kernel");
    EXPECT_EQ(run(m_config), 3);
    EXPECT_THAT(test::read_file(path("report.json")), HasSubstr(path("no-kernel")));
    EXPECT_FALSE(std::filesystem::exists(path("qemu-args")));
}

TEST_F(Engine, EveryStatusComesBackExactly) {
    for (int status : {0, 1, 42, 255}) {
        set_qemu("exit=" + std::to_string(status) + "\\n", 0);
        EXPECT_EQ(run(m_config), status);
    }
}

} // namespace
} // namespace microvm::runner::qemu
