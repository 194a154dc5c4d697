// The read-only chain at the libkrun engine (DESIGN.md §4.1): the exact krun_* calls for
// read-only and read-write shares, with and without krun_add_virtiofs3, under both policies.
#include "runner_fixture.hpp"

namespace microvm::test {
namespace {

using nlohmann::json;

constexpr char guest_only_warning[] =
    "Warning: virtiofs mount \"data\" is read-only but libkrun has no host-side enforcement; "
    "relying on guest-side MS_RDONLY\n";

class LibkrunSharesTest : public RunnerTest {
protected:
    json with_shares(std::string const& variant, std::string const& policy, bool data_read_only,
                     bool add_src = false) const {
        json document = config(variant);
        document["read_only_policy"] = policy;
        document["console_log_path"] = path("console.log");
        json data = {{"tag", "data"}, {"path", path("data")}};
        if (data_read_only) {
            data["read_only"] = true;
        } else {
            data.update(privileged_files_allowed);
        }
        document["virtiofs_mounts"] = json::array({data});
        if (add_src) {
            json src = {{"tag", "src"}, {"path", path("src")}};
            src.update(privileged_files_allowed);
            document["virtiofs_mounts"].push_back(src);
        }
        return document;
    }

    // libkrun cannot refuse privileged files on a read-write share (privileged_files_policy.hpp),
    // so a read-write share it runs has both opt-ins.
    json const privileged_files_allowed = {{"allow_setuid", true}, {"allow_devices", true}};

    std::vector<std::string> epilogue() const {
        return {"krun_set_console_output ctx=0 path=" + path("console.log"),
                "krun_start_enter ctx=0"};
    }
};

TEST_F(LibkrunSharesTest, ReadOnlyShareIsEnforcedByTheHost) {
    for (char const* policy : {"require-host", "allow-guest-only"}) {
        auto run = this->run(with_shares("1.19", policy, true));
        EXPECT_EQ(run.exit_code, 0) << policy << ": " << run.err;
        EXPECT_EQ(run.err, "") << policy;
        EXPECT_EQ(run.calls, concat(concat(prologue(), {"krun_add_virtiofs3 ctx=0 tag=data path=" +
                                                        path("data") + " shm=0 read_only=1"}),
                                    epilogue()))
            << policy;
    }
}

TEST_F(LibkrunSharesTest, ReadWriteShareUsesVirtiofs3WithoutReadOnly) {
    for (char const* policy : {"require-host", "allow-guest-only"}) {
        auto run = this->run(with_shares("1.19", policy, false));
        EXPECT_EQ(run.exit_code, 0) << policy << ": " << run.err;
        EXPECT_EQ(run.calls, concat(concat(prologue(), {"krun_add_virtiofs3 ctx=0 tag=data path=" +
                                                        path("data") + " shm=0 read_only=0"}),
                                    epilogue()))
            << policy;
    }
}

TEST_F(LibkrunSharesTest, AReadWriteShareWithoutTheOptInsIsRefusedBeforeAnyCall) {
    for (char const* variant : {"1.19", "1.17"}) {
        json document = with_shares(variant, "allow-guest-only", false);
        document["virtiofs_mounts"][0].erase("allow_setuid");
        document["virtiofs_mounts"][0].erase("allow_devices");
        auto run = this->run(document);
        EXPECT_EQ(run.exit_code, 125) << variant;
        EXPECT_NE(run.err.find("virtiofs mount \"data\" is read-write, and the libkrun engine's "
                               "file server cannot refuse the setuid/setgid files and file "
                               "capabilities or device nodes a guest would create in it on the "
                               "host; refusing to start (share it read-only, use the qemu "
                               "engine, or accept such files with -v HOST:GUEST:rw,suid,dev)"),
                  std::string::npos)
            << run.err;
        EXPECT_TRUE(run.calls.empty()) << variant;
    }
    json one_opt_in = with_shares("1.19", "require-host", false);
    one_opt_in["virtiofs_mounts"][0].erase("allow_devices");
    auto run = this->run(one_opt_in);
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_NE(run.err.find("cannot refuse the device nodes"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("-v HOST:GUEST:rw,dev)"), std::string::npos) << run.err;
}

TEST_F(LibkrunSharesTest, SharesKeepTheirOrderAndFlags) {
    auto run = this->run(with_shares("1.19", "require-host", true, true));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.calls,
              concat(concat(prologue(), {"krun_add_virtiofs3 ctx=0 tag=data path=" + path("data") +
                                             " shm=0 read_only=1",
                                         "krun_add_virtiofs3 ctx=0 tag=src path=" + path("src") +
                                             " shm=0 read_only=0"}),
                     epilogue()));
}

TEST_F(LibkrunSharesTest, OldLibkrunRefusesReadOnlyUnderRequireHost) {
    auto run = this->run(with_shares("1.17", "require-host", true));
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_NE(run.err.find("virtiofs mount \"data\" is read-only but the libkrun engine cannot "
                           "enforce it on the host; refusing to start (allow guest-only "
                           "enforcement with --allow-guest-only-readonly to run anyway): this "
                           "libkrun has no krun_add_virtiofs3"),
              std::string::npos)
        << run.err;
    EXPECT_EQ(run.err.find("Warning:"), std::string::npos) << run.err;
    // Refused before any call: no context was created.
    EXPECT_TRUE(run.calls.empty()) << run.calls.front();
}

TEST_F(LibkrunSharesTest, OldLibkrunWarnsAndReliesOnTheGuestWhenAllowed) {
    auto run = this->run(with_shares("1.17", "allow-guest-only", true));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.err, guest_only_warning);
    EXPECT_EQ(run.calls,
              concat(concat(prologue(), {"krun_add_virtiofs ctx=0 tag=data path=" + path("data")}),
                     epilogue()));
}

TEST_F(LibkrunSharesTest, OldLibkrunAddsReadWriteSharesUnderEitherPolicy) {
    for (char const* policy : {"require-host", "allow-guest-only"}) {
        auto run = this->run(with_shares("1.17", policy, false));
        EXPECT_EQ(run.exit_code, 0) << policy << ": " << run.err;
        EXPECT_EQ(run.err, "") << policy;
        EXPECT_EQ(run.calls, concat(concat(prologue(), {"krun_add_virtiofs ctx=0 tag=data path=" +
                                                        path("data")}),
                                    epilogue()))
            << policy;
    }
}

TEST_F(LibkrunSharesTest, OldLibkrunRefusesWhenAnyShareIsReadOnly) {
    json document = with_shares("1.17", "require-host", false, true);
    document["virtiofs_mounts"][1]["read_only"] = true;
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 125);
    EXPECT_NE(run.err.find("virtiofs mount \"src\" is read-only"), std::string::npos) << run.err;
    EXPECT_TRUE(run.calls.empty());
}

