// What a guest can take of the host: a root that fills up at its --disk-size, with the VM still
// answering and the host's disk holding no more than the cap.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
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

TEST(ResourceLimits, ACapTheHostCannotHoldIsRefusedBeforeAnythingStarts) {
    auto const tiny = run_sh("true", {"--disk-size", "1M"});
    EXPECT_EQ(tiny.exit_code, 125);
    EXPECT_NE(tiny.err.find("disk_size: 1048576 bytes is too small"), std::string::npos)
        << tiny.err;
    auto const nonsense = run_sh("true", {"--disk-size", "lots"});
    EXPECT_EQ(nonsense.exit_code, 125);
    EXPECT_NE(nonsense.err.find("--disk-size: \"lots\" is not a size"), std::string::npos)
        << nonsense.err;
}

} // namespace
} // namespace microvm::e2e
