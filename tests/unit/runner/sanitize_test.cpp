#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "contract/runner_config.hpp"
#include "runner/sanitize.hpp"

extern char** environ;

namespace microvm::runner {
namespace {

// Each test gets a known environment and leaves the process's own as it found it.
class ScrubEnvironment : public ::testing::Test {
protected:
    void SetUp() override {
        for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
            m_saved.emplace_back(*entry);
        }
        ASSERT_EQ(::clearenv(), 0);
    }
    void TearDown() override {
        ::clearenv();
        for (auto const& entry : m_saved) {
            auto const equals = entry.find('=');
            ::setenv(entry.substr(0, equals).c_str(), entry.substr(equals + 1).c_str(), 1);
        }
    }

    static std::vector<std::string> environment() {
        std::vector<std::string> entries;
        for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
            entries.emplace_back(*entry);
        }
        std::sort(entries.begin(), entries.end());
        return entries;
    }

    std::vector<std::string> m_saved;
};

TEST_F(ScrubEnvironment, KeepsOnlyWhatTheRunnerAndItsChildrenRead) {
    for (auto const& [name, value] : std::vector<std::pair<char const*, char const*>>{
             {"PATH", "/usr/bin:/bin"},
             {"TMPDIR", "/var/tmp"},
             {"LD_LIBRARY_PATH", "/opt/krun/lib"},
             {"TZ", "UTC"},
             {"MICROVM_FAKE_KRUN_LOG", "/tmp/krun.log"},
             {"HOME", "/root"},
             {"AWS_SECRET_ACCESS_KEY", "hunter2"},
             {"RUST_LOG", "trace"},
             {"LD_PRELOAD", "/tmp/evil.so"},
             {"MICROVM_DATA_DIR", "/data"},
             {"PATHX", "/nowhere"},
             {contract::runner_held_fd_env, "3"},
         }) {
        ASSERT_EQ(::setenv(name, value, 1), 0);
    }
    auto scrubbed = scrub_environment();
    ASSERT_TRUE(scrubbed) << scrubbed.error().text();
    EXPECT_EQ(environment(),
              (std::vector<std::string>{"LD_LIBRARY_PATH=/opt/krun/lib",
                                        "MICROVM_FAKE_KRUN_LOG=/tmp/krun.log", "PATH=/usr/bin:/bin",
                                        "TMPDIR=/var/tmp", "TZ=UTC"}));
}

TEST_F(ScrubEnvironment, AnEmptyEnvironmentStaysEmpty) {
    ASSERT_TRUE(scrub_environment());
    EXPECT_TRUE(environment().empty());
}

} // namespace
} // namespace microvm::runner
