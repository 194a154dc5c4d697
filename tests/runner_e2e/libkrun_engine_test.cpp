// The libkrun engine's other steps: loading the library, exit statuses, network, limits.
#include <unistd.h>

#include "contract/runner_report.hpp"
#include "host/rootfs/layer_disk.hpp"
#include "runner_fixture.hpp"

namespace microvm::test {
namespace {

using nlohmann::json;

class LibkrunEngineTest : public RunnerTest {};

TEST_F(LibkrunEngineTest, MinimalConfigMakesTheMinimalCalls) {
    auto run = this->run(config());
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.err, "");
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_start_enter ctx=0"}));
}

TEST_F(LibkrunEngineTest, WorkloadStatusPropagates) {
    auto run = this->run(config(), {"MICROVM_FAKE_KRUN_EXIT=42"});
    EXPECT_EQ(run.exit_code, 42) << run.err;
    run = this->run(config("1.17"), {"MICROVM_FAKE_KRUN_EXIT=7"});
    EXPECT_EQ(run.exit_code, 7) << run.err;
}

TEST_F(LibkrunEngineTest, MissingLibraryExits3NamingThePath) {
    json document = config();
    document["libkrun"]["library"] = path("no-such-libkrun.so.1");
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_TRUE(run.err.starts_with("microvm-runner: libkrun: cannot load libkrun \"" +
                                    path("no-such-libkrun.so.1") + "\": "))
        << run.err;
    EXPECT_TRUE(run.calls.empty());
}

TEST_F(LibkrunEngineTest, MissingRequiredSymbolExits3NamingIt) {
    auto run = this->run(config("no-start-enter"));
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: libkrun \"" + fake("no-start-enter") +
                           "\" lacks required symbol krun_start_enter\n");
    EXPECT_TRUE(run.calls.empty());
}

TEST_F(LibkrunEngineTest, LibraryThatIsNotLibkrunExits3NamingEverySymbol) {
    json document = config();
    document["libkrun"]["library"] = "libm.so.6";
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: libkrun \"libm.so.6\" lacks required symbols "
                       "krun_set_log_level, krun_create_ctx, krun_set_vm_config, krun_set_root, "
                       "krun_add_virtiofs, krun_set_console_output, krun_set_exec, "
                       "krun_start_enter\n");
}

TEST_F(LibkrunEngineTest, CreateCtxFailureExits3) {
    auto run = this->run(config(), {"MICROVM_FAKE_KRUN_FAIL=krun_create_ctx=12"});
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: krun_create_ctx: Cannot allocate memory\n");
    EXPECT_EQ(run.calls,
              (std::vector<std::string>{"krun_set_log_level level=0", "krun_create_ctx"}));
}

