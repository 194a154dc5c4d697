#include "runner/layer_disk.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/fd.hpp"

namespace microvm::runner {
namespace {

// Another process may take the device LOOP_CTL_GET_FREE named before we configure it; then
// we ask again. More attempts than this means something else is wrong.
constexpr int loop_attempts = 32;

struct LoopDevice {
    base::Fd fd;
    std::string path;
};

Result<LoopDevice> attach_loop_device(int image_fd, std::string const& image) {
    base::Fd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
    if (!control) {
        return fail_errno("open /dev/loop-control (the VM's disk needs a loop device)");
    }
    for (int attempt = 0; attempt < loop_attempts; ++attempt) {
        int const number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
        if (number < 0) {
            return fail_errno("LOOP_CTL_GET_FREE");
        }
        std::string path = "/dev/loop" + std::to_string(number);
        base::Fd device(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!device) {
            return fail_errno("open " + path);
        }
        loop_config config{};
        config.fd = static_cast<std::uint32_t>(image_fd);
        // Freed by the kernel once the last mount of it is gone, however the runner ends.
        config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        std::snprintf(reinterpret_cast<char*>(config.info.lo_file_name), LO_NAME_SIZE, "%s",
                      image.c_str());
        if (::ioctl(device.get(), LOOP_CONFIGURE, &config) == 0) {
            return LoopDevice{.fd = std::move(device), .path = std::move(path)};
        }
        if (errno != EBUSY) {
            return fail_errno("attach " + image + " to " + path + " (LOOP_CONFIGURE)");
        }
    }
    return fail("attach " + image + ": no free loop device after " + std::to_string(loop_attempts) +
                " attempts");
}

} // namespace

Result<LayerDiskMount> LayerDiskMount::mount(std::string const& image, std::string mountpoint) {
    base::Fd image_fd(::open(image.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!image_fd) {
        return fail_errno("open the VM's disk " + image);
    }
    auto loop = TRY(attach_loop_device(image_fd.get(), image));
    // noinit_itable: the host made the file system with lazy inode tables; zeroing them in the
    // background would allocate the whole table on the host for nothing.
    if (::mount(loop.path.c_str(), mountpoint.c_str(), "ext4", MS_NOSUID | MS_NODEV | MS_NOATIME,
                "noinit_itable") != 0) {
        return fail_errno("mount the VM's disk " + image + " (" + loop.path + ") on " + mountpoint);
    }
    // The mount holds the device now; closing our descriptor lets autoclear free it later.
    return LayerDiskMount(std::move(mountpoint));
}

std::string layer_disk_mountpoint(contract::RunnerConfig const& config) {
    return std::filesystem::path(config.root_upper_dir).parent_path().string();
}

LayerDiskMount::LayerDiskMount(LayerDiskMount&& other) noexcept
    : m_mountpoint(std::exchange(other.m_mountpoint, std::string())) {}

LayerDiskMount::~LayerDiskMount() {
    if (!m_mountpoint.empty() && ::umount2(m_mountpoint.c_str(), MNT_DETACH) != 0) {
        std::fprintf(stderr, "microvm-runner: unmount the VM's disk at %s: %s\n",
                     m_mountpoint.c_str(), ::strerror(errno));
    }
}

} // namespace microvm::runner
