// Hooks: caller code that run() runs at two points of a VM's start.
//
// - Rootfs hooks run after the VM's private writable view of its root exists and before the
//   guest boots. They get a VmRootfs, whose helpers write files into the VM's writable layer
//   (never into the image cache or a --rootfs source, which stay immutable), and the workload
//   the image describes. They run in order, before microvm writes /etc/microvm.json, so that
//   file is always microvm's own. A failing hook stops run() before boot, with the context
//   "rootfs hook \"<name>\"", and nothing of the VM is left.
// - Post-boot hooks run once the VM has started, in order, with the Vm. A failing hook stops
//   the VM (nothing of it keeps running) and run() returns the hook's error with the context
//   "post-boot hook \"<name>\"".
//
// The VmRootfs helpers treat the root as hostile: every path is resolved as the guest will
// see it (the writable layer over the image, symlinks followed inside the root and never out
// of it) and every write goes through openat2(2) with no symlink followed, so nothing a
// hostile image or an earlier run of the guest planted can redirect a write outside the VM's
// layer. Files are replaced atomically (temporary file, fsync, rename).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <microvm/error.hpp>

namespace microvm {

class Vm;

// The process the guest will start, as the image's config and the caller's overrides resolved
// it (the user to numeric ids from the image's own /etc/passwd).
struct ImageWorkload {
    std::vector<std::string> argv;
    std::vector<std::string> env; // "KEY=VALUE"
    std::string cwd;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};

// Owner of an injected file, as numeric ids inside the guest.
struct FileOwner {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};

struct InjectedFile {
    // Absolute path in the guest, e.g. "/etc/motd". Its parent directories are created when
    // missing (0755 root, or with the image's mode and owner where the image has them).
    std::string guest_path;
    std::string content;
    // Exactly this mode (not filtered by the umask); set-id bits are kept.
    std::uint32_t mode = 0644;
    FileOwner owner;
};

// A VM's root before boot: the image (or --rootfs) `source`, read-only, and the VM's
// `writable_dir` over it (an overlay upper directory), or only `source` when the VM boots a
// private copy (then writes go into the copy, which is the VM's own).
class VmRootfs {
public:
    VmRootfs(std::filesystem::path source, std::filesystem::path writable_dir,
             std::optional<ImageWorkload> workload);

    std::filesystem::path const& source() const { return m_source; }
    std::filesystem::path const& writable_dir() const { return m_writable_dir; }
    // The image's workload; std::nullopt for a --rootfs VM (its command comes from RunOptions).
    std::optional<ImageWorkload> const& workload() const { return m_workload; }

    // Writes `file`. Fails, writing nothing outside the VM's layer, when a parent is not a
    // directory, the path leaves through more than 40 symlinks, or the leaf is a directory. A
    // leaf that is a symlink is replaced, never followed.
    Result<void> inject_file(InjectedFile const& file);
    // Copies the host file `host_path` (a regular file of at most 256 MiB) to `guest_path`.
    Result<void> inject_host_file(std::filesystem::path const& host_path,
                                  std::string const& guest_path, std::uint32_t mode = 0755,
                                  FileOwner owner = {});
    // Writes `env` ("KEY=VALUE" entries) as an environment file, one entry per line, the
    // format of `docker run --env-file` and systemd's EnvironmentFile. Mode 0600 by default,
    // since such files often hold secrets. Fails on an entry without "=", with an empty key, or
    // with a newline or NUL byte (it could not be read back as one entry).
    Result<void> inject_env_file(std::string const& guest_path, std::vector<std::string> const& env,
                                 std::uint32_t mode = 0600, FileOwner owner = {});
    // Writes `keys` (one OpenSSH public key each) as <home>/.ssh/authorized_keys of `user` (a
    // name or uid, resolved with the image's own /etc/passwd, as the image's User is): the
    // file 0600 and ~/.ssh 0700, both owned by the user (with their primary group), as sshd's
    // StrictModes requires. The file holds exactly `keys`. Fails when the user or its home
    // directory is not in /etc/passwd, or a key is empty or spans lines.
    Result<void> inject_authorized_keys(std::string const& user,
                                        std::vector<std::string> const& keys);

private:
    std::filesystem::path m_source;
    std::filesystem::path m_writable_dir;
    std::optional<ImageWorkload> m_workload;
};

struct RootfsHook {
    std::string name; // names the hook in errors
    std::function<Result<void>(VmRootfs&)> run;
};

struct PostBootHook {
    std::string name; // names the hook in errors
    std::function<Result<void>(Vm&)> run;
};

} // namespace microvm
