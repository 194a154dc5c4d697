#include "host/state/state_file.hpp"

#include "base/safe_file.hpp"
#include "host/image/store/file_lock.hpp"
#include "host/state/vm_dir.hpp"

namespace microvm::state {

namespace {

// A state file is a few kilobytes; anything far larger is not one we wrote.
constexpr std::size_t max_state_bytes = 1 << 20;

Result<image::FileLock> lock(std::filesystem::path const& vm_dir) {
    return image::FileLock::acquire(VmDir(vm_dir).state_lock(), image::LockMode::exclusive);
}

Result<void> write_unlocked(std::filesystem::path const& vm_dir, VmRecord const& record) {
    // The VM directory is private to this user; the safe-file layer still gives the atomic,
    // fsynced replace with an exact mode, and replaces a planted symlink instead of following it.
    auto dir = TRY(base::open_root(vm_dir));
    TRY(base::write_file_in_root(dir, VmDir::state_name, serialize(record), 0600));
    return {};
}

} // namespace

Result<void> write_state(std::filesystem::path const& vm_dir, VmRecord const& record) {
    auto const context = "write state " + VmDir(vm_dir).state().string();
    auto held = TRY_CTX(lock(vm_dir), context);
    TRY_CTX(write_unlocked(vm_dir, record), context);
    return {};
}

Result<std::optional<VmRecord>> read_state(std::filesystem::path const& vm_dir) {
    auto const context = "read state " + VmDir(vm_dir).state().string();
    auto dir = TRY_CTX(base::open_root(vm_dir), context);
    auto text = base::read_file_in_root(dir, VmDir::state_name, max_state_bytes,
                                        base::Resolve::no_symlinks);
    // The safe-file reader refuses (EAGAIN) when a writer replaced the file between its two
    // opens; the next attempt gets the new file whole.
    for (int attempt = 0; !text && text.error().errno_value() == EAGAIN && attempt < 100;
         ++attempt) {
        text = base::read_file_in_root(dir, VmDir::state_name, max_state_bytes,
                                       base::Resolve::no_symlinks);
    }
    if (!text) {
        if (text.error().errno_value() == ENOENT) {
            return std::nullopt;
        }
        return std::unexpected(std::move(text.error()).context(context));
    }
    auto record = TRY_CTX(parse_record(*text), context);
    record.info.data_dir = vm_dir;
    return record;
}

Result<std::optional<VmRecord>> update_state(std::filesystem::path const& vm_dir,
                                             StateChange const& change) {
    auto const context = "update state " + VmDir(vm_dir).state().string();
    auto held = TRY_CTX(lock(vm_dir), context);
    auto current = TRY(read_state(vm_dir));
    auto next = change(current);
    if (!next) {
        return current;
    }
    TRY_CTX(write_unlocked(vm_dir, *next), context);
    next->info.data_dir = vm_dir;
    return next;
}

} // namespace microvm::state
