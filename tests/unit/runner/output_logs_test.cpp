// The runner's capped logs: rotation at half the cap, byte-exact newest output across the two
// files, counted drops, and the writer thread draining the VMM's sockets to the end.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/temp_dir.hpp"
#include "runner/output_logs.hpp"

namespace microvm::runner {
namespace {

namespace fs = std::filesystem;

std::string read_file(fs::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

// Every byte value, in a pattern that does not repeat within a rotation.
std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
    }
    return out;
}

class OutputLogsTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("output-logs-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
    }
    std::string path(char const* name) const { return (m_dir->path() / name).string(); }

    std::optional<base::TempDir> m_dir;
};

TEST_F(OutputLogsTest, TheTwoFilesHoldTheNewestBytesWithinTheCap) {
    auto log = RotatingLog::open(path("stdout.log"), 4096);
    ASSERT_TRUE(log) << log.error().text();
    std::string const written = pattern(10000 + 123);
    std::uint64_t dropped = 0;
    // Uneven pieces, so that rotations fall inside them.
    for (std::size_t at = 0; at < written.size(); at += 777) {
        auto const piece = std::string_view(written).substr(at, 777);
        auto result = log->append({piece.data(), piece.size()});
        ASSERT_TRUE(result) << result.error().text();
        dropped += *result;
    }
    auto const previous = read_file(path("stdout.log.1"));
    auto const current = read_file(path("stdout.log"));
    EXPECT_EQ(previous.size(), 2048U);
    EXPECT_LE(current.size(), 2048U);
    EXPECT_FALSE(fs::exists(path("stdout.log.2")));
    // What is kept is exactly the end of what was written; what is not is counted.
    std::string const kept = previous + current;
    EXPECT_EQ(kept, written.substr(written.size() - kept.size()));
    EXPECT_EQ(dropped, written.size() - kept.size());
}

TEST_F(OutputLogsTest, AnExistingLogCountsTowardTheCap) {
    std::ofstream(path("console.log")) << std::string(2040, 'a');
    std::ofstream(path("console.log.1")) << std::string(2048, 'b');
    auto log = RotatingLog::open(path("console.log"), 4096);
    ASSERT_TRUE(log) << log.error().text();
    auto dropped = log->append({"0123456789", 10});
    ASSERT_TRUE(dropped) << dropped.error().text();
    // 8 bytes filled the current file; the rest began a new one and dropped the old .1.
    EXPECT_EQ(*dropped, 2048U);
    EXPECT_EQ(read_file(path("console.log.1")), std::string(2040, 'a') + "01234567");
    EXPECT_EQ(read_file(path("console.log")), "89");
}

TEST_F(OutputLogsTest, ASymlinkInTheLogsPlaceIsNotFollowed) {
    fs::create_symlink(path("elsewhere"), path("stdout.log"));
    auto log = RotatingLog::open(path("stdout.log"), 4096);
    ASSERT_FALSE(log);
    EXPECT_NE(log.error().text().find("open the log " + path("stdout.log")), std::string::npos)
        << log.error().text();
    EXPECT_FALSE(fs::exists(path("elsewhere")));
}

TEST_F(OutputLogsTest, TheThreadWritesEverythingTheVmmSentAndReportsTheDrops) {
    std::vector<LogDrops> reports;
    {
        auto logs = OutputLogs::start(
            {.paths = {path("console.log"), path("stdout.log"), path("stderr.log")},
             .max_size = 8192,
             .on_dropped = [&](LogDrops const& dropped) {
                 reports.push_back(dropped);
             }});
        ASSERT_TRUE(logs) << logs.error().text();
        std::string const out = pattern(20000);
        ASSERT_EQ(::write(logs->vm_end(1).get(), out.data(), out.size()),
                  static_cast<ssize_t>(out.size()));
        ASSERT_EQ(::write(logs->vm_end(2).get(), "oops\n", 5), 5);
        // The VMM ends: its sockets close.
        for (std::size_t i = 0; i < OutputLogs::count; ++i) {
            logs->vm_end(i).reset();
        }
    }
    auto const kept = read_file(path("stdout.log.1")) + read_file(path("stdout.log"));
    EXPECT_EQ(kept, pattern(20000).substr(20000 - kept.size()));
    EXPECT_EQ(read_file(path("stderr.log")), "oops\n");
    EXPECT_EQ(read_file(path("console.log")), "");
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.back().stdout_bytes, 20000 - kept.size());
    EXPECT_EQ(reports.back().stderr_bytes, 0U);
    EXPECT_EQ(reports.back().console_bytes, 0U);
}

} // namespace
} // namespace microvm::runner
