// Shared by the process tests: children are /bin/sh running a script given as the "config"
// argument, so each test states what its child does.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "base/temp_dir.hpp"
#include "host/process/identity.hpp"
#include "host/process/spawn.hpp"
#include "support/test_support.hpp"

namespace microvm::process::test {

inline std::filesystem::path const shell = "/bin/sh";

inline base::ExitStatus killed_by(int signal) {
    return {.kind = base::ExitStatus::Kind::signaled, .value = signal};
}

class ProcessTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-process-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
    }

    std::filesystem::path dir() const { return m_dir->path(); }
    std::filesystem::path log() const { return dir() / "runner.log"; }

    // Starts /bin/sh on `script` through spawn_runner().
    Result<SpawnedRunner> spawn_script(std::string const& script,
                                       std::vector<std::string> env = {"PATH=/usr/bin:/bin"}) {
        auto path = dir() / ("script" + std::to_string(m_scripts++) + ".sh");
        microvm::test::write_file(path, script);
        return spawn_runner(
            {.runner = shell, .config_path = path, .log_path = log(), .env = std::move(env)});
    }

    // Waits (without a deadline that a test asserts on) until `path` holds a full line.
    static std::string wait_for_line(std::filesystem::path const& path) {
        for (int i = 0; i < 2000; ++i) {
            auto text = microvm::test::read_file(path);
            if (!text.empty() && text.back() == '\n') {
                text.pop_back();
                return text;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return {};
    }

    // No such process, or only a zombie left of it.
    static bool gone(pid_t pid) {
        auto stat = read_stat(pid);
        return !stat || stat->state == 'Z';
    }

    // A signalled process needs a moment to finish exiting; waits for that, without a deadline
    // that a test asserts on.
    static bool eventually_gone(pid_t pid) {
        for (int i = 0; i < 2000 && !gone(pid); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return gone(pid);
    }

    std::optional<base::TempDir> m_dir;
    int m_scripts = 0;
};

} // namespace microvm::process::test
