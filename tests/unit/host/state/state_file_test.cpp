#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "base/temp_dir.hpp"
#include "host/state/state_file.hpp"
#include "host/state/vm_dir.hpp"
#include "support/test_support.hpp"

namespace microvm::state {
namespace {

class StateFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-state-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
    }
    std::filesystem::path dir() const { return m_dir->path(); }

    static VmRecord record(std::string name, std::size_t args = 1) {
        VmRecord r;
        r.info.name = std::move(name);
        r.info.created = std::chrono::system_clock::from_time_t(1767323045);
        r.info.command.assign(args, std::string(64, 'x'));
        return r;
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(StateFileTest, NoFileYetIsNoRecord) {
    auto read = read_state(dir());
    ASSERT_TRUE(read) << read.error().text();
    EXPECT_FALSE(*read);
}

TEST_F(StateFileTest, WrittenPrivateAndReadBack) {
    ASSERT_TRUE(write_state(dir(), record("a")));
    struct stat st {};
    ASSERT_EQ(::stat((VmDir(dir()).state()).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    auto read = read_state(dir());
    ASSERT_TRUE(read && *read);
    EXPECT_EQ((*read)->info.name, "a");
    EXPECT_EQ((*read)->info.data_dir, dir());
    // Only the state and its lock: no temporary file is left behind.
    std::set<std::string> names;
    for (auto const& entry : std::filesystem::directory_iterator(dir())) {
        names.insert(entry.path().filename().string());
    }
    EXPECT_EQ(names, (std::set<std::string>{VmDir::state_name, VmDir::state_lock_name}));
}

TEST_F(StateFileTest, AWriteReplacesTheFileInsteadOfRewritingIt) {
    ASSERT_TRUE(write_state(dir(), record("a")));
    // A reader that opened the old file keeps reading the old record whole.
    std::ifstream old_reader(VmDir(dir()).state());
    ASSERT_TRUE(write_state(dir(), record("b", 100)));
    std::stringstream old_text;
    old_text << old_reader.rdbuf();
    auto old = parse_record(old_text.str());
    ASSERT_TRUE(old) << old.error().text();
    EXPECT_EQ(old->info.name, "a");
    EXPECT_EQ((*read_state(dir()))->info.name, "b");
}

TEST_F(StateFileTest, APlantedSymlinkIsReplacedNotFollowed) {
    auto const victim = dir() / "victim";
    microvm::test::write_file(victim, "precious");
    std::filesystem::create_symlink(victim, VmDir(dir()).state());
    ASSERT_TRUE(write_state(dir(), record("a")));
    EXPECT_EQ(microvm::test::read_file(victim), "precious");
    EXPECT_FALSE(std::filesystem::is_symlink(VmDir(dir()).state()));
}

TEST_F(StateFileTest, AMalformedFileIsAnErrorNamingIt) {
    microvm::test::write_file(VmDir(dir()).state(), "{not json");
    auto read = read_state(dir());
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().text().find(VmDir::state_name), std::string::npos)
        << read.error().text();
}

// Readers take no lock, so a torn file would show up as a parse failure or a mixed record.
TEST_F(StateFileTest, ReadersNeverSeeATornFile) {
    ASSERT_TRUE(write_state(dir(), record("small")));
    std::atomic<bool> done = false;
    std::thread writer([&] {
        for (int i = 0; i < 200; ++i) {
            // A few bytes, then tens of kilobytes: a rewrite in place would be caught half-way.
            (void)write_state(dir(), i % 2 == 0 ? record("large", 400) : record("small"));
        }
        done = true;
    });
    int reads = 0;
    int torn = 0;
    while (!done || reads < 200) {
        auto read = read_state(dir());
        ++reads;
        if (!read || !*read) {
            ++torn;
            continue;
        }
        auto const& info = (*read)->info;
        bool const whole = (info.name == "small" && info.command.size() == 1) ||
                           (info.name == "large" && info.command.size() == 400);
        torn += whole ? 0 : 1;
    }
    writer.join();
    EXPECT_EQ(torn, 0) << "of " << reads << " reads";
}

// flock belongs to the open file description, so threads that each open the lock exclude each
// other exactly as processes do.
TEST_F(StateFileTest, ConcurrentUpdatesLoseNothing) {
    ASSERT_TRUE(write_state(dir(), record("counter")));
    constexpr int threads = 4;
    constexpr int updates = 50;
    std::vector<std::thread> workers;
    std::atomic<int> failures = 0;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < updates; ++i) {
                auto updated = update_state(dir(), [](std::optional<VmRecord> current) {
                    current->info.cpus += 1;
                    return current;
                });
                failures += updated ? 0 : 1;
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    EXPECT_EQ(failures, 0);
    // The record started with cpus = 1.
    EXPECT_EQ((*read_state(dir()))->info.cpus, 1U + threads * updates);
}

TEST_F(StateFileTest, AnUpdateThatChangesNothingLeavesTheFileAlone) {
    ASSERT_TRUE(write_state(dir(), record("a")));
    auto const before = std::filesystem::last_write_time(VmDir(dir()).state());
    struct stat st_before {};
    ::stat((VmDir(dir()).state()).c_str(), &st_before);
    auto updated = update_state(dir(), [](std::optional<VmRecord>) { return std::nullopt; });
    ASSERT_TRUE(updated && *updated);
    EXPECT_EQ((*updated)->info.name, "a");
    struct stat st_after {};
    ::stat((VmDir(dir()).state()).c_str(), &st_after);
    EXPECT_EQ(st_before.st_ino, st_after.st_ino);
    EXPECT_EQ(before, std::filesystem::last_write_time(VmDir(dir()).state()));
}

} // namespace
} // namespace microvm::state
