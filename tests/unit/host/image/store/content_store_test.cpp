#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "base/temp_dir.hpp"
#include "host/image/store/content_store.hpp"
#include "host/image/store/digest.hpp"
#include "support/test_support.hpp"

namespace microvm::image {
namespace {

class ContentStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto tmp = base::TempDir::create("microvm-store-test-");
        ASSERT_TRUE(tmp);
        m_tmp.emplace(std::move(*tmp));
        auto s = ContentStore::open(m_tmp->path() / "images");
        ASSERT_TRUE(s) << s.error().text();
        store.emplace(std::move(*s));
    }
    std::vector<std::string> temporaries() const {
        std::vector<std::string> names;
        for (auto const& e : std::filesystem::directory_iterator(store->blobs_dir())) {
            if (e.path().filename().string().starts_with(".tmp-")) {
                names.push_back(e.path().filename());
            }
        }
        return names;
    }
    std::optional<base::TempDir> m_tmp;
    std::optional<ContentStore> store;
};

TEST(StoreDigest, ParseAndHash) {
    auto d = Digest::of("hello");
    EXPECT_EQ(d.text(), "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    EXPECT_EQ(Digest::parse(d.text()).value(), d);
    EXPECT_EQ(Digest::parse("sha512:abc").error().text(),
              "unsupported digest algorithm \"sha512\" in \"sha512:abc\" (only sha256 is "
              "verified)");
    EXPECT_FALSE(Digest::parse("sha256:" + std::string(63, 'a')));
    EXPECT_FALSE(Digest::parse("sha256:" + std::string(64, 'A')));
    EXPECT_FALSE(Digest::parse("sha256:../../../../etc/passwd" + std::string(36, 'a')));
    EXPECT_FALSE(Digest::parse("abc"));
}

TEST(StoreDigest, IncrementalEqualsWhole) {
    Sha256 h;
    h.update("hel");
    h.update("lo");
    EXPECT_EQ(h.finish(), Digest::of("hello"));
    h.reset();
    EXPECT_EQ(h.finish(), Digest::of(""));
}

TEST_F(ContentStoreTest, DirectoriesArePrivate) {
    for (auto const& dir : {store->root(), store->blobs_dir(), store->rootfs_dir()}) {
        struct stat st {};
        ASSERT_EQ(::stat(dir.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0700u) << dir;
    }
}

TEST_F(ContentStoreTest, PutBlobVerifiesAndStoresReadOnly) {
    auto d = Digest::of("content");
    ASSERT_TRUE(store->put_blob(d, "content"));
    EXPECT_TRUE(store->has_blob(d));
    EXPECT_EQ(store->blob_size(d), 7u);
    EXPECT_EQ(store->read_blob(d, 100).value(), "content");
    struct stat st {};
    ASSERT_EQ(::stat(store->blob_path(d).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0444u);
    EXPECT_FALSE(store->read_blob(d, 3)); // over the caller's bound

    auto wrong = store->put_blob(Digest::of("other"), "content");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().text(),
              "digest mismatch: expected " + Digest::of("other").text() + ", got " + d.text());
    EXPECT_FALSE(store->has_blob(Digest::of("other")));
    EXPECT_TRUE(temporaries().empty());
}

TEST_F(ContentStoreTest, WriterVerifiesStreamedBytes) {
    auto d = Digest::of("abcdef");
    {
        auto w = store->begin_blob(d, 6);
        ASSERT_TRUE(w);
        ASSERT_TRUE(w->write("abc"));
        EXPECT_EQ(temporaries().size(), 1u);
        EXPECT_FALSE(store->has_blob(d)); // no name before the digest matched
        ASSERT_TRUE(w->write("def"));
        ASSERT_TRUE(w->commit());
    }
    EXPECT_EQ(store->read_blob(d, 100).value(), "abcdef");
    EXPECT_TRUE(temporaries().empty());
}

TEST_F(ContentStoreTest, WriterRejectsMismatchOversizeAndTruncation) {
    auto d = Digest::of("abcdef");
    {
        auto w = store->begin_blob(d, 6);
        ASSERT_TRUE(w->write("abcdeX"));
        auto r = w->commit();
        ASSERT_FALSE(r);
        EXPECT_TRUE(r.error().text().starts_with("digest mismatch: expected " + d.text() +
                                                 ", got sha256:"));
    }
    {
        auto w = store->begin_blob(d, 6);
        EXPECT_FALSE(w->write("abcdefg"));
    }
    {
        auto w = store->begin_blob(d, 6);
        ASSERT_TRUE(w->write("abc"));
        EXPECT_EQ(w->commit().error().text(),
                  "blob " + d.text() + " is truncated: expected 6 bytes, got 3");
    }
    {
        auto w = store->begin_blob(d, std::nullopt);
        ASSERT_TRUE(w->write("garbage"));
        ASSERT_TRUE(w->restart()); // a retried download starts over
        ASSERT_TRUE(w->write("abcdef"));
        ASSERT_TRUE(w->commit());
    }
    EXPECT_TRUE(store->has_blob(d));
    EXPECT_TRUE(temporaries().empty());
}

TEST_F(ContentStoreTest, StoredBlobThatWasTamperedWithIsRefused) {
    auto d = Digest::of("original");
    ASSERT_TRUE(store->put_blob(d, "original"));
    ::chmod(store->blob_path(d).c_str(), 0644);
    test::write_file(store->blob_path(d), "tampered");
    auto r = store->read_blob(d, 100);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().text().find("is corrupt: digest mismatch"), std::string::npos);
}

TEST_F(ContentStoreTest, BlobLockExcludesAcrossOpenFiles) {
    auto d = Digest::of("x");
    auto first = store->lock_blob(d);
    ASSERT_TRUE(first);
    bool acquired = false;
    std::jthread other([&] {
        auto second = store->lock_blob(d);
        acquired = second.has_value();
    });
    // The rootfs try-lock is the observable non-blocking probe of the same mechanism.
    auto held = store->try_lock_rootfs(d, LockMode::exclusive);
    ASSERT_TRUE(held && *held);
    auto conflicting = store->try_lock_rootfs(d, LockMode::shared);
    ASSERT_TRUE(conflicting);
    EXPECT_FALSE(*conflicting);
    *first = std::move(*store->lock_index()); // releases the blob lock
    other.join();
    EXPECT_TRUE(acquired);
}

} // namespace
} // namespace microvm::image
