// The VM verbs' command lines, parsed and run by the real CLI entry point on an empty data
// directory: what needs no VM (unknown names, bad options, empty listings).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <iostream>

#include "base/temp_dir.hpp"
#include "cli/cli.hpp"

namespace microvm::cli {
namespace {

struct Outcome {
    int status = -1;
    std::string out;
    std::string err;
};

class VmVerbs : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-cli-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_data.emplace(std::move(*dir));
        ::setenv("MICROVM_DATA_DIR", m_data->path().c_str(), 1);
    }
    void TearDown() override { ::unsetenv("MICROVM_DATA_DIR"); }

    static Outcome cli(std::vector<std::string> args) {
        args.insert(args.begin(), "microvm");
        std::vector<char*> argv;
        for (auto& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        ::testing::internal::CaptureStdout();
        ::testing::internal::CaptureStderr();
        Outcome outcome;
        outcome.status = main(static_cast<int>(args.size()), argv.data());
        std::cout.flush();
        std::cerr.flush();
        outcome.out = ::testing::internal::GetCapturedStdout();
        outcome.err = ::testing::internal::GetCapturedStderr();
        return outcome;
    }

    std::optional<base::TempDir> m_data;
};

TEST_F(VmVerbs, EveryVerbOnAnUnknownNameIsAClearErrorWith125) {
    for (auto const& args : std::vector<std::vector<std::string>>{
             {"stop", "ghost"},
             {"stop", "-t", "3", "ghost"},
             {"rm", "ghost"},
             {"rm", "-f", "ghost"},
             {"logs", "ghost"},
             {"logs", "-f", "--console", "ghost"},
             {"inspect", "ghost"},
         }) {
        auto outcome = cli(args);
        EXPECT_EQ(outcome.status, 125) << args[0];
        EXPECT_NE(outcome.err.find("microvm " + args[0] + ": no VM named \"ghost\""),
                  std::string::npos)
            << outcome.err;
    }
}

TEST_F(VmVerbs, BadOptionsAre125) {
    EXPECT_EQ(cli({"stop", "-t", "soon", "x"}).status, 125);
    EXPECT_EQ(cli({"stop"}).status, 125);
    EXPECT_EQ(cli({"rm"}).status, 125);
    EXPECT_EQ(cli({"logs"}).status, 125);
    EXPECT_EQ(cli({"inspect"}).status, 125);
    EXPECT_EQ(cli({"ps", "--format", "yaml"}).status, 125);
    EXPECT_EQ(cli({"logs", "a", "b"}).status, 125);
}

TEST_F(VmVerbs, EveryVerbHasHelp) {
    for (std::string verb : {"run", "ps", "stop", "rm", "logs", "inspect"}) {
        auto outcome = cli({verb, "--help"});
        EXPECT_EQ(outcome.status, 0) << verb;
        EXPECT_NE(outcome.out.find("Usage"), std::string::npos) << verb << ": " << outcome.out;
    }
    auto run = cli({"run", "--help"});
    EXPECT_NE(run.out.find("--detach"), std::string::npos);
    EXPECT_NE(run.out.find("--rm"), std::string::npos);
}

TEST_F(VmVerbs, PsOnAnEmptyDataDirectory) {
    auto table = cli({"ps"});
    EXPECT_EQ(table.status, 0) << table.err;
    EXPECT_EQ(table.out, "NAME   IMAGE   STATUS   CREATED   PORTS   MOUNTS\n");
    auto json = cli({"ps", "-a", "--format", "json"});
    EXPECT_EQ(json.status, 0) << json.err;
    EXPECT_EQ(json.out, "[]\n");
}

TEST_F(VmVerbs, StopAndRmReportEachNameAndFailIfAnyFails) {
    auto outcome = cli({"rm", "ghost1", "ghost2"});
    EXPECT_EQ(outcome.status, 125);
    EXPECT_NE(outcome.err.find("\"ghost1\""), std::string::npos);
    EXPECT_NE(outcome.err.find("\"ghost2\""), std::string::npos);
}

} // namespace
} // namespace microvm::cli
