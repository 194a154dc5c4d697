#include <gtest/gtest.h>

#include "base/temp_dir.hpp"
#include "runner/reporter.hpp"

namespace microvm::runner {
namespace {

TEST(Reporter, WritesWhenTheVmmStartsAndAgainWhenItEnds) {
    auto dir = base::TempDir::create("reporter-test-");
    ASSERT_TRUE(dir) << dir.error().text();
    std::string const path = dir->path() / "report.json";
    Reporter reporter(path, contract::Engine::qemu);
    reporter.amend([](contract::RunnerReport& report) {
        report.shares.push_back({.tag = "ro", .read_only = true, .host_enforced = true});
    });
    ASSERT_TRUE(reporter.vmm_started());

    auto started = contract::read_runner_report(path);
    ASSERT_TRUE(started && *started);
    EXPECT_TRUE((*started)->vmm_started);
    EXPECT_EQ((*started)->shares.size(), 1u);
    EXPECT_FALSE((*started)->exit_code);

    reporter.ended(9);
    auto ended = contract::read_runner_report(path);
    ASSERT_TRUE(ended && *ended);
    EXPECT_EQ((*ended)->exit_code, 9);
    EXPECT_EQ((*ended)->shares, (*started)->shares);

    reporter.failed("qemu: it broke");
    auto failed = contract::read_runner_report(path);
    ASSERT_TRUE(failed && *failed);
    EXPECT_FALSE((*failed)->exit_code);
    EXPECT_EQ((*failed)->error, "qemu: it broke");
}

TEST(Reporter, WithoutAPathWritesNothing) {
    Reporter reporter("", contract::Engine::libkrun);
    EXPECT_TRUE(reporter.vmm_started());
    reporter.ended(0);
}

TEST(Reporter, AReportThatCannotBeWrittenAtStartIsAnError) {
    Reporter reporter("/nonexistent-dir/report.json", contract::Engine::qemu);
    auto started = reporter.vmm_started();
    ASSERT_FALSE(started);
    EXPECT_NE(started.error().text().find("write the runner's report"), std::string::npos);
}

} // namespace
} // namespace microvm::runner
