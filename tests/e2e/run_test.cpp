// `microvm run` in the foreground: output, exit statuses, environment.
#include <gtest/gtest.h>

#include <string>

#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

class ExitStatus : public ::testing::TestWithParam<int> {};

TEST_P(ExitStatus, TheWorkloadsStatusComesBackExactly) {
    int const status = GetParam();
    auto result = run_sh("exit " + std::to_string(status));
    EXPECT_EQ(result.exit_code, status) << result.err;
}

INSTANTIATE_TEST_SUITE_P(Statuses, ExitStatus, ::testing::Values(0, 1, 42, 255));

TEST(Run, MissingCommandIs127) {
    auto result = microvm({"run", "--rootfs", world().rootfs.string(), "--", "/no/such/command"});
    EXPECT_EQ(result.exit_code, 127) << result.err;
}

// microvm's own warnings (on a machine without KVM: that the VM runs under TCG) share stderr
// with the workload; what is left once they are taken out must be the workload's alone.
std::string without_microvm_warnings(std::string const& text) {
    std::string kept;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end + 1;
        auto line = text.substr(start, end - start);
        if (!line.starts_with("microvm: warning: ")) {
            kept += line;
        }
        start = end;
    }
    return kept;
}

TEST(Run, StdoutAndStderrAreSeparateAndFreeOfBootNoise) {
    auto result = run_sh("echo to-stdout; echo to-stderr >&2");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "to-stdout\n");
    EXPECT_EQ(without_microvm_warnings(result.err), "to-stderr\n") << result.err;
}

TEST(Run, EnvironmentWorkdirAndArguments) {
    auto result = microvm({"run", "--rootfs", world().rootfs.string(), "--name", "e2e-args", "-e",
                           "GREETING=hello world", "-w", "/tmp", "--", "/bin/sh", "-c",
                           "echo \"$GREETING\"; pwd; hostname; echo \"$0 $1\"", "--flag", "arg"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "hello world\n/tmp\ne2e-args\n--flag arg\n");
}

TEST(Run, BadVolumeSyntaxFailsBeforeAnythingStarts) {
    auto result =
        microvm({"run", "--rootfs", world().rootfs.string(), "-v", "/only-one-part", "--", "true"});
    EXPECT_EQ(result.exit_code, 125);
    EXPECT_NE(result.err.find("expected HOST:GUEST[:OPTIONS]"), std::string::npos) << result.err;
}

TEST(Run, MissingHostPathFailsBeforeAnythingStarts) {
    auto result = microvm({"run", "--rootfs", world().rootfs.string(), "--name", "e2e-missing",
                           "-v", "/nonexistent/dir:/data:ro", "--", "true"});
    EXPECT_EQ(result.exit_code, 125);
    EXPECT_NE(result.err.find("/nonexistent/dir"), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(world().data_dir / "vms" / "e2e-missing"));
}

TEST(Run, DuplicatedGuestPathFailsBeforeAnythingStarts) {
    auto a = fresh_dir("dup-a");
    auto b = fresh_dir("dup-b");
    auto result = microvm({"run", "--rootfs", world().rootfs.string(), "--name", "e2e-dup", "-v",
                           a.string() + ":/data", "-v", b.string() + ":/data:ro", "--", "true"});
    EXPECT_EQ(result.exit_code, 125);
    EXPECT_NE(result.err.find("/data"), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(world().data_dir / "vms" / "e2e-dup"));
}

} // namespace
} // namespace microvm::e2e
