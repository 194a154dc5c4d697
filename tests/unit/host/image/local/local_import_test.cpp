#include <gtest/gtest.h>

#include <optional>

#include "base/temp_dir.hpp"
#include "host/image/fetch.hpp"
#include "host/image/store/tag_index.hpp"
#include "layout_builder.hpp"

namespace microvm::image {
namespace {

using test::write_docker_archive;
using test::write_oci_layout;
using test::write_tar_of;

class LocalImportTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto tmp = base::TempDir::create("microvm-local-import-test-");
        ASSERT_TRUE(tmp);
        m_tmp.emplace(std::move(*tmp));
        auto s = ContentStore::open(work() / "images");
        ASSERT_TRUE(s) << s.error().text();
        store.emplace(std::move(*s));
    }
    std::filesystem::path work() const { return m_tmp->path(); }
    Result<PulledImage> fetch(std::string const& text) {
        auto source = parse_source(text);
        if (!source) {
            return std::unexpected(source.error());
        }
        return fetch_image(*store, *source);
    }

    std::optional<ContentStore> store;

private:
    std::optional<base::TempDir> m_tmp;
};

TEST_F(LocalImportTest, OciLayoutIsCopiedIntoTheStoreAndRecorded) {
    auto const manifest = write_oci_layout(work() / "layout", "v1");
    auto pulled = fetch("oci:" + (work() / "layout").string() + ":v1");
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(pulled->record.manifest_digest, manifest.text());
    EXPECT_EQ(pulled->record.repository, "oci:" + (work() / "layout").string());
    EXPECT_EQ(pulled->record.tag, "v1");
    EXPECT_EQ(pulled->record.created, "2026-01-02T03:04:05Z");
    ASSERT_EQ(pulled->manifest.layers.size(), 1u);
    EXPECT_TRUE(store->has_blob(pulled->manifest.layers[0].digest));
    EXPECT_TRUE(store->has_blob(manifest));
    auto records = list_images(*store);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 1u);
}

TEST_F(LocalImportTest, TheOnlyImageOfALayoutNeedsNoName) {
    write_oci_layout(work() / "layout", "v1");
    auto pulled = fetch("oci:" + (work() / "layout").string());
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(pulled->record.tag, "latest");
}

TEST_F(LocalImportTest, AnUnknownNameListsTheLayoutsImages) {
    write_oci_layout(work() / "layout", "v1");
    auto pulled = fetch("oci:" + (work() / "layout").string() + ":v2");
    ASSERT_FALSE(pulled);
    EXPECT_NE(pulled.error().text().find("no image \"v2\" in the layout (it has: v1)"),
              std::string::npos)
        << pulled.error().text();
}

TEST_F(LocalImportTest, ACorruptedLayerIsRejectedByDigest) {
    write_oci_layout(work() / "layout", "v1");
    // The largest blob is the layer; flip its last byte.
    std::filesystem::path largest;
    for (auto const& e : std::filesystem::directory_iterator(work() / "layout/blobs/sha256")) {
        if (largest.empty() || e.file_size() > std::filesystem::file_size(largest)) {
            largest = e.path();
        }
    }
    auto bytes = test::slurp(largest);
    bytes.back() ^= 1;
    test::spit(largest, bytes);
    auto pulled = fetch("oci:" + (work() / "layout").string() + ":v1");
    ASSERT_FALSE(pulled);
    EXPECT_NE(pulled.error().text().find("digest mismatch"), std::string::npos)
        << pulled.error().text();
    EXPECT_FALSE(store->has_blob(*Digest::parse("sha256:" + largest.filename().string())));
}

TEST_F(LocalImportTest, ASymlinkedBlobCannotReachAHostFile) {
    write_oci_layout(work() / "layout", "v1");
    auto const index = test::slurp(work() / "layout/index.json");
    auto const manifest = index.substr(index.find("sha256:") + 7, 64);
    std::filesystem::remove(work() / "layout/blobs/sha256" / manifest);
    std::filesystem::create_symlink("/etc/hostname", work() / "layout/blobs/sha256" / manifest);
    auto pulled = fetch("oci:" + (work() / "layout").string() + ":v1");
    ASSERT_FALSE(pulled);
}

TEST_F(LocalImportTest, OciArchiveIsExtractedAndImported) {
    auto const manifest = write_oci_layout(work() / "layout", "v1");
    write_tar_of(work() / "layout", work() / "image.tar");
    auto pulled = fetch("oci-archive:" + (work() / "image.tar").string() + ":v1");
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(pulled->record.manifest_digest, manifest.text());
    EXPECT_EQ(pulled->record.repository, "oci-archive:" + (work() / "image.tar").string());
    // The extracted copy is gone.
    for (auto const& e : std::filesystem::directory_iterator(store->rootfs_dir())) {
        ADD_FAILURE() << "left behind: " << e.path();
    }
}

TEST_F(LocalImportTest, DockerArchiveLayersGetTheirDigestsComputed) {
    write_docker_archive(work(), work() / "saved.tar");
    auto pulled = fetch("docker-archive:" + (work() / "saved.tar").string());
    ASSERT_TRUE(pulled) << pulled.error().text();
    ASSERT_EQ(pulled->manifest.layers.size(), 1u);
    auto const& layer = pulled->manifest.layers[0];
    EXPECT_EQ(layer.media_type, "application/vnd.oci.image.layer.v1.tar");
    auto stored = test::slurp(store->blob_path(layer.digest));
    EXPECT_EQ(Digest::of(stored), layer.digest);
    EXPECT_EQ(stored, test::slurp(work() / "docker-save/abc/layer.tar"));
    EXPECT_EQ(pulled->record.tag, "latest");
}

TEST_F(LocalImportTest, DockerArchiveImageIsChosenByTag) {
    write_docker_archive(work(), work() / "saved.tar", "example.com/test/app:1");
    auto wrong = fetch("docker-archive:" + (work() / "saved.tar").string() + ":other:2");
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().text().find("no image tagged docker.io/library/other:2"),
              std::string::npos)
        << wrong.error().text();
    auto right =
        fetch("docker-archive:" + (work() / "saved.tar").string() + ":example.com/test/app:1");
    ASSERT_TRUE(right) << right.error().text();
}

} // namespace
} // namespace microvm::image
