#include <gtest/gtest.h>

#include "host/image/unpack/entry_name.hpp"

namespace microvm::image {
namespace {

std::string normal(std::string const& raw) {
    auto name = normalize_entry_name(raw, 4096);
    EXPECT_TRUE(name) << raw << ": " << name.error().text();
    return name ? *name : "<error>";
}

TEST(EntryName, Normalization) {
    EXPECT_EQ(normal("etc/x"), "etc/x");
    EXPECT_EQ(normal("/etc//x/"), "etc/x");
    EXPECT_EQ(normal("./etc/./x"), "etc/x");
    EXPECT_EQ(normal("./"), "");
    EXPECT_EQ(normal("/"), "");
    EXPECT_EQ(normal("..."), "...") << "only \"..\" itself is special";
    EXPECT_EQ(normal("a..b/..c"), "a..b/..c");
}

TEST(EntryName, Refusals) {
    auto dots = normalize_entry_name("a/../b", 4096);
    ASSERT_FALSE(dots);
    EXPECT_EQ(dots.error().text(),
              "entry \"a/../b\": name contains \"..\", which could leave the root");
    EXPECT_FALSE(normalize_entry_name("..", 4096));
    EXPECT_FALSE(normalize_entry_name("/../etc", 4096));
    EXPECT_FALSE(normalize_entry_name(std::string("a\0b", 3), 4096));
    auto long_name = normalize_entry_name(std::string(11, 'x'), 10);
    ASSERT_FALSE(long_name);
    EXPECT_NE(long_name.error().text().find("longer than 10 bytes"), std::string::npos);
}

TEST(EntryName, Whiteouts) {
    EXPECT_EQ(classify_whiteout("file")->kind, WhiteoutKind::none);
    EXPECT_EQ(classify_whiteout(".whx")->kind, WhiteoutKind::none);
    auto plain = classify_whiteout(".wh.file");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->kind, WhiteoutKind::plain);
    EXPECT_EQ(plain->target, "file");
    EXPECT_EQ(classify_whiteout(".wh..wh..opq")->kind, WhiteoutKind::opaque);
    EXPECT_EQ(classify_whiteout(".wh..wh.plnk")->kind, WhiteoutKind::meta);
    EXPECT_EQ(classify_whiteout(".wh..hidden")->target, ".hidden");
    EXPECT_FALSE(classify_whiteout(".wh."));
    EXPECT_FALSE(classify_whiteout(".wh.."));
    EXPECT_FALSE(classify_whiteout(".wh..."));
}

} // namespace
} // namespace microvm::image
