// The libkrun engine's exec channel: the vsock port libkrun joins to the runner's socket, and
// the exec socket the host connects to.
#include <sys/stat.h>

#include <filesystem>

#include "runner_fixture.hpp"

namespace microvm::test {
namespace {

using nlohmann::json;

class LibkrunExecTest : public RunnerTest {
protected:
    json with_runtime_dir(std::string const& variant = "1.19") {
        std::filesystem::create_directory(path("run"));
        json document = config(variant);
        document["runtime_dir"] = path("run");
        return document;
    }
};

TEST_F(LibkrunExecTest, TheAgentsVsockPortLeadsToTheRunnersSocket) {
    auto run = this->run(with_runtime_dir());
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_add_vsock_port2 ctx=0 port=52000 path=" +
                                                 path("run") + "/agent.sock listen=0",
                                             "krun_start_enter ctx=0"}));
    // The exec socket is there for the host, only for its owner.
    struct stat st {};
    ASSERT_EQ(::stat((path("run") + "/exec.sock").c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(LibkrunExecTest, AVmWithoutANetworkGetsAVsockWithoutTsi) {
    json document = with_runtime_dir();
    document["network"] = "none";
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls,
              concat(prologue(), {"krun_disable_implicit_vsock ctx=0", "krun_add_vsock ctx=0 tsi=0",
                                  "krun_add_vsock_port2 ctx=0 port=52000 path=" + path("run") +
                                      "/agent.sock listen=0",
                                  "krun_start_enter ctx=0"}));
}

TEST_F(LibkrunExecTest, ALibkrunWithoutVsockPortsRunsWithoutExecAndSaysSo) {
    auto run = this->run(with_runtime_dir("minimal"));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.err.find("krun_add_vsock_port2"), std::string::npos) << run.err;
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_start_enter ctx=0"}));
}

TEST_F(LibkrunExecTest, AFailedVsockCallIsARuntimeError) {
    auto run = this->run(with_runtime_dir(), {"MICROVM_FAKE_KRUN_FAIL=krun_add_vsock_port2=22"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("krun_add_vsock_port2"), std::string::npos) << run.err;
}

} // namespace
} // namespace microvm::test
