// The library's hooks and preflight with real VMs, and the example program that embeds the
// library (examples/run_with_share.cpp).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include <microvm/microvm.hpp>

#include "base/fd.hpp"
#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

namespace fs = std::filesystem;

RunOptions rootfs_options(std::string const& name, std::vector<std::string> command) {
    RunOptions options;
    options.name = name;
    options.rootfs = world().rootfs;
    options.data_dir = world().data_dir;
    options.command = std::move(command);
    return options;
}

// How many live processes have `needle` in their command line (a VM's directory appears in
// its runner's, QEMU's and every virtiofsd's arguments).
int processes_mentioning(std::string const& needle) {
    int count = 0;
    for (auto const& entry : fs::directory_iterator("/proc")) {
        auto const name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos ||
            name == std::to_string(::getpid())) {
            continue;
        }
        auto cmdline = test::read_file(entry.path() / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (cmdline.find(needle) != std::string::npos) {
            ++count;
        }
    }
    return count;
}

std::string my_command() {
    auto comm = test::read_file("/proc/self/comm");
    while (!comm.empty() && comm.back() == '\n') {
        comm.pop_back();
    }
    return comm;
}

// A TCP listener of this process on 127.0.0.1 and an ephemeral port.
struct Listener {
    base::Fd fd;
    std::uint16_t port = 0;
};

Listener listen_on_loopback() {
    Listener listener{.fd = base::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))};
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(listener.fd.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::listen(listener.fd.get(), 1), 0);
    EXPECT_EQ(::getsockname(listener.fd.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    listener.port = ntohs(address.sin_port);
    return listener;
}

TEST(Hooks, ARootfsHookInjectsFilesTheWorkloadSees) {
    auto options = rootfs_options(
        "e2e-hook-inject",
        {"/bin/sh", "-c",
         "cat /etc/injected; cat /etc/app.env; ls -ln /root/.ssh/authorized_keys | cut -c1-10; "
         "cat /root/.ssh/authorized_keys"});
    options.rootfs_hooks.push_back(
        {.name = "inject", .run = [](VmRootfs& rootfs) -> Result<void> {
             MICROVM_TRY(rootfs.inject_file(
                 {.guest_path = "/etc/injected", .content = "hello from a rootfs hook\n"}));
             MICROVM_TRY(rootfs.inject_env_file("/etc/app.env", {"MODE=test"}));
             return rootfs.inject_authorized_keys("root", {"ssh-ed25519 AAAAC3Nz e2e"});
         }});
    auto vm = run("", options);
    ASSERT_TRUE(vm) << vm.error().text();
    auto const status = vm->wait();
    ASSERT_TRUE(status) << status.error().text();
    EXPECT_EQ(*status, 0) << test::read_file(vm->stderr_path());
    EXPECT_EQ(test::read_file(vm->stdout_path()),
              "hello from a rootfs hook\nMODE=test\n-rw-------\nssh-ed25519 AAAAC3Nz e2e\n");
    // The VM wrote its own layer; the root it booted from is unchanged.
    EXPECT_FALSE(fs::exists(world().rootfs / "etc/injected"));
    EXPECT_FALSE(fs::exists(world().rootfs / "root/.ssh"));
    EXPECT_TRUE(vm->remove());
}

TEST(Hooks, AFailingPostBootHookStopsTheVmAndReturnsItsError) {
    auto options = rootfs_options("e2e-hook-post-boot", {"/bin/sleep", "600"});
    std::string runner_id;
    fs::path vm_dir;
    options.post_boot_hooks.push_back({.name = "health", .run = [&](Vm& vm) -> Result<void> {
                                           runner_id = vm.id();
                                           vm_dir = vm.data_dir();
                                           return fail("the service did not answer");
                                       }});
    auto vm = run("", options);
    ASSERT_FALSE(vm);
    EXPECT_NE(vm.error().text().find("post-boot hook \"health\": the service did not answer"),
              std::string::npos)
        << vm.error().text();
    ASSERT_FALSE(runner_id.empty());
    ASSERT_FALSE(vm_dir.empty());
    // Nothing of the VM is left: no runner, QEMU or virtiofsd working for it, no directory.
    EXPECT_FALSE(fs::exists("/proc/" + runner_id + "/cmdline") &&
                 !test::read_file("/proc/" + runner_id + "/cmdline").empty());
    EXPECT_EQ(processes_mentioning(vm_dir.string()), 0);
    EXPECT_FALSE(fs::exists(vm_dir));
}

TEST(Preflight, ABusyPortFailsBeforeBootNamingTheHolder) {
    auto const listener = listen_on_loopback();
    auto options = rootfs_options("e2e-busy-port", {"/bin/true"});
    options.ports.push_back({.host = listener.port, .guest = 80});
    auto vm = run("", options);
    ASSERT_FALSE(vm);
    EXPECT_NE(vm.error().text().find("host port 127.0.0.1:" + std::to_string(listener.port) +
                                     "/tcp is in use by pid " + std::to_string(::getpid()) + " (" +
                                     my_command() + ")"),
              std::string::npos)
        << vm.error().text();
    EXPECT_FALSE(fs::exists(world().data_dir / "vms" / "e2e-busy-port"));
}

TEST(Preflight, RunWithABusyPublishedPortExits125BeforeBoot) {
    auto const listener = listen_on_loopback();
    auto const result =
        microvm({"run", "--rootfs", world().rootfs.string(), "--name", "e2e-busy-cli", "-p",
                 std::to_string(listener.port) + ":80", "--", "/bin/true"});
    EXPECT_EQ(result.exit_code, 125) << result.err;
    EXPECT_NE(result.err.find("host port 127.0.0.1:" + std::to_string(listener.port) +
                              "/tcp is in use by pid " + std::to_string(::getpid()) + " (" +
                              my_command() + ")"),
              std::string::npos)
        << result.err;
    EXPECT_FALSE(fs::exists(world().data_dir / "vms" / "e2e-busy-cli"));
}

TEST(Example, RunsTheBusyboxRootWithAReadOnlyShare) {
    auto const share = fresh_dir("example-share");
    test::write_file(share / "hello", "hello from the host\n");
    auto const before = snapshot(share);
    auto const result = test::run_process(
        {bin("microvm-example-run").string(), "--rootfs", world().rootfs.string(), share.string(),
         "/bin/sh", "-c",
         "cat /share/hello; cat /etc/microvm-example; "
         "if touch /share/new 2>/dev/null; then echo writable; else echo read-only; fi; exit 3"},
        {"MICROVM_DATA_DIR=" + world().data_dir.string()});
    EXPECT_EQ(result.exit_code, 3) << result.err;
    EXPECT_EQ(result.out,
              "hello from the host\nwritten by microvm-example-run\nread-only\nexit code: 3\n");
    EXPECT_NE(result.err.find("started VM example-"), std::string::npos) << result.err;
    EXPECT_EQ(snapshot(share), before);
}

} // namespace
} // namespace microvm::e2e
