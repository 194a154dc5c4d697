// A scratch area for the unpack tests: a root to unpack into, a "victim" directory next to
// it standing for host files an image must never reach, and helpers to build layers and
// to prove the victim unchanged (a snapshot of everything outside the root, before/after).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/temp_dir.hpp"
#include "host/image/unpack/unpack.hpp"
#include "layer_builder.hpp"

namespace microvm::image::test {

namespace fs = std::filesystem;

// Type, mode, owner, size, mtime, content and link target of every path below `dir`,
// without following symlinks.
inline std::map<std::string, std::string> snapshot(fs::path const& dir,
                                                   std::vector<std::string> const& skip = {}) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
        std::string const rel = fs::relative(it->path(), dir).string();
        if (std::find(skip.begin(), skip.end(), rel) != skip.end()) {
            it.disable_recursion_pending();
            continue;
        }
        struct stat st {};
        ::lstat(it->path().c_str(), &st);
        std::ostringstream line;
        line << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid << " "
             << st.st_size << " " << st.st_mtim.tv_sec << " " << st.st_nlink;
        if (S_ISLNK(st.st_mode)) {
            line << " -> " << fs::read_symlink(it->path()).string();
        } else if (S_ISREG(st.st_mode)) {
            std::ifstream in(it->path(), std::ios::binary);
            line << " " << std::string(std::istreambuf_iterator<char>(in), {});
        }
        out[rel] = line.str();
    }
    return out;
}

class UnpackTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-unpack-test-");
        ASSERT_TRUE(dir);
        m_dir.emplace(std::move(*dir));
        fs::create_directories(root());
        fs::create_directories(base() / "layers");
        fs::create_directories(victim() / "dir");
        std::ofstream(victim() / "secret") << "host secret";
        std::ofstream(victim() / "dir" / "config") << "host config";
        ::chmod((victim() / "secret").c_str(), 0600);
        m_before = outside();
    }

    void TearDown() override {
        // Every test, attack or not, must leave the host side untouched.
        EXPECT_EQ(outside(), m_before) << "a file outside the root was created or changed";
    }

    fs::path base() const { return m_dir->path(); }
    fs::path root() const { return base() / "root"; }
    fs::path victim() const { return base() / "victim"; }
    std::map<std::string, std::string> outside() const {
        return snapshot(base(), {"root", "layers", "final"});
    }

    // Writes `layers` as tar files and unpacks them into root().
    Result<UnpackStats> unpack(std::vector<LayerBuilder> const& layers,
                               Compression compression = Compression::none,
                               UnpackLimits const& limits = {}) {
        return unpack_layers(write_layers(layers, compression), root(), limits);
    }
    std::vector<fs::path> write_layers(std::vector<LayerBuilder> const& layers,
                                       Compression compression = Compression::none) {
        std::vector<fs::path> paths;
        for (auto const& layer : layers) {
            paths.push_back(base() / "layers" /
                            ("layer" + std::to_string(m_next_layer++) + ".tar"));
            layer.write(paths.back(), compression);
        }
        return paths;
    }
    // Unpacks and expects success.
    void unpack_ok(std::vector<LayerBuilder> const& layers,
                   Compression compression = Compression::none) {
        auto stats = unpack(layers, compression);
        ASSERT_TRUE(stats) << stats.error().text();
    }
    // Unpacks and expects failure; returns the message.
    std::string unpack_error(std::vector<LayerBuilder> const& layers) {
        auto stats = unpack(layers);
        EXPECT_FALSE(stats) << "unpack succeeded";
        return stats ? "" : stats.error().text();
    }

    std::optional<std::string> content(std::string const& rel) const {
        std::ifstream in(root() / rel, std::ios::binary);
        if (!in) {
            return std::nullopt;
        }
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    bool exists(std::string const& rel) const {
        struct stat st {};
        return ::lstat((root() / rel).c_str(), &st) == 0;
    }
    struct stat stat_of(std::string const& rel) const {
        struct stat st {};
        EXPECT_EQ(::lstat((root() / rel).c_str(), &st), 0) << rel;
        return st;
    }

private:
    std::optional<base::TempDir> m_dir;
    std::map<std::string, std::string> m_before;
    int m_next_layer = 0;
};

} // namespace microvm::image::test
