#include "host/rootfs/copy_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.hpp"

namespace microvm::rootfs {
namespace {

struct Copier {
    // Source (device, inode) of multiply linked files -> their first copy, relative to dest.
    std::map<std::pair<dev_t, ino_t>, std::string> links;
    int dest_root = -1;

    // Owner, then mode (chown clears set-id bits), then times, on an entry that is not a symlink.
    static Result<void> finish(int fd, struct stat const& st, std::string const& name) {
        if (::fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) {
            return fail_errno("fchown " + name);
        }
        if (::fchmod(fd, st.st_mode & 07777) != 0) {
            return fail_errno("fchmod " + name);
        }
        timespec const times[2] = {st.st_atim, st.st_mtim};
        if (::futimens(fd, times) != 0) {
            return fail_errno("futimens " + name);
        }
        return {};
    }

    static Result<void> copy_bytes(int from, int to, std::string const& name) {
        for (;;) {
            ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
            if (n > 0) {
                continue;
            }
            if (n == 0) {
                return {};
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
                return fail_errno("copy_file_range " + name);
            }
            break; // not supported between these file systems: copy by hand
        }
        char buffer[1 << 16];
        for (;;) {
            ssize_t n = ::read(from, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                return fail_errno("read " + name);
            }
            if (n == 0) {
                return {};
            }
            for (ssize_t done = 0; done < n;) {
                ssize_t w = ::write(to, buffer + done, static_cast<std::size_t>(n - done));
                if (w < 0 && errno == EINTR) {
                    continue;
                }
                if (w < 0) {
                    return fail_errno("write " + name);
                }
                done += w;
            }
        }
    }

    Result<void> file(int src_dir, int dst_dir, char const* leaf, struct stat const& st,
                      std::string const& name) {
        if (st.st_nlink > 1) {
            auto [it, first] = links.try_emplace({st.st_dev, st.st_ino}, name);
            if (!first) {
                if (::linkat(dest_root, it->second.c_str(), dst_dir, leaf, 0) != 0) {
                    return fail_errno("link " + name);
                }
                return {};
            }
        }
        base::Fd from(::openat(src_dir, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!from) {
            return fail_errno("open " + name);
        }
        base::Fd to(
            ::openat(dst_dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!to) {
            return fail_errno("create " + name);
        }
        TRY(copy_bytes(from.get(), to.get(), name));
        return finish(to.get(), st, name);
    }

    static Result<void> symlink(int src_dir, int dst_dir, char const* leaf, struct stat const& st,
                                std::string const& name) {
        std::vector<char> target(static_cast<std::size_t>(st.st_size) + 2);
        ssize_t n = ::readlinkat(src_dir, leaf, target.data(), target.size());
        if (n < 0 || static_cast<std::size_t>(n) >= target.size()) {
            return n < 0 ? fail_errno("readlink " + name) : fail(name + ": symlink changed");
        }
        target[static_cast<std::size_t>(n)] = '\0';
        if (::symlinkat(target.data(), dst_dir, leaf) != 0) {
            return fail_errno("symlink " + name);
        }
        if (::fchownat(dst_dir, leaf, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 &&
            errno != EPERM) {
            return fail_errno("lchown " + name);
        }
        timespec const times[2] = {st.st_atim, st.st_mtim};
        if (::utimensat(dst_dir, leaf, times, AT_SYMLINK_NOFOLLOW) != 0) {
            return fail_errno("utimensat " + name);
        }
        return {};
    }

    static Result<void> fifo(int dst_dir, char const* leaf, struct stat const& st,
                             std::string const& name) {
        if (::mkfifoat(dst_dir, leaf, 0600) != 0) {
            return fail_errno("mkfifo " + name);
        }
        base::Fd fd(::openat(dst_dir, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            return fail_errno("open " + name);
        }
        // fchown/fchmod do not work on O_PATH descriptors; the /proc path of the fd does.
        std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
        if (::chown(proc.c_str(), st.st_uid, st.st_gid) != 0 && errno != EPERM) {
            return fail_errno("chown " + name);
        }
        if (::chmod(proc.c_str(), st.st_mode & 07777) != 0) {
            return fail_errno("chmod " + name);
        }
        return {};
    }

    // Copies the contents of the open directory `src` into the open directory `dst`.
    Result<void> directory(int src, int dst, std::string const& prefix, int depth) {
        if (depth > max_copy_depth) {
            return fail(prefix + ": nested deeper than " + std::to_string(max_copy_depth));
        }
        int iter_fd = ::dup(src);
        if (iter_fd < 0) {
            return fail_errno("dup " + prefix);
        }
        DIR* dir = ::fdopendir(iter_fd);
        if (dir == nullptr) {
            ::close(iter_fd);
            return fail_errno("opendir " + prefix);
        }
        std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
        while (dirent* entry = ::readdir(dir)) {
            std::string leaf = entry->d_name;
            if (leaf == "." || leaf == "..") {
                continue;
            }
            std::string name = prefix.empty() ? leaf : prefix + "/" + leaf;
            struct stat st {};
            if (::fstatat(src, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                return fail_errno("stat " + name);
            }
            if (S_ISDIR(st.st_mode)) {
                TRY(subdirectory(src, dst, leaf.c_str(), st, name, depth));
            } else if (S_ISREG(st.st_mode)) {
                TRY(file(src, dst, leaf.c_str(), st, name));
            } else if (S_ISLNK(st.st_mode)) {
                TRY(symlink(src, dst, leaf.c_str(), st, name));
            } else if (S_ISFIFO(st.st_mode)) {
                TRY(fifo(dst, leaf.c_str(), st, name));
            }
            // Sockets and device nodes are skipped: see the header.
        }
        return {};
    }

    Result<void> subdirectory(int src, int dst, char const* leaf, struct stat const& st,
                              std::string const& name, int depth) {
        base::Fd from(::openat(src, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!from) {
            return fail_errno("open " + name);
        }
        // Private until its contents are in place, then the source's mode.
        if (::mkdirat(dst, leaf, 0700) != 0) {
            return fail_errno("mkdir " + name);
        }
        base::Fd to(::openat(dst, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!to) {
            return fail_errno("open " + name);
        }
        TRY(directory(from.get(), to.get(), name, depth + 1));
        return finish(to.get(), st, name);
    }
};

} // namespace

Result<void> copy_tree(std::filesystem::path const& source, std::filesystem::path const& dest) {
    std::string const what = "copy " + source.string() + " to " + dest.string();
    base::Fd from(::open(source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!from) {
        return std::unexpected(Error::from_errno("open " + source.string()).context(what));
    }
    struct stat st {};
    if (::fstat(from.get(), &st) != 0) {
        return std::unexpected(Error::from_errno("stat " + source.string()).context(what));
    }
    if (::mkdir(dest.c_str(), 0700) != 0) {
        return std::unexpected(Error::from_errno("mkdir " + dest.string()).context(what));
    }
    base::Fd to(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!to) {
        return std::unexpected(Error::from_errno("open " + dest.string()).context(what));
    }
    Copier copier;
    copier.dest_root = to.get();
    TRY_CTX(copier.directory(from.get(), to.get(), "", 0), what);
    TRY_CTX(Copier::finish(to.get(), st, "."), what);
    return {};
}

} // namespace microvm::rootfs
