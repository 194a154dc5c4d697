#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/temp_dir.hpp"
#include "runner/engine/qemu/tools.hpp"
#include "support/test_support.hpp"

namespace microvm::runner::qemu {
namespace {

using ::testing::HasSubstr;

class Tools : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-qemu-tools-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
    }
    std::string make(std::string const& name, mode_t mode) {
        auto const path = (m_dir->path() / name).string();
        test::write_file(path, "#!/bin/sh\n");
        ::chmod(path.c_str(), mode);
        return path;
    }
    std::string dir() const { return m_dir->path().string(); }

    std::optional<base::TempDir> m_dir;
};

TEST_F(Tools, FindsTheFirstExecutableInThePath) {
    make("qemu-x", 0644); // not executable: skipped
    std::filesystem::create_directory(dir() + "/second");
    auto const expected = make("second/qemu-x", 0755);
    auto const found = find_executable("qemu-x", "::" + dir() + ":" + dir() + "/second");
    ASSERT_TRUE(found) << found.error().text();
    EXPECT_EQ(*found, expected);
}

TEST_F(Tools, AMissingProgramIsNamed) {
    auto const found = find_executable("qemu-nope", dir());
    ASSERT_FALSE(found);
    EXPECT_THAT(found.error().text(), HasSubstr("qemu-nope not found"));
}

TEST_F(Tools, MissingFilesAreNamedWithTheirSetting) {
    contract::QemuSettings settings;
    settings.binary = make("qemu", 0755);
    settings.kernel = dir() + "/vmlinuz";
    settings.initrd = make("initrd", 0644);
    settings.virtiofsd = make("virtiofsd", 0755);
    auto result = resolve_tools(settings);
    ASSERT_FALSE(result);
    EXPECT_THAT(result.error().text(), HasSubstr("qemu.kernel not found: " + dir() + "/vmlinuz"));

    settings.kernel = make("vmlinuz", 0644);
    settings.virtiofsd = dir() + "/none";
    result = resolve_tools(settings);
    ASSERT_FALSE(result);
    EXPECT_THAT(result.error().text(), HasSubstr("qemu.virtiofsd not found"));

    settings.virtiofsd = make("virtiofsd", 0755);
    result = resolve_tools(settings);
    ASSERT_TRUE(result) << result.error().text();
    EXPECT_EQ(result->qemu, settings.binary);
    EXPECT_EQ(result->kernel, settings.kernel);
}

TEST_F(Tools, QbootIsFoundWhereQemusPackageInstallsIt) {
    std::filesystem::create_directories(dir() + "/usr/bin");
    auto const qemu = make("usr/bin/qemu-system-x86_64", 0755);
    EXPECT_EQ(find_qboot(qemu), "");
    std::filesystem::create_directories(dir() + "/usr/share/qemu");
    std::filesystem::create_directory(dir() + "/usr/share/qemu/qboot.rom");
    EXPECT_EQ(find_qboot(qemu), "") << "a directory is not firmware";
    std::filesystem::remove(dir() + "/usr/share/qemu/qboot.rom");
    auto const rom = make("usr/share/qemu/qboot.rom", 0644);
    EXPECT_EQ(find_qboot(qemu), rom);
}

} // namespace
} // namespace microvm::runner::qemu
