#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/temp_dir.hpp"
#include "runner/result_file.hpp"
#include "support/test_support.hpp"

namespace microvm::runner {
namespace {

TEST(ResultFile, RecordsExitCodeOrErrorPrivately) {
    auto dir = base::TempDir::create("result-file-test-");
    ASSERT_TRUE(dir) << dir.error().text();
    std::string const path = dir->path() / "result.json";

    ASSERT_TRUE(write_result_exit_code(path, 42));
    EXPECT_EQ(nlohmann::json::parse(test::read_file(path)), nlohmann::json({{"exit_code", 42}}));
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);

    ASSERT_TRUE(write_result_error(path, "libkrun: krun_create_ctx: \"quoted\""));
    EXPECT_EQ(nlohmann::json::parse(test::read_file(path)),
              nlohmann::json({{"error", "libkrun: krun_create_ctx: \"quoted\""}}));
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(ResultFile, NamesThePathWhenItCannotWrite) {
    auto result = write_result_error("/nonexistent-dir/result.json", "x");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().text(),
              "write result: open /nonexistent-dir/result.json.tmp: No such file or directory");
}

} // namespace
} // namespace microvm::runner
