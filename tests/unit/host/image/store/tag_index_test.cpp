#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "base/temp_dir.hpp"
#include "host/image/store/prune.hpp"
#include "host/image/store/rootfs_cache.hpp"
#include "host/image/store/tag_index.hpp"
#include "support/readdir_fault.hpp"
#include "support/test_support.hpp"

namespace microvm::image {
namespace {

class StoreTagIndex : public ::testing::Test {
protected:
    void SetUp() override {
        auto tmp = base::TempDir::create("microvm-index-test-");
        ASSERT_TRUE(tmp);
        m_tmp.emplace(std::move(*tmp));
        store.emplace(ContentStore::open(m_tmp->path() / "images").value());
    }

    // An image of one blob per given content, all stored.
    ImageRecord image(std::string const& repo, std::string const& tag,
                      std::vector<std::string> const& contents) {
        ImageRecord r{.repository = repo, .tag = tag};
        for (auto const& c : contents) {
            auto d = Digest::of(c);
            EXPECT_TRUE(store->put_blob(d, c));
            r.blobs.push_back(d.text());
        }
        r.digest = r.manifest_digest = r.blobs.front();
        return r;
    }

    std::optional<base::TempDir> m_tmp;
    std::optional<ContentStore> store;
};

TEST_F(StoreTagIndex, PutFindReplaceRemove) {
    EXPECT_TRUE(list_images(*store)->empty());
    auto a = image("r/a", "1", {"m-a", "l-shared"});
    ASSERT_TRUE(put_image(*store, a));
    EXPECT_EQ(find_image(*store, "r/a", "1")->value(), a);
    EXPECT_FALSE(find_image(*store, "r/a", "2")->has_value());
    EXPECT_EQ(find_image_by_digest(*store, a.digest)->value(), a);

    auto a2 = image("r/a", "1", {"m-a2"});
    ASSERT_TRUE(put_image(*store, a2)); // a pull refreshes the tag
    EXPECT_EQ(list_images(*store)->size(), 1u);
    EXPECT_EQ(find_image(*store, "r/a", "1")->value().digest, a2.digest);

    EXPECT_TRUE(remove_image(*store, "r/a", "1").value());
    EXPECT_FALSE(remove_image(*store, "r/a", "1").value());
    EXPECT_TRUE(list_images(*store)->empty());

    struct stat st {};
    ASSERT_EQ(::stat(store->index_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(StoreTagIndex, RemoveByDigest) {
    auto a1 = image("r/a", "1", {"m-a"});
    auto a2 = image("r/a", "2", {"m-a"});
    auto b = image("r/b", "1", {"m-a"});
    for (auto const& r : {a1, a2, b}) {
        ASSERT_TRUE(put_image(*store, r));
    }
    EXPECT_EQ(remove_images_by_digest(*store, "r/a", a1.digest).value(), 2u);
    EXPECT_EQ(remove_images_by_digest(*store, "r/a", a1.digest).value(), 0u);
    EXPECT_EQ(list_images(*store)->size(), 1u);
    EXPECT_EQ(remove_images_by_digest(*store, "", a1.digest).value(), 1u);
}

TEST_F(StoreTagIndex, ImageIdIsTheConfigDigestAndItsShortFormHas12HexDigits) {
    auto a = image("r/a", "1", {"m-a"});
    EXPECT_EQ(image_id(a), a.manifest_digest); // no config digest recorded
    a.config_digest = Digest::of("config").text();
    EXPECT_EQ(image_id(a), a.config_digest);
    EXPECT_EQ(short_id(a.config_digest), Digest::of("config").hex.substr(0, 12));
    EXPECT_EQ(short_id("0123456789abcdef"), "0123456789ab");
}

TEST_F(StoreTagIndex, IdPrefixesAreHexOfFourToSixtyFourDigits) {
    auto const hex = Digest::of("x").hex;
    for (std::string const& ok :
         std::vector<std::string>{"abcd", "sha256:abcd", hex, "sha256:" + hex}) {
        EXPECT_TRUE(looks_like_id_prefix(ok)) << ok;
    }
    for (std::string const& bad :
         std::vector<std::string>{"abc", "sha256:abc", "sha256:", "", "ABCD", "abcg", "alpine",
                                  hex + "0", "sha512:abcd", "abcd:1"}) {
        EXPECT_FALSE(looks_like_id_prefix(bad)) << bad;
    }
}

TEST_F(StoreTagIndex, FindAndRemoveByIdPrefix) {
    // Two images whose config digests are made to share a prefix, one of them under two names.
    auto with_id = [&](std::string const& repo, std::string const& id_hex) {
        auto r = image(repo, "1", {"m-" + repo});
        r.config_digest = "sha256:" + id_hex;
        EXPECT_TRUE(put_image(*store, r));
        return r;
    };
    std::string const id_a = "abcd1" + std::string(59, '0');
    std::string const id_b = "abcd2" + std::string(59, '0');
    with_id("r/a", id_a);
    with_id("r/a2", id_a);
    with_id("r/b", id_b);

    auto ambiguous = find_image_by_id_prefix(*store, "abcd");
    ASSERT_FALSE(ambiguous);
    EXPECT_EQ(ambiguous.error().text(), "image ID prefix \"abcd\" is ambiguous: it matches "
                                        "abcd10000000, abcd20000000; give more of the ID");
    auto const a = find_image_by_id_prefix(*store, "sha256:abcd1").value();
    EXPECT_EQ(a.id, "sha256:" + id_a);
    ASSERT_EQ(a.records.size(), 2u); // one image, two names
    EXPECT_EQ(a.records[0].repository, "r/a");
    EXPECT_EQ(a.records[1].repository, "r/a2");
    auto const b = find_image_by_id_prefix(*store, "abcd2").value();
    ASSERT_EQ(b.records.size(), 1u);
    EXPECT_EQ(b.records.front().repository, "r/b");
    EXPECT_EQ(find_image_by_id_prefix(*store, "abcd3").error().text(), "no such image: abcd3");
    // A prefix of the manifest digest is not an ID.
    auto const manifest_hex = Digest::of("m-r/b").hex;
    EXPECT_FALSE(find_image_by_id_prefix(*store, manifest_hex.substr(0, 12)));

    EXPECT_EQ(remove_images_by_id(*store, "sha256:" + id_a).value(), 2u);
    EXPECT_EQ(remove_images_by_id(*store, "sha256:" + id_a).value(), 0u);
    ASSERT_EQ(list_images(*store)->size(), 1u);
    EXPECT_EQ(list_images(*store)->front().repository, "r/b");
}

TEST_F(StoreTagIndex, ConcurrentWritersLoseNothing) {
    std::vector<std::jthread> writers;
    for (int i = 0; i < 8; ++i) {
        writers.emplace_back([&, i] {
            auto own = ContentStore::open(store->root()).value();
            ImageRecord r{.repository = "r/x", .tag = std::to_string(i), .digest = "d"};
            EXPECT_TRUE(put_image(own, r));
        });
    }
    writers.clear();
    EXPECT_EQ(list_images(*store)->size(), 8u);
}

TEST_F(StoreTagIndex, CorruptIndexIsAnError) {
    test::write_file(store->index_path(), "{");
    auto r = list_images(*store);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().text().find("index.json"), std::string::npos);
}

TEST_F(StoreTagIndex, PruneRemovesWhatNoTagReferences) {
    auto a = image("r/a", "1", {"m-a", "l-shared"});
    auto b = image("r/b", "1", {"m-b", "l-shared", "l-b"});
    ASSERT_TRUE(put_image(*store, a));
    ASSERT_TRUE(put_image(*store, b));
    auto rootfs_b = Digest::parse(b.manifest_digest).value();
    std::filesystem::create_directories(store->rootfs_path(rootfs_b) / "usr");
    ::chmod((store->rootfs_path(rootfs_b) / "usr").c_str(), 0555); // as images ship it
    std::filesystem::create_directories(store->rootfs_dir() / ".unpack-leftover");
    test::write_file(store->blobs_dir() / ".tmp-leftover", "x");

    ASSERT_TRUE(remove_image(*store, "r/b", "1").value());
    auto report = prune(*store);
    ASSERT_TRUE(report) << report.error().text();
    EXPECT_EQ(report->removed_blobs.size(), 2u); // m-b, l-b; l-shared stays for a
    EXPECT_EQ(report->removed_rootfs, std::vector<std::string>{b.manifest_digest});
    EXPECT_EQ(report->removed_temporaries, 2u);
    EXPECT_FALSE(std::filesystem::exists(store->rootfs_path(rootfs_b)));
    for (auto const& blob : a.blobs) {
        EXPECT_TRUE(store->has_blob(Digest::parse(blob).value())) << blob;
    }
    EXPECT_FALSE(store->has_blob(Digest::of("l-b")));
}

TEST_F(StoreTagIndex, PruneKeepsARootfsInUse) {
    auto d = Digest::of("gone");
    std::filesystem::create_directories(store->rootfs_path(d));
    auto user = store->lock_rootfs(d, LockMode::shared);
    ASSERT_TRUE(user);
    auto report = prune(*store);
    ASSERT_TRUE(report) << report.error().text();
    EXPECT_EQ(report->busy_rootfs, std::vector<std::string>{d.text()});
    EXPECT_TRUE(std::filesystem::exists(store->rootfs_path(d)));
}

// Used to throw (a range-for over a directory_iterator): reading the blobs fails part way.
TEST_F(StoreTagIndex, PruneReportsADirectoryThatCannotBeRead) {
    auto a = image("r/a", "1", {"m-a", "l-a"});
    ASSERT_TRUE(put_image(*store, a));
    test::ReaddirFault fault(store->blobs_dir(), 1, EIO);
    auto report = prune(*store);
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().errno_value(), EIO);
    EXPECT_NE(report.error().text().find("list " + store->blobs_dir().string()), std::string::npos)
        << report.error().text();
}

TEST_F(StoreTagIndex, EnsureRootfsUnpacksOnceAcrossThreads) {
    auto d = Digest::of("manifest");
    std::atomic<int> unpacks{0};
    auto unpack = [&](std::filesystem::path const& final_path) -> Result<void> {
        ++unpacks;
        auto staging = final_path.parent_path() / ".staging";
        std::filesystem::create_directories(staging / "etc");
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // widen the race window
        std::filesystem::rename(staging, final_path);
        return {};
    };
    std::vector<std::jthread> callers;
    for (int i = 0; i < 4; ++i) {
        callers.emplace_back([&] {
            auto own = ContentStore::open(store->root()).value();
            auto path = ensure_rootfs(own, d, unpack);
            EXPECT_TRUE(path) << path.error().text();
            if (path) {
                EXPECT_EQ(*path, store->rootfs_path(d));
            }
        });
    }
    callers.clear();
    EXPECT_EQ(unpacks.load(), 1);
}

TEST_F(StoreTagIndex, EnsureRootfsReportsAFailedUnpack) {
    auto d = Digest::of("manifest");
    auto r = ensure_rootfs(*store, d, [](auto const&) -> Result<void> { return fail("boom"); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().text(), "unpack " + d.text() + ": boom");
    auto none = ensure_rootfs(*store, d, [](auto const&) -> Result<void> { return {}; });
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().text().find("was not created"), std::string::npos);
}

} // namespace
} // namespace microvm::image
