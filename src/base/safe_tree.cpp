#include "base/safe_tree.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>
#include <vector>

#include "base/path_parts.hpp"
#include "base/sys.hpp"
#include "base/sys_tree.hpp"

namespace microvm::base {

namespace {

constexpr std::uint64_t in_root = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
constexpr std::uint64_t strict = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// Normalized components; ".." and NUL are refused rather than interpreted, since the caller
// (an unpacker, a writer of host files) never has a reason to use them.
Result<std::vector<std::string>> components(std::string_view path) {
    if (path.find('\0') != std::string_view::npos) {
        return fail_errno("path \"" + std::string(path) + "\" contains a NUL byte", EINVAL);
    }
    auto parts = path_components(path);
    for (auto const& part : parts) {
        if (part == "..") {
            return fail_errno("path \"" + std::string(path) + "\" contains \"..\"", EINVAL);
        }
    }
    return parts;
}

std::string join(std::vector<std::string> const& parts, std::size_t count) {
    return join_components(parts, count);
}

// Gives the owner rwx on a directory that denies it, so it can be emptied and removed
// without root. The caller has just seen `name` as a directory (not a symlink) in a tree
// nobody else changes, so fchmodat's following of a symlink leaf cannot come into play.
Result<void> make_accessible(int dirfd, std::string const& name, struct stat const& st) {
    if ((st.st_mode & S_IRWXU) == S_IRWXU) {
        return {};
    }
    if (::fchmodat(dirfd, name.c_str(), (st.st_mode & 07777) | S_IRWXU, 0) != 0) {
        return fail_errno("fchmodat " + name);
    }
    return {};
}

// Unlinks every non-directory in `dir` and returns the names of the subdirectories.
Result<std::vector<std::string>> remove_files(int dir, std::string const& where) {
    std::vector<std::string> subdirs;
    auto names = TRY(sys::list_directory(dir, where));
    for (auto& name : names) {
        auto st = sys::lstatat(dir, name);
        if (!st) {
            if (st.error().errno_value() == ENOENT) {
                continue;
            }
            return std::unexpected(std::move(st.error()).context(where));
        }
        if (S_ISDIR(st->st_mode)) {
            subdirs.push_back(std::move(name));
        } else if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
            return fail_errno("unlinkat " + where + "/" + name);
        }
    }
    return subdirs;
}

// Empties the directory open as `top` (readable). Holds one descriptor at a time: the walk
// keeps names, not descriptors, for the levels above and climbs back through "..".
Result<void> empty_open_directory(Fd top, std::string const& what) {
    struct Level {
        std::string name;
        std::vector<std::string> subdirs;
    };
    std::vector<Level> levels;
    levels.push_back({".", TRY(remove_files(top.get(), what))});
    Fd current = std::move(top);
    std::string where = what;
    while (true) {
        Level& level = levels.back();
        if (!level.subdirs.empty()) {
            std::string name = std::move(level.subdirs.back());
            level.subdirs.pop_back();
            auto const st = TRY_CTX(sys::lstatat(current.get(), name), "remove " + where);
            TRY_CTX(make_accessible(current.get(), name, st), "remove " + where);
            Fd next = TRY_CTX(sys::openat2(current.get(), name, O_RDONLY | O_DIRECTORY, 0, strict),
                              "remove " + where);
            where += "/" + name;
            auto subdirs = TRY(remove_files(next.get(), where));
            levels.push_back({std::move(name), std::move(subdirs)});
            current = std::move(next);
            continue;
        }
        if (levels.size() == 1) {
            return {};
        }
        // ".." cannot be resolved beneath `current`, and need not be: in a tree nobody else
        // renames, it is the directory this walk came from.
        Fd parent = TRY_CTX(sys::openat2(current.get(), "..", O_RDONLY | O_DIRECTORY, 0, 0),
                            "remove " + where);
        if (::unlinkat(parent.get(), level.name.c_str(), AT_REMOVEDIR) != 0) {
            return fail_errno("rmdir " + where);
        }
        where.resize(where.size() - level.name.size() - 1);
        levels.pop_back();
        current = std::move(parent);
    }
}

} // namespace

namespace {

// The kernel's own bound on nested symlinks (MAXSYMLINKS), for the links this follows by hand.
constexpr int max_link_depth = 40;

Result<Fd> make_dirs(Fd const& root, std::vector<std::string> const& parts, mode_t mode, int depth);

// `parent` (a path below the root that crosses no symlink) holds the symlink `name` whose
// target does not exist: creates that target as a directory, as containerd does, so that a
// layer's "lib -> usr/lib" followed by "lib/x" works before usr/lib exists. The target is
// turned into a path below the root lexically ("/" is the root, ".." stops there), which is
// exact because nothing on `parent` is a symlink; symlinks inside the target itself are
// resolved by make_dirs() again. Any mistake could only create the wrong directory INSIDE the
// root, since every lookup still goes through RESOLVE_IN_ROOT.
Result<void> make_link_target(Fd const& root, std::vector<std::string> const& parent, int parent_fd,
                              std::string const& name, mode_t mode, int depth) {
    char buf[4096];
    ssize_t const n = ::readlinkat(parent_fd, name.c_str(), buf, sizeof buf);
    if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) {
        return fail_errno("readlinkat " + name, n < 0 ? errno : ENAMETOOLONG);
    }
    std::string_view const target(buf, static_cast<std::size_t>(n));
    std::vector<std::string> path = target.starts_with('/') ? std::vector<std::string>{} : parent;
    std::size_t start = 0;
    while (start <= target.size()) {
        std::size_t end = target.find('/', start);
        if (end == std::string_view::npos) {
            end = target.size();
        }
        std::string_view const part = target.substr(start, end - start);
        if (part == "..") {
            if (!path.empty()) {
                path.pop_back();
            }
        } else if (!part.empty() && part != ".") {
            path.emplace_back(part);
        }
        start = end + 1;
    }
    TRY(make_dirs(root, path, mode, depth + 1));
    return {};
}

