#include "contract/guest_config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "base/fd.hpp"
#include "base/safe_file.hpp"
#include "base/sys.hpp"

namespace microvm::contract {

Result<GuestConfig> read_guest_config(std::filesystem::path const& path) {
    std::string const name = path.string();
    std::string const op = "read " + name;
    // O_NONBLOCK: a FIFO in its place must not hang the boot; the regular-file check below
    // turns it into an error.
    base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) {
        if (errno == ENOENT) {
            return GuestConfig{};
        }
        return fail_errno(op);
    }
    auto const st = TRY_CTX(base::sys::fstat(fd.get(), name), op);
    if (!S_ISREG(st.st_mode)) {
        return fail(op + ": not a regular file");
    }
    auto const text = TRY_CTX(base::sys::read_all(fd.get(), max_guest_config_bytes, name), op);
    return parse_guest_config(text, name);
}

Result<void> write_guest_config(std::filesystem::path const& root_dir, GuestConfig const& config) {
    std::filesystem::path const relative(guest_config_relative_path);
    std::string const op = "write " + (root_dir / relative).string();
    base::Fd root = TRY_CTX(base::open_root(root_dir), op);
    TRY_CTX(base::mkdirs_no_follow(root, relative.parent_path().string(), 0755), op);
    TRY_CTX(base::write_file_in_root(root, relative.string(), serialize(config), 0644), op);
    return {};
}

} // namespace microvm::contract
