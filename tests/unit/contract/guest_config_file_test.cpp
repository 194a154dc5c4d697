#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "base/temp_dir.hpp"
#include "contract/guest_config_file.hpp"
#include "support/test_support.hpp"

namespace microvm::contract {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::snapshot;
using test::write_file;

bool contains(std::string const& text, std::string const& part) {
    return text.find(part) != std::string::npos;
}

GuestConfig sample() {
    GuestConfig config;
    config.tmp_size_mib = 512;
    config.virtiofs_mounts = {{"data", "/data", true}, {"workspace", "/workspace", false}};
    config.argv = {"/bin/true"};
    return config;
}

// A rootfs (`root`) next to host files (`outside`) that planted symlinks aim at. Every test
// ends by checking that `outside` and the temp dir's listing are exactly as they started.
class GuestConfigFile : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-guest-config-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_tmp.emplace(std::move(*dir));
        fs::create_directories(root());
        fs::create_directories(outside() / "etc");
        write_file(outside() / "etc" / "microvm.json", "host config");
        write_file(outside() / "passwd", "host file");
        m_outside_before = snapshot(outside());
    }

    void TearDown() override {
        EXPECT_EQ(snapshot(outside()), m_outside_before) << "a write escaped the root";
        std::map<std::string, std::string> top;
        for (auto const& entry : fs::directory_iterator(m_tmp->path())) {
            top[entry.path().filename().string()] = "";
        }
        EXPECT_EQ(top, (std::map<std::string, std::string>{{"outside", ""}, {"root", ""}}));
    }

    fs::path root() const { return m_tmp->path() / "root"; }
    fs::path outside() const { return m_tmp->path() / "outside"; }
    fs::path config_path() const { return root() / "etc" / "microvm.json"; }

    // The written file must be a regular file inside the root that reads back as `config`.
    void expect_written(GuestConfig const& config) {
        struct stat st {};
        ASSERT_EQ(::lstat(config_path().c_str(), &st), 0);
        EXPECT_TRUE(S_ISREG(st.st_mode));
        EXPECT_EQ(st.st_mode & 07777, 0644u);
        auto back = read_guest_config(config_path());
        ASSERT_TRUE(back) << back.error().text();
        EXPECT_EQ(serialize(*back), serialize(config));
    }

private:
    std::optional<base::TempDir> m_tmp;
    std::map<std::string, std::string> m_outside_before;
};

// --- read_guest_config ---

TEST_F(GuestConfigFile, MissingFileMeansDefaults) {
    auto config = read_guest_config(config_path());
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(serialize(*config), "{}\n");
}

TEST_F(GuestConfigFile, ReadsGoMicrovmsFile) {
    fs::create_directories(root() / "etc");
    write_file(config_path(),
               R"({"tmp_size_mib":512,"virtiofs_mounts":[{"tag":"data","read_only":true}]})");
    auto config = read_guest_config(config_path());
    ASSERT_TRUE(config) << config.error().text();
    EXPECT_EQ(config->tmp_size_mib, 512u);
    ASSERT_EQ(config->virtiofs_mounts.size(), 1u);
    EXPECT_EQ(config->virtiofs_mounts[0].tag, "data");
    EXPECT_EQ(config->virtiofs_mounts[0].guest_path, "/data");
    EXPECT_TRUE(config->virtiofs_mounts[0].read_only);
}

TEST_F(GuestConfigFile, BadJsonIsAnErrorNamingTheFile) {
    fs::create_directories(root() / "etc");
    write_file(config_path(), "{not json");
    auto config = read_guest_config(config_path());
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().text().rfind(config_path().string() + ": ", 0), 0u)
        << config.error().text();
}

TEST_F(GuestConfigFile, WrongTypeIsAnErrorNamingTheFileAndField) {
    fs::create_directories(root() / "etc");
    write_file(config_path(), R"({"virtiofs_mounts":[{"tag":"data","read_only":"true"}]})");
    auto config = read_guest_config(config_path());
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().text(),
              config_path().string() + ": virtiofs_mounts[0].read_only must be true or false");
}

TEST_F(GuestConfigFile, ReadErrorsOtherThanMissingAreErrors) {
    write_file(root() / "etc", "a file where a directory should be");
    auto not_dir = read_guest_config(config_path());
    ASSERT_FALSE(not_dir);
    EXPECT_EQ(not_dir.error().errno_value(), ENOTDIR);
    EXPECT_TRUE(contains(not_dir.error().text(), "read " + config_path().string()));
}

TEST_F(GuestConfigFile, ADirectoryOrFifoIsAnError) {
    fs::create_directories(config_path());
    auto dir = read_guest_config(config_path());
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().text(), "read " + config_path().string() + ": not a regular file");
    fs::remove(config_path());
    ASSERT_EQ(::mkfifo(config_path().c_str(), 0644), 0);
    EXPECT_FALSE(read_guest_config(config_path()));
}