TEST_F(LibkrunEngineTest, SetupCallFailureExits1NamingTheCall) {
    auto run = this->run(config(), {"MICROVM_FAKE_KRUN_FAIL=krun_set_root"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.err,
              "microvm-runner: libkrun: krun_set_root " + path("root") + ": Invalid argument\n");
    auto until_set_root = prologue();
    until_set_root.pop_back(); // krun_set_exec comes after krun_set_root
    EXPECT_EQ(run.calls, until_set_root);

    run = this->run(config(), {"MICROVM_FAKE_KRUN_FAIL=krun_set_vm_config=22"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: krun_set_vm_config 2 vCPUs, 512 MiB: Invalid "
                       "argument\n");

    json document = config();
    document["console_log_path"] = path("console.log");
    run = this->run(document, {"MICROVM_FAKE_KRUN_FAIL=krun_set_console_output=28"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: krun_set_console_output " + path("console.log") +
                           ": No space left on device\n");
}

TEST_F(LibkrunEngineTest, StartEnterReturningExits2) {
    auto run = this->run(config(), {"MICROVM_FAKE_KRUN_FAIL=krun_start_enter=1"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: krun_start_enter: Operation not permitted\n");
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_start_enter ctx=0"}));
}

TEST_F(LibkrunEngineTest, MoreThan255VcpusIsAConfigError) {
    json document = config();
    document["num_vcpus"] = 256;
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: num_vcpus 256 is more than libkrun can take "
                       "(255)\n");
    EXPECT_TRUE(run.calls.empty());

    document["num_vcpus"] = 255;
    run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls.at(2), "krun_set_vm_config ctx=0 vcpus=255 ram_mib=512");
}

TEST_F(LibkrunEngineTest, OverlayRootTakesTheGuestsWrites) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting the root overlay needs CAP_SYS_ADMIN";
    }
    std::filesystem::create_directory(path("upper"));
    std::filesystem::create_directory(path("work"));
    write_file(path("root") + "/from-image", "image");
    json document = config();
    document["root_upper_dir"] = path("upper");
    document["root_work_dir"] = path("work");
    auto run = this->run(document, {"MICROVM_FAKE_KRUN_WRITE_ROOT=written-by-guest"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    // krun_set_root still names root_path: the overlay is mounted over it, privately.
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_start_enter ctx=0"}));
    EXPECT_TRUE(std::filesystem::exists(path("upper") + "/written-by-guest"));
    EXPECT_FALSE(std::filesystem::exists(path("root") + "/written-by-guest"));
    EXPECT_EQ(read_file(path("root") + "/from-image"), "image");
}

TEST_F(LibkrunEngineTest, TheLayersDiskTakesTheGuestsWrites) {
    std::filesystem::create_directories(path("layer") + "/upper");
    std::filesystem::create_directories(path("layer") + "/work");
    rootfs::RootfsView const view{.source = path("root"),
                                  .upper_dir = path("layer") + "/upper",
                                  .work_dir = path("layer") + "/work"};
    auto made = rootfs::move_layer_to_disk(view, path("layer.ext4"), 64ull << 20);
    ASSERT_TRUE(made) << made.error().text();
    json document = config();
    document["root_upper_dir"] = view.upper_dir.string();
    document["root_work_dir"] = view.work_dir.string();
    document["root_disk_image"] = path("layer.ext4");
    auto run = this->run(document, {"MICROVM_FAKE_KRUN_WRITE_ROOT=written-by-guest"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_start_enter ctx=0"}));
    // In the image, not in the host's directory under it, nor in the image's source.
    EXPECT_TRUE(std::filesystem::is_empty(view.upper_dir));
    EXPECT_FALSE(std::filesystem::exists(path("root") + "/written-by-guest"));
    auto const listed =
        test::run_process({"/usr/sbin/debugfs", "-R", "ls -l /upper", path("layer.ext4")});
    EXPECT_NE(listed.out.find("written-by-guest"), std::string::npos) << listed.out << listed.err;
}

TEST_F(LibkrunEngineTest, OverlayMountFailureExits2) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting the root overlay needs CAP_SYS_ADMIN";
    }
    // A work directory inside the upper one is refused by overlayfs.
    std::filesystem::create_directories(path("upper") + "/work");
    json document = config();
    document["root_upper_dir"] = path("upper");
    document["root_work_dir"] = path("upper") + "/work";
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_TRUE(
        run.err.starts_with("microvm-runner: libkrun: mount the VM's root overlay: mount overlay"))
        << run.err;
    EXPECT_TRUE(run.calls.empty());
}

TEST_F(LibkrunEngineTest, TcpForwardsBecomeAPortMap) {
    json document = config();
    document["port_forwards"] = {{{"host", 8080}, {"guest", 80}},
                                 {{"host", 8443}, {"guest", 443}, {"protocol", "tcp"}}};
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_set_port_map ctx=0 map=8080:80,8443:443",
                                             "krun_start_enter ctx=0"}));
}

TEST_F(LibkrunEngineTest, UdpForwardIsRefused) {
    json document = config();
    document["port_forwards"] = {{{"host", 8080}, {"guest", 80}},
                                 {{"host", 5353}, {"guest", 53}, {"protocol", "udp"}}};
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: port_forwards[1]: 5353:53/udp: libkrun's port "
                       "map (TSI) forwards TCP only\n");
    EXPECT_TRUE(run.calls.empty());
}

TEST_F(LibkrunEngineTest, ForwardsNeedKrunSetPortMap) {
    json document = config("minimal");
    document["port_forwards"] = {{{"host", 8080}, {"guest", 80}}};
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_EQ(run.err,
              "microvm-runner: libkrun: port_forwards: this libkrun has no krun_set_port_map\n");
}

