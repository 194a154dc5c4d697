#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/temp_dir.hpp"
#include "contract/runner_report.hpp"
#include "support/test_support.hpp"

namespace microvm::contract {
namespace {

RunnerReport started_report() {
    return RunnerReport{
        .vmm_started = true,
        .engine = Engine::qemu,
        .kernel = "/boot/vmlinuz-6.1",
        .accelerator = "tcg",
        .shares = {{.tag = "src", .read_only = true, .host_enforced = true},
                   {.tag = "out", .read_only = false, .host_enforced = false}},
    };
}

TEST(RunnerReport, RoundTripsEveryField) {
    auto report = started_report();
    auto parsed = parse_runner_report(serialize(report));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(*parsed, report);

    report.exit_code = 42;
    parsed = parse_runner_report(serialize(report));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(*parsed, report);

    report.exit_code.reset();
    report.error = "qemu: \"quoted\" failure";
    report.engine = Engine::libkrun;
    report.status_is_runner_exit = true;
    parsed = parse_runner_report(serialize(report));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(*parsed, report);
}

TEST(RunnerReport, LogDropsRoundTripAndAreLeftOutAtZero) {
    auto report = started_report();
    EXPECT_EQ(serialize(report).find("logs_dropped"), std::string::npos);
    report.logs_dropped = {.stdout_bytes = 1ull << 33, .stderr_bytes = 7, .console_bytes = 0};
    auto parsed = parse_runner_report(serialize(report));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->logs_dropped, report.logs_dropped);
    auto bad = parse_runner_report(R"({"logs_dropped": {"stdout": "lots"}})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().text().find("logs_dropped.stdout"), std::string::npos)
        << bad.error().text();
}

TEST(RunnerReport, ExecSessionsRoundTripAndAreLeftOutAtZero) {
    auto report = started_report();
    EXPECT_EQ(serialize(report).find("exec_sessions"), std::string::npos);
    report.exec_sessions = 3;
    auto parsed = parse_runner_report(serialize(report));
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_EQ(parsed->exec_sessions, 3u);
    EXPECT_FALSE(parse_runner_report(R"({"exec_sessions": -1})"));
}

TEST(RunnerReport, AbsentFieldsKeepTheirDefaultsAndUnknownKeysAreIgnored) {
    auto parsed = parse_runner_report(R"({"exit_code": 3, "from_the_future": [1, 2]})");
    ASSERT_TRUE(parsed) << parsed.error().text();
    EXPECT_FALSE(parsed->vmm_started);
    EXPECT_EQ(parsed->exit_code, 3);
    EXPECT_TRUE(parsed->shares.empty());
}

TEST(RunnerReport, RejectsWhatIsNotAReportNamingTheField) {
    struct Case {
        char const* text;
        char const* error;
    };
    for (auto const& [text, error] : std::initializer_list<Case>{
             {"", "the runner report is not a JSON object"},
             {"[]", "the runner report is not a JSON object"},
             {R"({"vmm_started": "yes"})", "vmm_started"},
             {R"({"exit_code": 256})", "exit_code"},
             {R"({"exit_code": -1})", "exit_code"},
             {R"({"exit_code": 1, "error": "x"})", "not both"},
             {R"({"engine": "firecracker"})", "engine"},
             {R"({"shares": {}})", "shares"},
             {R"({"shares": [{"read_only": true}]})", "shares[0].tag is required"},
             {R"({"shares": [{"tag": "a", "host_enforced": 1}]})", "shares[0].host_enforced"},
         }) {
        auto parsed = parse_runner_report(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_NE(parsed.error().text().find(error), std::string::npos)
            << text << " gave " << parsed.error().text();
    }
}

TEST(RunnerReport, RefusesAnOversizedText) {
    std::string text = R"({"kernel": ")" + std::string(max_runner_report_size, 'k') + "\"}";
    auto parsed = parse_runner_report(text);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().text().find("larger than"), std::string::npos);
}

TEST(RunnerReport, WritesPrivatelyAndReadsBack) {
    auto dir = base::TempDir::create("runner-report-test-");
    ASSERT_TRUE(dir) << dir.error().text();
    std::string const path = dir->path() / "report.json";

    auto missing = read_runner_report(path);
    ASSERT_TRUE(missing) << missing.error().text();
    EXPECT_FALSE(*missing);

    ASSERT_TRUE(write_runner_report(path, started_report()));
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    auto read = read_runner_report(path);
    ASSERT_TRUE(read && *read) << (read ? "none" : read.error().text());
    EXPECT_EQ(**read, started_report());
}

TEST(RunnerReport, ReadingNamesTheFileAndFollowsNoSymlink) {
    auto dir = base::TempDir::create("runner-report-test-");
    ASSERT_TRUE(dir) << dir.error().text();
    std::string const path = dir->path() / "report.json";
    test::write_file(path, "not json");
    auto bad = read_runner_report(path);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().text().find(path), std::string::npos) << bad.error().text();

    std::string const link = dir->path() / "link.json";
    ASSERT_TRUE(write_runner_report(dir->path() / "real.json", started_report()));
    std::filesystem::create_symlink(dir->path() / "real.json", link);
    EXPECT_FALSE(read_runner_report(link));
}

TEST(RunnerReport, WritingNamesThePathWhenItCannot) {
    auto written = write_runner_report("/nonexistent-dir/report.json", started_report());
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().text(),
              "open /nonexistent-dir/report.json.tmp: No such file or directory");
}

} // namespace
} // namespace microvm::contract
