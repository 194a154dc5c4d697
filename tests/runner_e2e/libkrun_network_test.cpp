// The libkrun engine's network modes against the recording fake: no network at all, and the
// egress policy it cannot enforce. (Port maps and the unix-stream NIC are in
// libkrun_engine_test.cpp.)
#include "runner_fixture.hpp"

namespace microvm::test {
namespace {

class LibkrunNetworkTest : public RunnerTest {
protected:
    // `changes` applied to config(variant) is refused as a configuration error, before any
    // krun_* call, with a message that contains `message`.
    void expect_refused(nlohmann::json const& changes, std::string const& message,
                        std::string const& variant = "1.19") {
        nlohmann::json document = config(variant);
        document.update(changes);
        auto run = this->run(document);
        EXPECT_EQ(run.exit_code, 125);
        EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
        EXPECT_TRUE(run.calls.empty());
    }
};

TEST_F(LibkrunNetworkTest, UserNetworkIsLibkrunsDefaultTsi) {
    nlohmann::json document = config();
    document["network"] = "user";
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls, concat(prologue(), {"krun_start_enter ctx=0"}));
}

TEST_F(LibkrunNetworkTest, NetworkNoneTurnsOffTheImplicitVsock) {
    nlohmann::json document = config();
    document["network"] = "none";
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls,
              concat(prologue(), {"krun_disable_implicit_vsock ctx=0", "krun_start_enter ctx=0"}));
}

TEST_F(LibkrunNetworkTest, NetworkNoneFailsClosedWithoutTheCall) {
    expect_refused({{"network", "none"}},
                   "microvm-runner: libkrun: network \"none\": this libkrun has no "
                   "krun_disable_implicit_vsock, so its implicit network (TSI) cannot be "
                   "turned off\n",
                   "minimal");
}

TEST_F(LibkrunNetworkTest, DisableFailureExits1NamingTheCall) {
    nlohmann::json document = config();
    document["network"] = "none";
    auto run = this->run(document, {"MICROVM_FAKE_KRUN_FAIL=krun_disable_implicit_vsock=16"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: krun_disable_implicit_vsock: Device or resource "
                       "busy\n");
}

TEST_F(LibkrunNetworkTest, NetworkNoneWithForwardsIsAConfigError) {
    expect_refused({{"network", "none"}, {"port_forwards", {{{"host", 8080}, {"guest", 80}}}}},
                   "port_forwards: network is \"none\"");
}

TEST_F(LibkrunNetworkTest, EgressPolicyIsRefusedBeforeAnyCall) {
    expect_refused({{"egress", {{"allow", {"ok.test:443"}}}},
                    {"port_forwards", {{{"host", 8080}, {"guest", 80}}}}},
                   "microvm-runner: libkrun: egress: libkrun's TSI carries the guest's own "
                   "connections and the forwarded ports alike, through no stack the runner can "
                   "filter; an egress policy (or outbound deny) cannot be enforced, so the VM is "
                   "not started\n");
}

TEST_F(LibkrunNetworkTest, UnknownNetworkModeNamesTheField) {
    expect_refused({{"network", "bridge"}},
                   "network: unknown network \"bridge\" (expected one of user, none)");
}

} // namespace
} // namespace microvm::test
