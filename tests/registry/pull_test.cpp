// Pulls from a real registry into a real content store.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/temp_dir.hpp"
#include "host/image/reference.hpp"
#include "host/image/registry/pull.hpp"
#include "host/image/store/rootfs_cache.hpp"
#include "host/image/store/tag_index.hpp"
#include "host/image/unpack/unpack.hpp"
#include "pull_fixture.hpp"
#include "support/test_support.hpp"

namespace microvm::image {
namespace {

using test::AuthPull;
using test::LayerFiles;
using test::Pull;

TEST_F(Pull, MultiLayerImageIsStoredVerifiedAndTagged) {
    build_three_layers();
    layout->push("app", address() + "/test/app:1");

    auto pulled = pull_image(*store, ref("test/app:1"), options());
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(pulled->manifest.layers.size(), 3u);
    EXPECT_EQ(pulled->record.manifest_digest, layout->manifest_digest("app"));
    EXPECT_EQ(pulled->record.digest, pulled->record.manifest_digest);
    auto config = nlohmann::json::parse(pulled->config);
    EXPECT_EQ(config["config"]["Cmd"][0], "/bin/sh");
    EXPECT_EQ(config["architecture"], "amd64");
    EXPECT_EQ(pulled->downloaded.size(), 4u); // config + 3 layers
    EXPECT_TRUE(pulled->reused.empty());

    // Every stored blob hashes to its name and is read-only.
    for (auto const& layer : pulled->manifest.layers) {
        auto bytes = test::read_file(store->blob_path(layer.digest));
        EXPECT_EQ(Digest::of(bytes), layer.digest);
        EXPECT_EQ(bytes.size(), layer.size);
        struct stat st {};
        ASSERT_EQ(::stat(store->blob_path(layer.digest).c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0444u);
    }

    auto images = list_images(*store);
    ASSERT_TRUE(images);
    ASSERT_EQ(images->size(), 1u);
    EXPECT_EQ((*images)[0].repository, address() + "/test/app");
    EXPECT_EQ((*images)[0].tag, "1");
    EXPECT_GT((*images)[0].size, 100u);
    EXPECT_FALSE((*images)[0].created.empty());

    // Pulling again downloads nothing; the stored image loads without the network.
    auto again = pull_image(*store, ref("test/app:1"), options());
    ASSERT_TRUE(again) << again.error().text();
    EXPECT_TRUE(again->downloaded.empty());
    EXPECT_EQ(again->reused.size(), 4u);
    auto loaded = load_image(*store, (*images)[0]);
    ASSERT_TRUE(loaded) << loaded.error().text();
    EXPECT_EQ(loaded->config, pulled->config);
}

TEST_F(Pull, PulledImageUnpacksIntoTheRootfsCacheOnce) {
    build_three_layers();
    layout->push("app", address() + "/test/app:1");
    auto pulled = pull_image(*store, ref("test/app:1"), options());
    ASSERT_TRUE(pulled) << pulled.error().text();
    std::vector<std::filesystem::path> layers;
    for (auto const& layer : pulled->manifest.layers) {
        layers.push_back(store->blob_path(layer.digest));
    }
    int unpacks = 0;
    auto unpack = [&](std::filesystem::path const& dir) -> Result<void> {
        ++unpacks;
        TRY(unpack_image(layers, dir));
        return {};
    };
    auto const manifest = Digest::parse(pulled->record.manifest_digest).value();
    auto rootfs = ensure_rootfs(*store, manifest, unpack);
    ASSERT_TRUE(rootfs) << rootfs.error().text();
    EXPECT_EQ(test::read_file(*rootfs / "bin" / "first"), "1");
    EXPECT_EQ(test::read_file(*rootfs / "etc" / "more"), "more");
    EXPECT_EQ(test::read_file(*rootfs / "usr" / "third").size(), 100000u);
    ASSERT_TRUE(ensure_rootfs(*store, manifest, unpack));
    EXPECT_EQ(unpacks, 1);
}

TEST_F(Pull, ZstdLayers) {
    build_three_layers();
    layout->push("app", address() + "/test/zstd:1",
                 {"--dest-compress", "--dest-compress-format", "zstd"});
    auto pulled = pull_image(*store, ref("test/zstd:1"), options());
    ASSERT_TRUE(pulled) << pulled.error().text();
    for (auto const& layer : pulled->manifest.layers) {
        EXPECT_EQ(layer.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
    }
    std::vector<std::filesystem::path> layers;
    for (auto const& layer : pulled->manifest.layers) {
        layers.push_back(store->blob_path(layer.digest));
    }
    auto rootfs = ensure_rootfs(*store, Digest::parse(pulled->record.manifest_digest).value(),
                                [&](std::filesystem::path const& dir) -> Result<void> {
                                    TRY(unpack_image(layers, dir));
                                    return {};
                                });
    ASSERT_TRUE(rootfs) << rootfs.error().text();
    EXPECT_EQ(test::read_file(*rootfs / "etc" / "second"), "2");
}

TEST_F(Pull, ByDigestAndDockerSchema2) {
    build_three_layers();
    layout->push("app", address() + "/test/docker:v2", {"--format", "v2s2"});
    auto by_tag = pull_image(*store, ref("test/docker:v2"), options());
    ASSERT_TRUE(by_tag) << by_tag.error().text();
    EXPECT_EQ(by_tag->manifest.media_type, "application/vnd.docker.distribution.manifest.v2+json");

    auto by_digest = pull_image(*store, ref("test/docker@" + by_tag->record.digest), options());
    ASSERT_TRUE(by_digest) << by_digest.error().text();
    EXPECT_EQ(by_digest->record.manifest_digest, by_tag->record.manifest_digest);
    EXPECT_EQ(by_digest->record.tag, "");
}

TEST_F(Pull, IndexWithTwoPlatforms) {
    layout->build("amd", {LayerFiles{{"arch", "amd64"}}}, "amd64");
    layout->build("arm", {LayerFiles{{"arch", "arm64"}}}, "arm64");
    layout->make_index("multi", {"amd", "arm"});
    layout->push("multi", address() + "/test/multi:1", {"--all"});

    auto host = pull_image(*store, ref("test/multi:1"), options());
    ASSERT_TRUE(host) << host.error().text();
    EXPECT_EQ(host->record.manifest_digest, layout->manifest_digest("amd"));
    EXPECT_NE(host->record.digest, host->record.manifest_digest); // the index's digest

    auto opts = options();
    opts.platform = parse_platform("linux/arm64").value();
    auto arm = pull_image(*store, ref("test/multi:1"), opts);
    ASSERT_TRUE(arm) << arm.error().text();
    EXPECT_EQ(arm->record.manifest_digest, layout->manifest_digest("arm"));

    opts.platform = parse_platform("linux/s390x").value();
    auto none = pull_image(*store, ref("test/multi:1"), opts);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().text(),
              "pull " + address() +
                  "/test/multi:1: no image for platform linux/s390x (available: linux/amd64, "
                  "linux/arm64)");
}

TEST_F(Pull, UnknownTagAndRepositoryAreNamed) {
    build_three_layers();
    layout->push("app", address() + "/test/app:1");
    auto tag = pull_image(*store, ref("test/app:nope"), options());
    ASSERT_FALSE(tag);
    EXPECT_EQ(tag.error().text(),
              "pull " + address() + "/test/app:nope: fetch manifest: unknown tag \"nope\" in " +
                  address() + "/test/app (404 Not Found: manifest unknown (MANIFEST_UNKNOWN))");
    auto repo = pull_image(*store, ref("test/missing:1"), options());
    ASSERT_FALSE(repo);
    EXPECT_NE(repo.error().text().find("404 Not Found"), std::string::npos) << repo.error().text();
    EXPECT_NE(repo.error().text().find("test/missing"), std::string::npos) << repo.error().text();
}

TEST_F(Pull, CorruptedBlobIsRejectedByDigest) {
    build_three_layers();
    layout->push("app", address() + "/test/app:1");
    auto manifest = nlohmann::json::parse(test::read_file(
        layout->dir() / "blobs" / "sha256" / layout->manifest_digest("app").substr(7)));
    std::string const layer = manifest["layers"][2]["digest"];
    auto const data = m_registry->blob_data(layer.substr(7));
    auto bytes = test::read_file(data);
    ASSERT_FALSE(bytes.empty());
    bytes[bytes.size() / 2] ^= 0x55; // same size, different content
    test::write_file(data, bytes);

    auto pulled = pull_image(*store, ref("test/app:1"), options());
    ASSERT_FALSE(pulled);
    auto const text = pulled.error().text();
    EXPECT_NE(text.find("fetch blob " + layer + ": digest mismatch: expected " + layer +
                        ", got sha256:" + Digest::of(bytes).hex),
              std::string::npos)
        << text;
    auto digest = Digest::parse(layer).value();
    EXPECT_FALSE(store->has_blob(digest));
    for (auto const& entry : std::filesystem::directory_iterator(store->blobs_dir())) {
        EXPECT_FALSE(entry.path().filename().string().starts_with(".tmp-")) << entry.path();
    }
    EXPECT_TRUE(list_images(*store)->empty());
}

TEST_F(Pull, ConcurrentPullsDownloadEachBlobOnce) {
    build_three_layers();
    layout->push("app", address() + "/test/app:1");
    std::vector<std::string> downloaded[2];
    std::optional<Error> errors[2];
    {
        std::vector<std::jthread> pullers;
        for (int i = 0; i < 2; ++i) {
            pullers.emplace_back([&, i] {
                // Each puller opens the store itself, as a second process would.
                auto own = ContentStore::open(store->root()).value();
                auto pulled = pull_image(own, ref("test/app:1"), options());
                if (pulled) {
                    downloaded[i] = pulled->downloaded;
                } else {
                    errors[i] = pulled.error();
                }
            });
        }
    }
    ASSERT_FALSE(errors[0]) << errors[0]->text();
    ASSERT_FALSE(errors[1]) << errors[1]->text();
    std::multiset<std::string> all(downloaded[0].begin(), downloaded[0].end());
    all.insert(downloaded[1].begin(), downloaded[1].end());
    EXPECT_EQ(all.size(), 4u);
    for (auto const& digest : all) {
        EXPECT_EQ(all.count(digest), 1u) << digest << " was downloaded twice";
    }
    EXPECT_EQ(list_images(*store)->size(), 1u);
}

TEST_F(Pull, ConcurrentPullsFromTwoProcessesDownloadEachBlobOnce) {
    build_three_layers();
    layout->push("app", address() + "/test/app:1");
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < 2; ++i) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            // The child reports how many blobs it downloaded, or 9 on failure, and exits
            // without running the parent's destructors (the registry fixture, the temp dirs).
            auto own = ContentStore::open(store->root());
            auto pulled = own ? pull_image(*own, ref("test/app:1"), options())
                              : Result<PulledImage>(std::unexpected(own.error()));
            char report = pulled ? static_cast<char>('0' + pulled->downloaded.size()) : '9';
            (void)!::write(pipe_fds[1], &report, 1);
            ::_exit(0);
        }
        children.push_back(pid);
    }
    ::close(pipe_fds[1]);
    std::string reports;
    char c;
    while (::read(pipe_fds[0], &c, 1) == 1) {
        reports.push_back(c);
    }
    ::close(pipe_fds[0]);
    for (pid_t pid : children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ((reports[0] - '0') + (reports[1] - '0'), 4) << reports; // config + 3 layers
    EXPECT_EQ(list_images(*store)->size(), 1u);
}

TEST_F(Pull, EnsureImageWorksOfflineOnceThere) {
    build_three_layers();
    layout->push("app", address() + "/test/app:1");
    auto const app = ref("test/app:1");
    auto const other = ref("test/app:2");
    auto first = ensure_image(*store, app, options());
    ASSERT_TRUE(first) << first.error().text();
    EXPECT_EQ(first->downloaded.size(), 4u);
    auto const by_digest = ref("test/app@" + first->record.digest);

    m_registry.reset(); // the registry is gone from here on
    auto opts = options();
    opts.client.first_backoff = std::chrono::milliseconds(1);
    for (auto const& r : {app, by_digest}) {
        auto again = ensure_image(*store, r, opts);
        ASSERT_TRUE(again) << again.error().text();
        EXPECT_TRUE(again->downloaded.empty());
        EXPECT_EQ(again->record.manifest_digest, first->record.manifest_digest);
    }
    EXPECT_EQ(ensure_image(*store, other, opts, PullPolicy::never).error().text(),
              "image " + other.to_string() + " is not in the store");
    EXPECT_FALSE(ensure_image(*store, app, opts, PullPolicy::always));
}

TEST_F(AuthPull, WithoutCredentialsIsUnauthorized) {
    push_app();
    auto pulled = pull_image(*store, ref("test/app:1"), options());
    ASSERT_FALSE(pulled);
    EXPECT_EQ(pulled.error().text(),
              "pull " + address() +
                  "/test/app:1: fetch manifest: 401 Unauthorized: authentication required "
                  "(UNAUTHORIZED) (no credentials for " +
                  address() + "; no auth file configured)");
}

TEST_F(AuthPull, CredentialsFromTheAuthFile) {
    push_app();
    auto pulled = pull_image(*store, ref("test/app:1"), with_auth_file("alice:s3cret"));
    ASSERT_TRUE(pulled) << pulled.error().text();
    EXPECT_EQ(pulled->downloaded.size(), 4u);
}

TEST_F(AuthPull, WrongPasswordIsRejected) {
    push_app();
    auto pulled = pull_image(*store, ref("test/app:1"), with_auth_file("alice:wrong"));
    expect_rejected(pulled);
}

} // namespace
} // namespace microvm::image
