// What a guest can take of the host: a root that fills up at its --disk-size, with the VM still
// answering and the host's disk holding no more than the cap; logs that keep the newest output
// within --log-max-size while a foreground run still shows every byte.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t mib = 1ull << 20;

// What `path` and everything below it take on the host's disk (allocated blocks, as du counts).
std::uint64_t disk_usage(fs::path const& path) {
    std::uint64_t total = 0;
    auto add = [&](fs::path const& p) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) == 0) {
            total += static_cast<std::uint64_t>(st.st_blocks) * 512;
        }
    };
    add(path);
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        add(it->path());
    }
    return total;
}

nlohmann::json inspect(std::string const& name) {
    auto const json = nlohmann::json::parse(microvm({"inspect", name}).out, nullptr, false);
    return json.is_array() && json.size() == 1 ? json[0] : nlohmann::json();
}

class RemovedAtEnd {
public:
    explicit RemovedAtEnd(std::string name) : m_name(std::move(name)) {
        (void)microvm({"rm", "-f", m_name});
    }
    RemovedAtEnd(RemovedAtEnd const&) = delete;
    RemovedAtEnd& operator=(RemovedAtEnd const&) = delete;
    ~RemovedAtEnd() { (void)microvm({"rm", "-f", m_name}); }

private:
    std::string m_name;
};

TEST(ResourceLimits, AFullRootGivesTheGuestEnospcAndTheHostNoMoreThanTheCap) {
    constexpr char name[] = "disk-cap";
    RemovedAtEnd cleanup(name);
    // 2 GiB into a root capped at 256 MiB, then the workload goes on.
    auto const started =
        microvm({"run", "-d", "--name", name, "--rootfs", world().rootfs.string(), "--disk-size",
                 "256M", "--", "sh", "-c",
                 "dd if=/dev/zero of=/big bs=1M count=2048 2>/tmp/dd.err; echo $? >/tmp/dd.rc; "
                 "exec sleep 3000"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    ASSERT_TRUE(eventually([&] {
        return microvm({"exec", name, "test", "-e", "/tmp/dd.rc"}).exit_code == 0;
    })) << "dd never ended";

    auto const rc = microvm({"exec", name, "cat", "/tmp/dd.rc", "/tmp/dd.err"});
    EXPECT_NE(rc.out.rfind("0\n", 0), 0U) << "dd wrote 2 GiB into a 256 MiB root: " << rc.out;
    EXPECT_NE(rc.out.find("No space left on device"), std::string::npos) << rc.out;
    // Still answering, and the root still works for what fits: remove the file, write again.
    auto const after =
        microvm({"exec", name, "sh", "-c", "rm /big && echo ok > /after && cat /after"});
    EXPECT_EQ(after.exit_code, 0) << after.err;
    EXPECT_EQ(after.out, "ok\n");

    auto const info = inspect(name);
    ASSERT_TRUE(info.is_object());
    EXPECT_EQ(info["resources"]["disk"]["size"], 256 * mib);
    fs::path const vm_dir = info["data_dir"].get<std::string>();
    // The layer's disk holds at most its size; logs, state and sockets add a few KiB.
    EXPECT_LE(disk_usage(vm_dir / "rootfs.ext4"), 256 * mib);
    EXPECT_LE(disk_usage(vm_dir), 256 * mib + 2 * mib);
    EXPECT_GT(disk_usage(vm_dir / "rootfs.ext4"), 128 * mib) << "the guest's writes are elsewhere";

    ASSERT_EQ(microvm({"rm", "-f", name}).exit_code, 0);
    EXPECT_FALSE(fs::exists(vm_dir));
}

// Whether `text`'s lines are "line N" with N counting up by one, after its first line (which a
// rotation may have cut); returns the last N, or -1.
long last_of_consecutive_lines(std::string const& text) {
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    long previous = -1;
    while (std::getline(in, line)) {
        if (!line.starts_with("line ")) {
            return -1;
        }
        long const n = std::stol(line.substr(5));
        if (previous >= 0 && n != previous + 1) {
            return -1;
        }
        previous = n;
    }
    return previous;
}

TEST(ResourceLimits, AGuestPrintingWithoutEndKeepsTheNewestOutputWithinTheLogCap) {
    constexpr char name[] = "log-cap";
    RemovedAtEnd cleanup(name);
    auto const started =
        microvm({"run", "-d", "--name", name, "--rootfs", world().rootfs.string(), "--log-max-size",
                 "256K", "--", "sh", "-c", "i=0; while :; do echo \"line $i\"; i=$((i+1)); done"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    // Four times the cap printed: the logs have rotated and dropped at least twice.
    ASSERT_TRUE(eventually([&] {
        auto const info = inspect(name);
        return info.is_object() &&
               info["resources"]["logs"]["dropped"]["stdout"].get<std::uint64_t>() >= 768 * 1024;
    })) << "the guest's output never filled the log";

    fs::path const vm_dir = inspect(name)["data_dir"].get<std::string>();
    EXPECT_LE(fs::file_size(vm_dir / "stdout.log"), 128U * 1024);
    EXPECT_LE(fs::file_size(vm_dir / "stdout.log.1"), 128U * 1024);
    EXPECT_FALSE(fs::exists(vm_dir / "stdout.log.2"));

    // `logs` reads across the two files: consecutive lines up to the newest, and says once
    // what was dropped.
    auto const logs = microvm({"logs", name});
    EXPECT_EQ(logs.exit_code, 0) << logs.err;
    EXPECT_GT(last_of_consecutive_lines(logs.out), 10000) << logs.out.substr(0, 200);
    EXPECT_NE(logs.err.find("bytes of older stdout dropped"), std::string::npos) << logs.err;
    EXPECT_LE(logs.out.size(), 256U * 1024);
}

TEST(ResourceLimits, AForegroundRunShowsEveryLineThroughACappedLog) {
    // About 190 KB of output through a 64 KiB log.
    auto const result =
        run_sh("seq 1 30000", {"--name", "log-cap-foreground", "--log-max-size", "64K"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::string expected;
    for (int i = 1; i <= 30000; ++i) {
        expected += std::to_string(i) + "\n";
    }
    EXPECT_EQ(result.out, expected);
}

TEST(ResourceLimits, ACapTheHostCannotHoldIsRefusedBeforeAnythingStarts) {
    auto const tiny = run_sh("true", {"--disk-size", "1M"});
    EXPECT_EQ(tiny.exit_code, 125);
    EXPECT_NE(tiny.err.find("disk_size: 1048576 bytes is too small"), std::string::npos)
        << tiny.err;
    auto const nonsense = run_sh("true", {"--disk-size", "lots"});
    EXPECT_EQ(nonsense.exit_code, 125);
    EXPECT_NE(nonsense.err.find("--disk-size: \"lots\" is not a size"), std::string::npos)
        << nonsense.err;
    auto const small_log = run_sh("true", {"--log-max-size", "100"});
    EXPECT_EQ(small_log.exit_code, 125);
    EXPECT_NE(small_log.err.find("log_max_size: 100 bytes is less than the smallest cap"),
              std::string::npos)
        << small_log.err;
}

} // namespace
} // namespace microvm::e2e
