#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/temp_dir.hpp"
#include "contract/guest_protocol.hpp"
#include "host/hypervisor/libkrun/engine_section.hpp"
#include "support/test_support.hpp"

namespace microvm::hypervisor::libkrun {
namespace {

namespace fs = std::filesystem;

class LibkrunSection : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-libkrun-section-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
        for (auto const& d : {source(), upper(), path() / "work", elsewhere()}) {
            fs::create_directory(d);
        }
        test::write_file(path() / "microvm-init", "the init binary");
    }
    fs::path path() const { return m_dir->path(); }
    fs::path source() const { return path() / "image"; }
    fs::path upper() const { return path() / "upper"; }
    fs::path elsewhere() const { return path() / "elsewhere"; }
    rootfs::RootfsView view() const {
        return {.source = source(), .upper_dir = upper(), .work_dir = path() / "work"};
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(LibkrunSection, NamesTheLibraryAndMicrovmInit) {
    contract::RunnerConfig config;
    config.virtiofs_mounts = {{.tag = "ro", .path = "/srv/ro", .read_only = true}};
    ASSERT_TRUE(add_libkrun_section(
        config, view(),
        {.library = "/opt/krun/libkrun.so.1", .init_binary = path() / "microvm-init"}));
    EXPECT_EQ(config.engine, contract::Engine::libkrun);
    EXPECT_EQ(config.libkrun.library, "/opt/krun/libkrun.so.1");
    EXPECT_EQ(config.libkrun.init, contract::libkrun_init_path);
    EXPECT_EQ(config.libkrun.init, "/.microvm/init");
    ASSERT_EQ(config.virtiofs_mounts.size(), 1u);
    EXPECT_TRUE(config.virtiofs_mounts[0].read_only);
    auto const json = nlohmann::json::parse(contract::serialize(config));
    EXPECT_EQ(json["libkrun"]["init"], "/.microvm/init");
}

// microvm-init goes into the VM's own layer, never into the image, and a link the image
// planted on the way is not followed.
TEST_F(LibkrunSection, PutsMicrovmInitIntoTheWritableLayerOnly) {
    fs::create_directory_symlink(elsewhere(), source() / ".microvm");
    contract::RunnerConfig config;
    auto added = add_libkrun_section(config, view(), {.init_binary = path() / "microvm-init"});
    ASSERT_TRUE(added) << added.error().text();
    auto const init = upper() / ".microvm" / "init";
    EXPECT_EQ(test::read_file(init), "the init binary");
    EXPECT_FALSE(fs::is_symlink(upper() / ".microvm"));
    EXPECT_EQ(fs::status(init).permissions(), fs::perms(0755));
    EXPECT_TRUE(fs::is_empty(elsewhere()));
    EXPECT_TRUE(fs::is_symlink(source() / ".microvm"));
}

TEST_F(LibkrunSection, AMissingInitIsNamedAndNothingIsSet) {
    contract::RunnerConfig config;
    auto added = add_libkrun_section(config, view(), {.init_binary = path() / "no-init"});
    ASSERT_FALSE(added);
    EXPECT_NE(added.error().text().find((path() / "no-init").string()), std::string::npos)
        << added.error().text();
    EXPECT_TRUE(config.libkrun.init.empty());
}

} // namespace
} // namespace microvm::hypervisor::libkrun