TEST_F(LibkrunSharesTest, FailedShareCallNamesTheTag) {
    auto run = this->run(with_shares("1.19", "require-host", true),
                         {"MICROVM_FAKE_KRUN_FAIL=krun_add_virtiofs3=13"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.err, "microvm-runner: libkrun: krun_add_virtiofs3 \"data\" " + path("data") +
                           ": Permission denied\n");
    EXPECT_EQ(run.calls.back(),
              "krun_add_virtiofs3 ctx=0 tag=data path=" + path("data") + " shm=0 read_only=1");
}

// Without microvm-init in the guest (a go-microvm runner.json names no libkrun.init) nothing
// in the guest mounts a share read-only: guest-only enforcement would be a claim with nothing
// behind it, so it is refused whatever the policy.
TEST_F(LibkrunSharesTest,
       WithoutMicrovmInitAnUnenforceableReadOnlyShareIsRefusedUnderEitherPolicy) {
    for (char const* policy : {"require-host", "allow-guest-only"}) {
        json document = with_shares("1.17", policy, true);
        document["libkrun"].erase("init");
        auto run = this->run(document);
        EXPECT_EQ(run.exit_code, 125) << policy;
        EXPECT_NE(run.err.find("virtiofs mount \"data\" is read-only but nothing would enforce it"),
                  std::string::npos)
            << run.err;
        EXPECT_EQ(run.err.find("Warning:"), std::string::npos) << run.err;
        EXPECT_TRUE(run.calls.empty());
    }
}

TEST_F(LibkrunSharesTest, WithoutMicrovmInitTheHostStillEnforcesWithVirtiofs3) {
    json document = with_shares("1.19", "require-host", true);
    document["libkrun"].erase("init");
    auto run = this->run(document);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto expected = prologue();
    expected.pop_back(); // no krun_set_exec: libkrun's init runs /.krun_config.json
    EXPECT_EQ(run.calls, concat(concat(expected, {"krun_add_virtiofs3 ctx=0 tag=data path=" +
                                                  path("data") + " shm=0 read_only=1"}),
                                epilogue()));
}

} // namespace
} // namespace microvm::test
