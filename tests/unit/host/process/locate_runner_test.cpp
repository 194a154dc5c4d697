#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/temp_dir.hpp"
#include "host/process/locate_runner.hpp"
#include "support/test_support.hpp"

namespace microvm::process {
namespace {

class LocateRunnerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto dir = base::TempDir::create("microvm-locate-test-");
        ASSERT_TRUE(dir) << dir.error().text();
        m_dir.emplace(std::move(*dir));
        for (auto sub : {"self", "path1", "path2", "empty"}) {
            std::filesystem::create_directory(root() / sub);
        }
    }

    std::filesystem::path root() const { return m_dir->path(); }

    std::filesystem::path make_runner(std::filesystem::path const& dir, mode_t mode = 0755) {
        auto path = dir / runner_binary_name;
        microvm::test::write_file(path, "#!/bin/sh\n");
        ::chmod(path.c_str(), mode);
        return path;
    }

    RunnerSearch search() const {
        return {.explicit_path = {},
                .self_exe = root() / "self" / "microvm",
                .path_env = (root() / "path1").string() + ":" + (root() / "path2").string()};
    }

    std::optional<base::TempDir> m_dir;
};

TEST_F(LocateRunnerTest, ExplicitPathMustExist) {
    auto s = search();
    s.explicit_path = root() / "nowhere" / "runner";
    make_runner(root() / "self");
    auto found = locate_runner(s);
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().text(), "explicit runner path not found: " + s.explicit_path.string());
}

// Used to throw: a relative explicit path when the working directory has been removed.
TEST_F(LocateRunnerTest, ARelativeExplicitPathWithoutAWorkingDirectoryIsAnError) {
    auto s = search();
    s.explicit_path = "runner";
    microvm::test::RemovedWorkingDirectory removed;
    auto found = locate_runner(s);
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().errno_value(), ENOENT);
    EXPECT_EQ(found.error().root(), "explicit runner path runner");
}

TEST_F(LocateRunnerTest, ExplicitPathWinsAndIsResolved) {
    auto real = make_runner(root() / "path2");
    std::filesystem::create_symlink(real, root() / "link");
    make_runner(root() / "self");
    auto s = search();
    s.explicit_path = root() / "link";
    auto found = locate_runner(s);
    ASSERT_TRUE(found) << found.error().text();
    EXPECT_EQ(*found, std::filesystem::canonical(real));
}

TEST_F(LocateRunnerTest, ExplicitPathMustBeExecutable) {
    auto s = search();
    s.explicit_path = make_runner(root() / "path1", 0644);
    auto found = locate_runner(s);
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().text(),
              "explicit runner path is not an executable file: " + s.explicit_path.string());
}

TEST_F(LocateRunnerTest, NextToTheExecutableBeforePath) {
    auto beside = make_runner(root() / "self");
    make_runner(root() / "path1");
    auto found = locate_runner(search());
    ASSERT_TRUE(found) << found.error().text();
    EXPECT_EQ(*found, std::filesystem::canonical(beside));
}

TEST_F(LocateRunnerTest, PathInOrderSkippingNonExecutables) {
    make_runner(root() / "path1", 0644);
    auto second = make_runner(root() / "path2");
    auto found = locate_runner(search());
    ASSERT_TRUE(found) << found.error().text();
    EXPECT_EQ(*found, std::filesystem::canonical(second));
}

TEST_F(LocateRunnerTest, RelativePathEntriesAreIgnored) {
    auto s = search();
    s.path_env = ":.:path1";
    make_runner(root());
    make_runner(root() / "path1");
    auto const previous = std::filesystem::current_path();
    std::filesystem::current_path(root());
    auto found = locate_runner(s);
    std::filesystem::current_path(previous);
    EXPECT_FALSE(found);
}

TEST_F(LocateRunnerTest, NotFoundSaysWhereItLooked) {
    auto found = locate_runner(search());
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().text(), "microvm-runner not found next to " +
                                        (root() / "self" / "microvm").string() +
                                        " or in PATH; build it or pass its path explicitly");
}

} // namespace
} // namespace microvm::process
