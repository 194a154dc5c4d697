// Runs build/bin/microvm-runner on a runner.json written by the test, against one of the
// fake libkrun variants, and collects the krun_* calls the fake recorded.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/temp_dir.hpp"
#include "support/test_support.hpp"

namespace microvm::test {

struct RunnerRun {
    int exit_code = -1;
    std::string out;
    std::string err;
    std::vector<std::string> calls; // one line per krun_* call, in order
};

class RunnerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("runner-e2e-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
        for (char const* name : {"root", "data", "src"}) {
            std::filesystem::create_directory(path(name));
        }
        write_file(path("file"), "x");
        // Where the host puts microvm-init; the engine checks it is there before any call.
        std::filesystem::create_directories(path("root") + "/.microvm");
        write_file(path("root") + "/.microvm/init", "#!/bin/true\n");
        std::filesystem::permissions(path("root") + "/.microvm/init",
                                     std::filesystem::perms::owner_all);
    }

    std::string path(std::string const& name) const { return m_dir->path() / name; }

    static std::string runner() { return std::string(MICROVM_BIN_DIR) + "/microvm-runner"; }

    // "1.19", "1.17", "minimal" or "no-start-enter".
    static std::string fake(std::string const& variant) {
        return std::string(MICROVM_LIB_DIR) + "/libkrun-fake-" + variant + ".so";
    }

    // A valid runner.json for the libkrun engine with the given fake.
    nlohmann::json config(std::string const& variant = "1.19") const {
        return {{"root_path", path("root")},
                {"num_vcpus", 2},
                {"ram_mib", 512},
                {"engine", "libkrun"},
                {"libkrun", {{"library", fake(variant)}, {"init", "/.microvm/init"}}}};
    }

    std::string log_path() const { return path("krun.log"); }
    std::string config_path() const { return path("runner.json"); }

    RunnerRun run(nlohmann::json const& document, std::vector<std::string> env = {}) const {
        return run_text(document.dump(), std::move(env));
    }

    RunnerRun run_text(std::string const& text, std::vector<std::string> env = {}) const {
        write_file(config_path(), text);
        return run_args({runner(), config_path()}, std::move(env));
    }

    RunnerRun run_args(std::vector<std::string> const& argv, std::vector<std::string> env = {},
                       std::string const& stdin_text = "") const {
        std::filesystem::remove(log_path());
        env.push_back("MICROVM_FAKE_KRUN_LOG=" + log_path());
        auto result = run_process(argv, env, stdin_text);
        return {result.exit_code, result.out, result.err, calls()};
    }

    std::vector<std::string> calls() const {
        std::vector<std::string> lines;
        std::string const text = read_file(log_path());
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t end = text.find('\n', start);
            lines.push_back(text.substr(start, end - start));
            start = end == std::string::npos ? text.size() : end + 1;
        }
        return lines;
    }

    // The calls every successful run starts with (log level 0, 2 vCPUs, 512 MiB, microvm-init
    // as the guest's first program with an empty environment).
    std::vector<std::string> prologue() const {
        return {"krun_set_log_level level=0", "krun_create_ctx",
                "krun_set_vm_config ctx=0 vcpus=2 ram_mib=512",
                "krun_set_root ctx=0 path=" + path("root"),
                "krun_set_exec ctx=0 path=/.microvm/init argv=--libkrun env="};
    }

    static std::vector<std::string> concat(std::vector<std::string> head,
                                           std::vector<std::string> const& tail) {
        head.insert(head.end(), tail.begin(), tail.end());
        return head;
    }

private:
    std::optional<base::TempDir> m_dir;
};

} // namespace microvm::test