TEST_F(LibkrunEngineTest, NetSocketAddsAUnixStreamNicAndLeavesForwardsToTheProvider) {
    json document = config();
    document["net_sock_path"] = path("net.sock");
    document["port_forwards"] = {{{"host", 5353}, {"guest", 53}, {"protocol", "udp"}}};
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls,
              concat(prologue(), {"krun_add_net_unixstream ctx=0 path=" + path("net.sock") +
                                      " fd=-1 mac=5a:94:ef:e4:0c:ee features=19587 "
                                      "flags=0",
                                  "krun_start_enter ctx=0"}));

    document = config("minimal");
    document["net_sock_path"] = path("net.sock");
    run = this->run(document);
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: net_sock_path: this libkrun has no "
                       "krun_add_net_unixstream\n");
}

TEST_F(LibkrunEngineTest, LogLevelReachesLibkrunAndTheRunnersLog) {
    json document = config();
    document["log_level"] = 4;
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls.front(), "krun_set_log_level level=4");
    EXPECT_NE(run.err.find("microvm-runner: info: loaded libkrun \"" + fake("1.19") + "\""),
              std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("microvm-runner: debug: krun_start_enter(0)"), std::string::npos)
        << run.err;
}

TEST_F(LibkrunEngineTest, OutputsMoveToTheirFilesJustBeforeStart) {
    json document = config();
    document["stdout_path"] = path("stdout.log");
    document["stderr_path"] = path("stderr.log");
    auto run = this->run(document, {"MICROVM_FAKE_KRUN_FAIL=krun_start_enter=5"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err, "");
    EXPECT_EQ(read_file(path("stderr.log")),
              "microvm-runner: libkrun: krun_start_enter: Input/output error\n");
    EXPECT_EQ(std::filesystem::status(path("stderr.log")).permissions() &
                  std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_TRUE(std::filesystem::exists(path("stdout.log")));
}

TEST_F(LibkrunEngineTest, FailureIsRecordedInTheReport) {
    json document = config();
    document["report_path"] = path("report.json");
    auto run = this->run(document, {"MICROVM_FAKE_KRUN_FAIL=krun_create_ctx=12"});
    EXPECT_EQ(run.exit_code, 3);
    auto report = contract::read_runner_report(path("report.json"));
    ASSERT_TRUE(report && *report) << (report ? "none" : report.error().text());
    EXPECT_FALSE((*report)->vmm_started);
    EXPECT_EQ((*report)->error, "libkrun: krun_create_ctx: Cannot allocate memory");
    EXPECT_EQ(std::filesystem::status(path("report.json")).permissions() &
                  std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// On success libkrun ends the process itself: the runner reports before handing over, and its
// exit status is the workload's.
TEST_F(LibkrunEngineTest, SuccessReportsTheSharesAndThatTheExitStatusIsTheWorkloads) {
    json document = config();
    document["report_path"] = path("report.json");
    auto run = this->run(document, {"MICROVM_FAKE_KRUN_EXIT=3"});
    EXPECT_EQ(run.exit_code, 3);
    auto report = contract::read_runner_report(path("report.json"));
    ASSERT_TRUE(report && *report) << (report ? "none" : report.error().text());
    EXPECT_TRUE((*report)->vmm_started);
    EXPECT_TRUE((*report)->status_is_runner_exit);
    EXPECT_EQ((*report)->engine, contract::Engine::libkrun);
    EXPECT_FALSE((*report)->exit_code);
    EXPECT_FALSE((*report)->error);
}

// microvm-init must be in the root (the host put it in the VM's own layer): without it the
// guest would boot with nothing to mount its shares, so nothing is called at all.
TEST_F(LibkrunEngineTest, AMissingOrPlantedInitIsAStartFailureBeforeAnyCall) {
    std::filesystem::remove(path("root") + "/.microvm/init");
    auto run = this->run(config());
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("microvm-init /.microvm/init in the root " + path("root")),
              std::string::npos)
        << run.err;
    EXPECT_TRUE(run.calls.empty());

    // A symlink where init should be is not followed, even to a real executable.
    std::filesystem::create_symlink("/bin/true", path("root") + "/.microvm/init");
    run = this->run(config());
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(run.calls.empty());
}

} // namespace
} // namespace microvm::test
