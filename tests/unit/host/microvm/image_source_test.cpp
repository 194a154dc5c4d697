#include <gtest/gtest.h>

#include <optional>

#include "base/temp_dir.hpp"
#include "host/image/local/layout_builder.hpp"
#include "host/image/store/prune.hpp"
#include "host/image/store/tag_index.hpp"
#include "host/microvm/image_source.hpp"

namespace microvm {
namespace {

class ImageSourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto tmp = base::TempDir::create("microvm-image-source-test-");
        ASSERT_TRUE(tmp);
        m_tmp.emplace(std::move(*tmp));
        image::test::write_oci_layout(work() / "layout", "v1");
    }
    std::filesystem::path work() const { return m_tmp->path(); }
    std::filesystem::path data_dir() const { return work() / "data"; }
    std::string layout_ref() const { return "oci:" + (work() / "layout").string() + ":v1"; }

private:
    std::optional<base::TempDir> m_tmp;
};

TEST_F(ImageSourceTest, TheImageIsUnpackedOnceIntoTheCache) {
    RunOptions options;
    auto first = prepare_image(layout_ref(), options, data_dir());
    ASSERT_TRUE(first) << first.error().text();
    EXPECT_TRUE(std::filesystem::is_regular_file(first->rootfs / "bin" / "hello"));
    EXPECT_EQ(first->rootfs.parent_path(), data_dir() / "images" / "rootfs");
    auto const inode = std::filesystem::hard_link_count(first->rootfs / "bin" / "hello");
    auto second = prepare_image(layout_ref(), options, data_dir());
    ASSERT_TRUE(second) << second.error().text();
    EXPECT_EQ(second->rootfs, first->rootfs);
    EXPECT_EQ(std::filesystem::hard_link_count(second->rootfs / "bin" / "hello"), inode);
}

TEST_F(ImageSourceTest, AHeldRootfsIsKeptByPrune) {
    RunOptions options;
    auto prepared = prepare_image(layout_ref(), options, data_dir());
    ASSERT_TRUE(prepared) << prepared.error().text();
    auto store = open_image_store(data_dir());
    ASSERT_TRUE(store);
    auto records = image::list_images(*store);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 1u);
    ASSERT_TRUE(image::remove_image(*store, records->front().repository, "v1"));
    auto report = image::prune(*store);
    ASSERT_TRUE(report) << report.error().text();
    EXPECT_EQ(report->busy_rootfs.size(), 1u);
    EXPECT_TRUE(std::filesystem::exists(prepared->rootfs / "bin" / "hello"));
}

TEST_F(ImageSourceTest, TheWorkloadComesFromTheImageConfig) {
    RunOptions options;
    auto prepared = prepare_image(layout_ref(), options, data_dir());
    ASSERT_TRUE(prepared) << prepared.error().text();
    auto workload = image_workload(*prepared, options);
    ASSERT_TRUE(workload) << workload.error().text();
    EXPECT_EQ(workload->argv, (std::vector<std::string>{"/bin/hello", "--default"}));
    EXPECT_EQ(workload->cwd, "/srv");
    EXPECT_EQ(workload->uid, 1000u);
    EXPECT_EQ(workload->gid, 1001u);
    EXPECT_EQ(guest_user(*workload), "1000:1001");
    EXPECT_EQ(workload->env,
              (std::vector<std::string>{"PATH=/bin", "FROM_IMAGE=1", "HOME=/home/app"}));
}

TEST_F(ImageSourceTest, RunOptionsOverrideCmdEnvAndWorkdir) {
    RunOptions options;
    options.command = {"--other", "arg"};
    options.env = {"FROM_IMAGE=2", "EXTRA=x"};
    options.workdir = "/tmp";
    auto prepared = prepare_image(layout_ref(), options, data_dir());
    ASSERT_TRUE(prepared) << prepared.error().text();
    auto workload = image_workload(*prepared, options);
    ASSERT_TRUE(workload) << workload.error().text();
    EXPECT_EQ(workload->argv, (std::vector<std::string>{"/bin/hello", "--other", "arg"}));
    EXPECT_EQ(workload->cwd, "/tmp");
    EXPECT_EQ(workload->env,
              (std::vector<std::string>{"PATH=/bin", "FROM_IMAGE=2", "EXTRA=x", "HOME=/home/app"}));
}

TEST_F(ImageSourceTest, PullNeverFailsForAnImageNotInTheStore) {
    RunOptions options;
    options.pull = PullPolicy::never;
    auto prepared = prepare_image("127.0.0.1:1/none/such:1", options, data_dir());
    ASSERT_FALSE(prepared);
    EXPECT_NE(prepared.error().text().find("is not in the store"), std::string::npos)
        << prepared.error().text();
}

TEST_F(ImageSourceTest, ABadPlatformIsRefused) {
    RunOptions options;
    options.platform = "linux/";
    auto pull = pull_options(options);
    ASSERT_FALSE(pull);
    EXPECT_NE(pull.error().text().find("platform"), std::string::npos) << pull.error().text();
}

TEST(GuestUser, RootIsEmpty) {
    EXPECT_EQ(guest_user(image::Workload{}), "");
}

} // namespace
} // namespace microvm