TEST_F(GuestConfigFile, AnOversizedFileIsAnError) {
    fs::create_directories(root() / "etc");
    write_file(config_path(), std::string(max_guest_config_bytes + 1, ' '));
    auto config = read_guest_config(config_path());
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().errno_value(), EFBIG);
}

// --- write_guest_config ---

TEST_F(GuestConfigFile, WritesIntoAnEmptyRootfs) {
    auto written = write_guest_config(root(), sample());
    ASSERT_TRUE(written) << written.error().text();
    EXPECT_TRUE(fs::is_directory(root() / "etc"));
    expect_written(sample());
    // Nothing but the file and its directory: no temporary file left behind.
    EXPECT_EQ(snapshot(root()).size(), 2u);
}

TEST_F(GuestConfigFile, ReplacesAnExistingFile) {
    fs::create_directories(root() / "etc");
    write_file(config_path(), R"({"virtiofs_mounts":[{"tag":"stale","read_only":true}]})");
    ASSERT_TRUE(write_guest_config(root(), sample()));
    expect_written(sample());
}

TEST_F(GuestConfigFile, WritesTheDefaults) {
    ASSERT_TRUE(write_guest_config(root(), GuestConfig{}));
    EXPECT_EQ(read_file(config_path()), "{}\n");
}

TEST_F(GuestConfigFile, RefusesEtcSymlinkedToAHostDirectory) {
    fs::create_symlink(outside() / "etc", root() / "etc");
    auto written = write_guest_config(root(), sample());
    ASSERT_FALSE(written);
    auto const text = written.error().text();
    EXPECT_EQ(text.rfind("write " + config_path().string() + ": ", 0), 0u) << text;
    EXPECT_TRUE(contains(text, "etc is a symlink")) << text;
    EXPECT_EQ(read_file(outside() / "etc" / "microvm.json"), "host config");
}

TEST_F(GuestConfigFile, RefusesEtcSymlinkedRelativelyOutOfTheRoot) {
    fs::create_symlink("../outside/etc", root() / "etc");
    auto written = write_guest_config(root(), sample());
    ASSERT_FALSE(written);
    EXPECT_TRUE(contains(written.error().text(), "symlink")) << written.error().text();
}

TEST_F(GuestConfigFile, RefusesADanglingEtcSymlink) {
    fs::create_symlink(outside() / "new_etc", root() / "etc");
    auto written = write_guest_config(root(), sample());
    ASSERT_FALSE(written);
    EXPECT_TRUE(contains(written.error().text(), "symlink")) << written.error().text();
    EXPECT_FALSE(fs::exists(outside() / "new_etc"));
}

TEST_F(GuestConfigFile, RefusesEtcThatIsAFile) {
    write_file(root() / "etc", "file");
    auto written = write_guest_config(root(), sample());
    ASSERT_FALSE(written);
    EXPECT_TRUE(contains(written.error().text(), "not a directory")) << written.error().text();
    EXPECT_EQ(read_file(root() / "etc"), "file");
}

TEST_F(GuestConfigFile, ReplacesAConfigSymlinkedToAHostFile) {
    fs::create_directories(root() / "etc");
    fs::create_symlink(outside() / "passwd", config_path());
    auto written = write_guest_config(root(), sample());
    ASSERT_TRUE(written) << written.error().text();
    expect_written(sample());
    EXPECT_EQ(read_file(outside() / "passwd"), "host file");
}

TEST_F(GuestConfigFile, ReplacesAConfigSymlinkedRelativelyOutOfTheRoot) {
    fs::create_directories(root() / "etc");
    fs::create_symlink("../../outside/passwd", config_path());
    ASSERT_TRUE(write_guest_config(root(), sample()));
    expect_written(sample());
}

TEST_F(GuestConfigFile, ReplacesADanglingConfigSymlinkWithoutCreatingItsTarget) {
    fs::create_directories(root() / "etc");
    fs::create_symlink(outside() / "planted.json", config_path());
    ASSERT_TRUE(write_guest_config(root(), sample()));
    expect_written(sample());
    EXPECT_FALSE(fs::exists(outside() / "planted.json"));
}

TEST_F(GuestConfigFile, ReplacesAConfigHardLinkedToAHostFile) {
    fs::create_directories(root() / "etc");
    fs::create_hard_link(outside() / "passwd", config_path());
    ASSERT_TRUE(write_guest_config(root(), sample()));
    expect_written(sample());
    EXPECT_EQ(read_file(outside() / "passwd"), "host file");
}

TEST_F(GuestConfigFile, RefusesAConfigThatIsADirectory) {
    fs::create_directories(config_path());
    auto written = write_guest_config(root(), sample());
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().errno_value(), EISDIR);
    EXPECT_TRUE(fs::is_directory(config_path()));
}

TEST_F(GuestConfigFile, AMissingRootIsAnErrorNamingIt) {
    fs::path const missing = root() / "missing";
    auto written = write_guest_config(missing, sample());
    ASSERT_FALSE(written);
    EXPECT_TRUE(contains(written.error().text(), "open root " + missing.string()))
        << written.error().text();
}

} // namespace
} // namespace microvm::contract
