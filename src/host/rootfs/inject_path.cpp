#include "host/rootfs/inject_path.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

#include "base/path_parts.hpp"
#include "base/safe_file.hpp"
#include "base/sys.hpp"

namespace microvm::rootfs {
namespace {

// Linux's own bound on symlinks followed in one lookup (MAXSYMLINKS).
constexpr int max_symlink_hops = 40;

std::string joined(std::vector<std::string> const& parts, std::size_t count) {
    return base::join_components(parts, count);
}

std::string shown(std::vector<std::string> const& parts, std::size_t count) {
    return "/" + (count == 0 ? std::string() : joined(parts, count));
}

bool is_whiteout(struct stat const& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_missing_directory(int error) {
    return error == ENOENT || error == ENOTDIR || error == ELOOP;
}

// The directory `dir` of one layer, only if every component of it is a real directory there.
Result<std::optional<base::Fd>> open_dir_in(base::Fd const& root, std::string const& dir,
                                            int flags) {
    auto fd = base::open_in_root(root, dir, flags | O_DIRECTORY);
    if (!fd) {
        if (is_missing_directory(fd.error().errno_value())) {
            return std::optional<base::Fd>();
        }
        return std::unexpected(std::move(fd.error()));
    }
    return std::optional<base::Fd>(std::move(*fd));
}

bool is_opaque(int dirfd) {
    // overlayfs marks a directory that hides the lower one's contents with this xattr: trusted.*
    // when mounted by root, user.* with the userxattr option.
    for (char const* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
        char value = 0;
        if (::fgetxattr(dirfd, name, &value, 1) == 1 && value == 'y') {
            return true;
        }
    }
    return false;
}

// Whether the image layer shows through at the canonical directory parts[0..count): no
// directory of the writable layer on the way hides it (opaque, or replaced by a non-directory).
Result<bool> image_visible(Layers const& layers, std::vector<std::string> const& parts,
                           std::size_t count) {
    if (!layers.image) {
        return false;
    }
    for (std::size_t i = 1; i <= count; ++i) {
        auto dir = base::open_in_root(layers.writable, joined(parts, i), O_RDONLY | O_DIRECTORY);
        if (!dir) {
            int const error = dir.error().errno_value();
            if (error == ENOENT) {
                return true; // the writable layer has nothing here, nor below
            }
            if (error == ENOTDIR || error == ELOOP) {
                return false;
            }
            return std::unexpected(std::move(dir.error()));
        }
        if (is_opaque(dir->get())) {
            return false;
        }
    }
    return true;
}

enum class Kind { absent, directory, symlink, other };

struct Entry {
    Kind kind = Kind::absent;
    bool in_writable = false;
    std::string target; // symlinks
    std::string whiteout_note;
};

// lstat of `name` in the canonical directory parts[0..count) of one layer.
Result<std::optional<Entry>> lookup_in(base::Fd const& root, std::vector<std::string> const& parts,
                                       std::size_t count, std::string const& name, bool writable) {
    auto dir = TRY(open_dir_in(root, joined(parts, count), O_PATH));
    if (!dir) {
        return std::optional<Entry>();
    }
    auto st = base::sys::lstatat(dir->get(), name);
    if (!st) {
        if (st.error().errno_value() == ENOENT) {
            return std::optional<Entry>();
        }
        return std::unexpected(std::move(st.error()));
    }
    Entry entry{.in_writable = writable};
    if (writable && is_whiteout(*st)) {
        entry.kind = Kind::absent; // deleted in the VM's layer: the image's entry is hidden
    } else if (S_ISDIR(st->st_mode)) {
        entry.kind = Kind::directory;
    } else if (S_ISLNK(st->st_mode)) {
        entry.kind = Kind::symlink;
        char buf[PATH_MAX];
        ssize_t const length = ::readlinkat(dir->get(), name.c_str(), buf, sizeof buf);
        if (length < 0) {
            return fail_errno("readlinkat " + shown(parts, count) + "/" + name);
        }
        if (static_cast<std::size_t>(length) >= sizeof buf) {
            return fail_errno("readlinkat " + shown(parts, count) + "/" + name, ENAMETOOLONG);
        }
        entry.target.assign(buf, static_cast<std::size_t>(length));
    } else {
        entry.kind = Kind::other;
    }
    return std::optional<Entry>(std::move(entry));
}

// What the guest will find at parts[0..count)/name: the writable layer's entry, else the
// image's where it shows through.
Result<Entry> lookup(Layers const& layers, std::vector<std::string> const& parts, std::size_t count,
                     std::string const& name) {
    if (auto upper = TRY(lookup_in(layers.writable, parts, count, name, true))) {
        return std::move(*upper);
    }
    if (layers.image && TRY(image_visible(layers, parts, count))) {
        if (auto lower = TRY(lookup_in(*layers.image, parts, count, name, false))) {
            return std::move(*lower);
        }
    }
    return Entry{};
}

enum class OwnerFailure { fatal, tolerate_eperm };

Result<void> set_attributes(int fd, Attributes const& attributes, std::string const& what,
                            OwnerFailure owner_failure) {
    if (attributes.uid || attributes.gid) {
        auto const st = TRY(base::sys::fstat(fd, what));
        uid_t const uid = attributes.uid.value_or(st.st_uid);
        gid_t const gid = attributes.gid.value_or(st.st_gid);
        if ((uid != st.st_uid || gid != st.st_gid) && ::fchown(fd, uid, gid) != 0 &&
            !(errno == EPERM && owner_failure == OwnerFailure::tolerate_eperm)) {
            return fail_errno("fchown " + what);
        }
    }
    TRY(base::sys::fchmod(fd, attributes.mode & 07777, what));
    return {};
}

// The image's own directory at dirs[0..count), as Attributes, when it has one that shows.
Result<std::optional<Attributes>> image_dir_attributes(Layers const& layers,
                                                       std::vector<std::string> const& dirs,
                                                       std::size_t count) {
    if (!layers.image || !TRY(image_visible(layers, dirs, count - 1))) {
        return std::optional<Attributes>();
    }
    auto dir = TRY(open_dir_in(*layers.image, joined(dirs, count), O_PATH));
    if (!dir) {
        return std::optional<Attributes>();
    }
    auto const st = TRY(base::sys::fstat(dir->get(), joined(dirs, count)));
    return std::optional<Attributes>(
        Attributes{.mode = st.st_mode & 07777, .uid = st.st_uid, .gid = st.st_gid});
}

} // namespace

Result<Layers> open_layers(RootfsView const& view) {
    if (view.upper_dir.empty()) {
        return Layers{.writable = TRY(base::open_root(view.source)), .image = std::nullopt};
    }
    return Layers{.writable = TRY(base::open_root(view.upper_dir)),
                  .image = TRY(base::open_root(view.source))};
}

Result<std::vector<std::string>> resolve_dir(Layers const& layers, std::string_view guest_dir,
                                             ImageLinks links) {
    std::string const op = "resolve " + std::string(guest_dir) + " in the VM's root";
    if (guest_dir.find('\0') != std::string_view::npos) {
        return fail_errno(op + ": the path contains a NUL byte", EINVAL);
    }
    auto const given = base::path_components(guest_dir);
    std::deque<std::string> pending(given.begin(), given.end());
    std::vector<std::string> resolved;
    int hops = 0;
    while (!pending.empty()) {
        std::string const name = std::move(pending.front());
        pending.pop_front();
        if (name == "..") {
            if (!resolved.empty()) {
                resolved.pop_back(); // ".." of the root is the root, as in the guest
            }
            continue;
        }
        auto const entry = TRY_CTX(lookup(layers, resolved, resolved.size(), name), op);
        std::string const here =
            shown(resolved, resolved.size()) + (resolved.empty() ? "" : "/") + name;
        switch (entry.kind) {
        case Kind::absent:
        case Kind::directory:
            resolved.push_back(name);
            break;
        case Kind::other:
            return fail_errno(op + ": " + here + " is not a directory", ENOTDIR);
        case Kind::symlink:
            if (links == ImageLinks::replace) {
                if (entry.in_writable) {
                    return fail_errno(op + ": " + here +
                                          " is a symlink in the VM's writable layer, and it is "
                                          "not followed here",
                                      ELOOP);
                }
                resolved.push_back(name); // a directory of the writable layer will hide it
                break;
            }
            if (++hops > max_symlink_hops) {
                return fail_errno(op + ": too many levels of symlinks", ELOOP);
            }
            if (entry.target.empty()) {
                return fail_errno(op + ": " + here + " is an empty symlink", ENOENT);
            }
            if (entry.target.front() == '/') {
                resolved.clear(); // an absolute target starts again at the VM's root
            }
            auto const target = base::path_components(entry.target);
            pending.insert(pending.begin(), target.begin(), target.end());
            break;
        }
    }
    return resolved;
}

Result<base::Fd> make_dirs(Layers const& layers, std::vector<std::string> const& dirs,
                           DirPlan const& plan, bool replace_last) {
    base::Fd dir = TRY(base::open_in_root(layers.writable, ".", O_RDONLY | O_DIRECTORY));
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        std::string const& name = dirs[i];
        std::string const done = joined(dirs, i + 1);
        std::string const what = "/" + done;
        bool const last = i + 1 == dirs.size();
        bool created = false;
        auto st = base::sys::lstatat(dir.get(), name);
        if (st && !S_ISDIR(st->st_mode)) {
            if (!(last && replace_last)) {
                return fail_errno(what + (is_whiteout(*st)
                                              ? " was deleted in the VM's writable layer"
                                              : " is not a directory in the VM's writable layer"),
                                  ENOTDIR);
            }
            TRY(base::sys::unlinkat(dir.get(), name, 0));
            st = std::unexpected(Error::from_errno("lstat", ENOENT));
        }
        if (!st) {
            if (st.error().errno_value() != ENOENT) {
                return std::unexpected(std::move(st.error()));
            }
            // 0700 until its attributes are set, so nothing sees it half made.
            if (::mkdirat(dir.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
                return fail_errno("mkdirat " + what);
            }
            created = true;
        }
        auto next = base::sys::openat2(dir.get(), name, O_RDONLY | O_DIRECTORY, 0,
                                       RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (!next) {
            return std::unexpected(std::move(next.error()).context("open " + what));
        }
        if (created) {
            if (auto image = TRY(image_dir_attributes(layers, dirs, i + 1))) {
                TRY(set_attributes(next->get(), *image, what, OwnerFailure::tolerate_eperm));
            } else {
                auto const& attributes =
                    last && plan.last_created ? *plan.last_created : plan.created;
                TRY(set_attributes(next->get(), attributes, what, OwnerFailure::fatal));
            }
        }
        if (last && plan.last_always) {
            TRY(set_attributes(next->get(), *plan.last_always, what, OwnerFailure::fatal));
        }
        dir = std::move(*next);
    }
    return dir;
}

Result<void> apply_attributes(int fd, Attributes const& attributes, std::string const& what) {
    return set_attributes(fd, attributes, what, OwnerFailure::fatal);
}

} // namespace microvm::rootfs
