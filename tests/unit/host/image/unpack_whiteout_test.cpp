// Whiteouts and opaque directories across layers (OCI image spec, "Whiteouts").
#include <gtest/gtest.h>

#include <set>

#include "unpack_fixture.hpp"

namespace microvm::image::test {
namespace {

using UnpackWhiteout = UnpackTest;

std::set<std::string> names_in(fs::path const& dir) {
    std::set<std::string> names;
    for (auto const& entry : fs::directory_iterator(dir)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

LayerBuilder base_layer() {
    LayerBuilder layer;
    layer.dir("etc")
        .file("etc/a", "a")
        .file("etc/b", "b")
        .dir("etc/sub")
        .file("etc/sub/deep", "d")
        .dir("var/cache", 0700)
        .file("var/cache/blob", "x")
        .symlink("link", "etc");
    return layer;
}

TEST_F(UnpackWhiteout, PlainWhiteoutRemovesFilesDirectoriesAndLinks) {
    unpack_ok({base_layer(),
               LayerBuilder().file("etc/.wh.a", "").file(".wh.var", "").file(".wh.link", "")});
    EXPECT_FALSE(exists("etc/a"));
    EXPECT_EQ(content("etc/b"), "b");
    EXPECT_FALSE(exists("var"));
    EXPECT_FALSE(exists("link"));
    EXPECT_TRUE(exists("etc")) << "removing the link must not remove its target";
    EXPECT_FALSE(exists("etc/.wh.a")) << "whiteout files are never written";
}

TEST_F(UnpackWhiteout, WhiteoutOfMissingNameOrParentIsANoOp) {
    unpack_ok({base_layer(), LayerBuilder().file("etc/.wh.nothing", "").file("no/such/.wh.x", "")});
    EXPECT_FALSE(exists("no")) << "a whiteout does not create its parent";
}

TEST_F(UnpackWhiteout, RecreatedAfterWhiteoutInALaterLayer) {
    unpack_ok({base_layer(), LayerBuilder().file(".wh.etc", ""),
               LayerBuilder().dir("etc").file("etc/new", "n")});
    EXPECT_EQ(names_in(root() / "etc"), (std::set<std::string>{"new"}));
}

TEST_F(UnpackWhiteout, OpaqueDirectoryHidesLowerContentAcrossLayers) {
    unpack_ok({base_layer(), LayerBuilder().file("etc/c", "c").file("etc/sub/more", "m"),
               LayerBuilder().dir("etc").file("etc/.wh..wh..opq", "").file("etc/fresh", "f")});
    EXPECT_EQ(names_in(root() / "etc"), (std::set<std::string>{"fresh"}));
    EXPECT_EQ(content("var/cache/blob"), "x") << "other directories are untouched";
}

TEST_F(UnpackWhiteout, OpaqueSparesEntriesOfItsOwnLayerWhateverTheOrder) {
    // Tar order is free: here the layer's own entries come before the marker.
    unpack_ok({base_layer(), LayerBuilder()
                                 .dir("etc")
                                 .file("etc/a", "new a")
                                 .dir("etc/sub")
                                 .file("etc/sub/kept", "k")
                                 .file("etc/.wh..wh..opq", "")});
    EXPECT_EQ(names_in(root() / "etc"), (std::set<std::string>{"a", "sub"}));
    EXPECT_EQ(content("etc/a"), "new a");
    // etc/sub was written by this layer too, but its lower content (deep) is hidden.
    EXPECT_EQ(names_in(root() / "etc/sub"), (std::set<std::string>{"kept"}));
}

TEST_F(UnpackWhiteout, WhiteoutSparesEntriesOfItsOwnLayer) {
    unpack_ok({base_layer(), LayerBuilder().file("etc/new", "n").file("etc/.wh.new", "")});
    EXPECT_EQ(content("etc/new"), "n");
}

TEST_F(UnpackWhiteout, OpaqueAtTheRoot) {
    unpack_ok({base_layer(), LayerBuilder().file("only", "o").file(".wh..wh..opq", "")});
    EXPECT_EQ(names_in(root()), (std::set<std::string>{"only"}));
}

TEST_F(UnpackWhiteout, OpaqueOnMissingDirectoryIsANoOp) {
    unpack_ok({base_layer(), LayerBuilder().file("nowhere/.wh..wh..opq", "")});
    EXPECT_FALSE(exists("nowhere"));
}

TEST_F(UnpackWhiteout, AufsMetadataIsIgnored) {
    unpack_ok({base_layer(), LayerBuilder().dir(".wh..wh.plnk").file(".wh..wh.aufs", "")});
    EXPECT_FALSE(exists(".wh..wh.plnk"));
    EXPECT_FALSE(exists(".wh..wh.aufs"));
    EXPECT_EQ(content("etc/a"), "a");
}

TEST_F(UnpackWhiteout, WhiteoutNamingNothingIsAnError) {
    auto const error = unpack_error({LayerBuilder().file("etc/.wh.", "")});
    EXPECT_NE(error.find("whiteout \".wh.\" names no entry"), std::string::npos) << error;
}

TEST_F(UnpackWhiteout, ReadOnlyDirectoriesCanBeWhitedOut) {
    unpack_ok({LayerBuilder().dir("ro", 0500).file("ro/f", "x", 0400).dir("ro/sub", 0000),
               LayerBuilder().file(".wh.ro", "")});
    EXPECT_FALSE(exists("ro"));
}

} // namespace
} // namespace microvm::image::test
