#include "host/rootfs/view.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>
#include <system_error>

#include "host/rootfs/copy_tree.hpp"
#include "host/rootfs/overlay_probe.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm::rootfs {
namespace {

constexpr char copy_dir_name[] = "copy";
constexpr char partial_copy_name[] = "copy.partial";

bool exists_no_follow(std::filesystem::path const& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

Result<void> require_directory(std::filesystem::path const& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return fail_errno("lstat " + path.string());
    }
    if (!S_ISDIR(st.st_mode)) {
        return fail(path.string() + " exists and is not a directory");
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
    return require_directory(path);
}

Result<RootfsView> overlay_view(std::filesystem::path const& source, struct stat const& source_st,
                                std::filesystem::path const& base) {
    RootfsView view{.source = source, .upper_dir = base / "upper", .work_dir = base / "work"};
    bool const fresh_upper = !exists_no_follow(view.upper_dir);
    TRY(make_directory(view.upper_dir, source_st.st_mode & 07777));
    if (fresh_upper && ::chown(view.upper_dir.c_str(), source_st.st_uid, source_st.st_gid) != 0 &&
        errno != EPERM) {
        return fail_errno("chown " + view.upper_dir.string());
    }
    TRY(make_directory(view.work_dir, 0700));
    return view;
}

Result<RootfsView> copy_view(std::filesystem::path const& source,
                             std::filesystem::path const& base) {
    auto const copy = base / copy_dir_name;
    if (!exists_no_follow(copy)) {
        // Copied under a temporary name and renamed, so a copy interrupted half way is never
        // taken for a complete one.
        auto const partial = base / partial_copy_name;
        std::error_code ec;
        std::filesystem::remove_all(partial, ec);
        if (auto copied = copy_tree(source, partial); !copied) {
            std::filesystem::remove_all(partial, ec);
            return std::unexpected(std::move(copied.error()));
        }
        if (::rename(partial.c_str(), copy.c_str()) != 0) {
            return fail_errno("rename " + partial.string() + " to " + copy.string());
        }
    }
    TRY(require_directory(copy));
    return RootfsView{.source = copy, .upper_dir = {}, .work_dir = {}};
}

bool is_empty_directory(std::filesystem::path const& path) {
    std::error_code ec;
    return std::filesystem::is_empty(path, ec) && !ec;
}

// Overlay if it mounts, else a copy; a VM whose writes are already in an upper directory
// stays on the overlay (a copy would silently drop them).
Result<RootfsView> automatic_view(std::filesystem::path const& source, struct stat const& source_st,
                                  std::filesystem::path const& base) {
    if (exists_no_follow(base / copy_dir_name)) {
        return copy_view(source, base);
    }
    auto view = TRY(overlay_view(source, source_st, base));
    auto probe = probe_overlay(view, base);
    if (probe) {
        return view;
    }
    if (!is_empty_directory(view.upper_dir)) {
        return std::unexpected(std::move(probe.error())
                                   .context("the VM's writes are in " + view.upper_dir.string() +
                                            " but its overlay cannot be mounted"));
    }
    spdlog::warn("rootfs view: {}; giving the VM a private copy of {} instead",
                 probe.error().text(), source.string());
    std::error_code ec;
    std::filesystem::remove_all(view.upper_dir, ec);
    std::filesystem::remove_all(view.work_dir, ec);
    return copy_view(source, base);
}

} // namespace

Result<RootfsView> create_view(std::filesystem::path const& source,
                               std::filesystem::path const& vm_dir, ViewStrategy strategy) {
    std::error_code ec;
    auto const absolute_source = std::filesystem::absolute(source, ec);
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
    auto const base = std::filesystem::absolute(vm_dir, ec) / state::VmDir::rootfs_dir_name;
    if (ec) {
        return fail("rootfs view: " + vm_dir.string() + ": " + ec.message());
    }
    // Only root should reach the view: it holds whatever the guest wrote, setuid binaries
    // included, with the guest's owners.
    TRY_CTX(make_directory(base, 0700), "rootfs view");
    switch (strategy) {
    case ViewStrategy::overlay:
        return TRY_CTX(overlay_view(absolute_source, source_st, base), "rootfs view");
    case ViewStrategy::copy:
        return TRY_CTX(copy_view(absolute_source, base), "rootfs view");
    case ViewStrategy::automatic:
        break;
    }
    return TRY_CTX(automatic_view(absolute_source, source_st, base), "rootfs view");
}

} // namespace microvm::rootfs
