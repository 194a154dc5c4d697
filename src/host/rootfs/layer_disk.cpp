#include "host/rootfs/layer_disk.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "base/child.hpp"
#include "base/command.hpp"
#include "base/executable.hpp"
#include "base/fd.hpp"
#include "base/sys.hpp"

namespace microvm::rootfs {
namespace {

// mkfs.ext4 lives in sbin, which a user's PATH often lacks.
constexpr char mkfs_search_path[] = "/usr/sbin:/sbin:/usr/bin:/bin";
// What mkfs.ext4 may say before we stop listening; it says nothing with -q unless it fails.
constexpr std::size_t max_mkfs_output = 64 * 1024;

Result<void> format(std::filesystem::path const& image, std::filesystem::path const& layer_dir) {
    auto const mkfs = TRY(base::find_executable("mkfs.ext4", mkfs_search_path));
    auto err = TRY(base::sys::make_pipe());
    // -m 0: no blocks reserved for root, the guest's root is the only user. Lazy tables (never
    // initialised: the runner mounts with noinit_itable) and no discard keep the image sparse.
    // -d copies the layer's directories, their owners, modes and what is in them.
    auto child = TRY_CTX(base::spawn(base::Command{
                             .path = mkfs,
                             .argv = {"mkfs.ext4", "-q", "-F", "-m", "0", "-E",
                                      "lazy_itable_init=1,lazy_journal_init=1,nodiscard", "-d",
                                      layer_dir.string(), image.string()},
                             .fds = {{err.write.get(), 2}},
                         }),
                         "run " + mkfs);
    err.write.reset();
    auto const said = base::sys::read_all(err.read.get(), max_mkfs_output, "mkfs.ext4's output");
    auto const status = TRY(child.wait());
    if (!status.success()) {
        std::string message = said ? *said : std::string();
        while (!message.empty() && message.back() == '\n') {
            message.pop_back();
        }
        return fail("mkfs.ext4: " + status.describe() + (message.empty() ? "" : ": " + message));
    }
    return {};
}

Result<void> make_sparse_file(std::filesystem::path const& image, std::uint64_t size) {
    base::Fd fd(::open(image.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        return fail_errno("create " + image.string());
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        return fail_errno("size " + image.string());
    }
    return {};
}

// Empties `dir` without following anything in it: what was there is in the image now.
Result<void> empty_directory(std::filesystem::path const& dir) {
    for (auto const& name : TRY(base::sys::list_directory(dir))) {
        std::error_code ec;
        std::filesystem::remove_all(dir / name, ec);
        if (ec) {
            return fail("remove " + (dir / name).string() + ": " + ec.message());
        }
    }
    return {};
}

} // namespace

std::optional<std::string> layer_disk_unavailable(RootfsView const& view) {
    if (view.upper_dir.empty()) {
        return "the VM's root is a private copy (overlayfs cannot be mounted here), which has no "
               "layer to put on a disk";
    }
    base::Fd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
    if (!control) {
        return std::string("the runner cannot mount it: /dev/loop-control: ") +
               std::strerror(errno);
    }
    return std::nullopt;
}

Result<void> move_layer_to_disk(RootfsView const& view, std::filesystem::path const& image,
                                std::uint64_t size) {
    if (auto why = layer_disk_unavailable(view)) {
        return fail(*why);
    }
    auto const layer_dir = view.upper_dir.parent_path();
    auto made = [&]() -> Result<void> {
        TRY(make_sparse_file(image, size));
        TRY(format(image, layer_dir));
        TRY(empty_directory(view.upper_dir));
        TRY(empty_directory(view.work_dir));
        return {};
    }();
    if (!made) {
        ::unlink(image.c_str());
        return std::unexpected(
            std::move(made.error()).context("make the VM's disk " + image.string()));
    }
    return {};
}

std::optional<std::uint64_t> disk_usage(std::filesystem::path const& image) {
    struct stat st {};
    if (::lstat(image.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

} // namespace microvm::rootfs
