#include "host/rootfs/view.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <string_view>
#include <system_error>

namespace microvm::rootfs {
namespace {

// overlayfs separates options with ',' and lower layers with ':', and '\\' escapes them; a
// path containing one would be split into different paths than the ones we checked.
Result<void> check_mountable(std::filesystem::path const& path) {
    if (path.native().find_first_of(",:\\") != std::string::npos) {
        return fail("path cannot be used in an overlay mount (it contains ',', ':' or '\\'): " +
                    path.string());
    }
    return {};
}

// Creates `path` with `mode` unless it exists; an existing one must be a real directory
// (lstat: a symlink planted there would redirect the VM's writes).
Result<void> make_directory(std::filesystem::path const& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) == 0) {
        // mkdir's mode is filtered by the umask; these modes are part of the contract.
        if (::chmod(path.c_str(), mode) != 0) {
            return fail_errno("chmod " + path.string());
        }
        return {};
    }
    if (errno != EEXIST) {
        return fail_errno("mkdir " + path.string());
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return fail_errno("lstat " + path.string());
    }
    if (!S_ISDIR(st.st_mode)) {
        return fail(path.string() + " exists and is not a directory");
    }
    return {};
}

} // namespace

Result<hypervisor::RootfsView> create_view(std::filesystem::path const& source,
                                           std::filesystem::path const& vm_dir) {
    std::error_code ec;
    auto absolute_source = std::filesystem::absolute(source, ec);
    if (ec) {
        return fail("rootfs view: " + source.string() + ": " + ec.message());
    }
    struct stat source_st {};
    if (::stat(absolute_source.c_str(), &source_st) != 0) {
        return std::unexpected(
            Error::from_errno("stat " + absolute_source.string()).context("rootfs view"));
    }
    if (!S_ISDIR(source_st.st_mode)) {
        return fail("rootfs view: source is not a directory: " + absolute_source.string());
    }
    auto base = std::filesystem::absolute(vm_dir, ec) / "rootfs";
    if (ec) {
        return fail("rootfs view: " + vm_dir.string() + ": " + ec.message());
    }
    hypervisor::RootfsView view{
        .source = absolute_source, .upper_dir = base / "upper", .work_dir = base / "work"};
    for (auto const* path : {&view.source, &view.upper_dir, &view.work_dir}) {
        TRY_CTX(check_mountable(*path), "rootfs view");
    }

    // Only root should reach the upper directory: it holds whatever the guest wrote, setuid
    // binaries included, with the guest's owners.
    TRY_CTX(make_directory(base, 0700), "rootfs view");
    bool fresh_upper = !std::filesystem::exists(view.upper_dir, ec);
    TRY_CTX(make_directory(view.upper_dir, source_st.st_mode & 07777), "rootfs view");
    if (fresh_upper && ::chown(view.upper_dir.c_str(), source_st.st_uid, source_st.st_gid) != 0 &&
        errno != EPERM) {
        return std::unexpected(
            Error::from_errno("chown " + view.upper_dir.string()).context("rootfs view"));
    }
    TRY_CTX(make_directory(view.work_dir, 0700), "rootfs view");
    return view;
}

} // namespace microvm::rootfs