Result<Fd> make_dirs(Fd const& root, std::vector<std::string> const& parts, mode_t mode,
                     int depth) {
    std::string const op = "mkdirs " + join(parts, parts.size());
    if (depth > max_link_depth) {
        return fail_errno(op + ": too many levels of symlinks", ELOOP);
    }
    Fd dir = TRY_CTX(sys::openat2(root.get(), ".", O_PATH | O_DIRECTORY, 0, in_root), op);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string const prefix = join(parts, i + 1);
        // The whole prefix is resolved from the root each time, so that a symlink in it is
        // resolved against the root (as the guest will), not against its parent directory.
        auto next = sys::openat2(root.get(), prefix, O_PATH | O_DIRECTORY, 0, in_root);
        if (!next && next.error().errno_value() == ENOENT) {
            if (::mkdirat(dir.get(), parts[i].c_str(), mode) == 0) {
                // mkdirat filters the mode by the umask; the caller asked for exactly `mode`.
                if (::fchmodat(dir.get(), parts[i].c_str(), mode, 0) != 0) {
                    return fail_errno(op + ": fchmodat " + prefix);
                }
                next = sys::openat2(dir.get(), parts[i], O_PATH | O_DIRECTORY, 0, strict);
            } else if (errno != EEXIST) {
                return fail_errno(op + ": mkdirat " + prefix);
            } else {
                // A dangling symlink. Its target is created only when the link's own path
                // is free of symlinks, so that its meaning is unambiguous.
                std::vector<std::string> const parent(parts.begin(), parts.begin() + i);
                bool const plain_parent =
                    sys::openat2(root.get(), join(parent, i), O_PATH | O_DIRECTORY, 0, strict)
                        .has_value();
                auto const st = sys::lstatat(dir.get(), parts[i]);
                if (!plain_parent || !st || !S_ISLNK(st->st_mode)) {
                    return fail_errno(op + ": " + prefix +
                                          " is a symlink to a directory that does not exist",
                                      EEXIST);
                }
                TRY_CTX(make_link_target(root, parent, dir.get(), parts[i], mode, depth),
                        op + ": create the target of the symlink " + prefix);
                next = sys::openat2(root.get(), prefix, O_PATH | O_DIRECTORY, 0, in_root);
            }
        }
        if (!next) {
            int const error = next.error().errno_value();
            if (error == ENOTDIR) {
                return fail_errno(op + ": " + prefix + " exists and is not a directory", error);
            }
            return std::unexpected(std::move(next.error()).context(op));
        }
        dir = std::move(*next);
    }
    return dir;
}

} // namespace

Result<Fd> mkdirs_resolving_in_root(Fd const& root, std::string_view relative_dir, mode_t mode) {
    auto const parts = TRY(components(relative_dir));
    return make_dirs(root, parts, mode, 0);
}

Result<SplitPath> split_in_root(std::string_view relative) {
    auto const parts = TRY(components(relative));
    if (parts.empty()) {
        return SplitPath{".", ""};
    }
    return SplitPath{join(parts, parts.size() - 1), parts.back()};
}

Result<void> remove_at(int dir, std::string const& name) {
    auto st = sys::lstatat(dir, name);
    if (!st) {
        if (st.error().errno_value() == ENOENT) {
            return {};
        }
        return std::unexpected(std::move(st.error()));
    }
    if (!S_ISDIR(st->st_mode)) {
        if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
            return fail_errno("unlinkat " + name);
        }
        return {};
    }
    TRY(make_accessible(dir, name, *st));
    Fd sub = TRY(sys::openat2(dir, name, O_RDONLY | O_DIRECTORY, 0, strict));
    TRY(empty_open_directory(std::move(sub), name));
    if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0) {
        return fail_errno("rmdir " + name);
    }
    return {};
}

Result<void> empty_directory(int dir, std::string_view what) {
    Fd readable = TRY(sys::openat2(dir, ".", O_RDONLY | O_DIRECTORY, 0, strict));
    return empty_open_directory(std::move(readable), std::string(what));
}

Result<void> remove_tree(std::filesystem::path const& path) {
    std::filesystem::path normal = path.lexically_normal();
    if (normal.filename().empty()) {
        normal = normal.parent_path();
    }
    std::filesystem::path parent = normal.parent_path();
    Fd parent_fd(::open(parent.empty() ? "." : parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!parent_fd) {
        if (errno == ENOENT) {
            return {};
        }
        return fail_errno("remove " + path.string() + ": open " + parent.string());
    }
    TRY_CTX(remove_at(parent_fd.get(), normal.filename().string()), "remove " + path.string());
    return {};
}

} // namespace microvm::base
