#include "host/image/unpack/unpack.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/safe_file.hpp"
#include "base/safe_tree.hpp"
#include "base/sys.hpp"
#include "base/sys_tree.hpp"
#include "host/image/unpack/layer.hpp"
#include "host/image/unpack/tree_writer.hpp"

namespace microvm::image {

namespace {

// The mode of a published root: "/" of the guest, readable and searchable by every user.
constexpr mode_t root_mode = 0755;

// Removes a directory tree when it goes out of scope, unless dismissed.
class RemoveOnFailure {
public:
    explicit RemoveOnFailure(std::filesystem::path path) : m_path(std::move(path)) {}
    RemoveOnFailure(RemoveOnFailure const&) = delete;
    RemoveOnFailure& operator=(RemoveOnFailure const&) = delete;
    ~RemoveOnFailure() {
        if (!m_path.empty()) {
            // Best effort: this runs on an error path, whose error is the one to report.
            (void)base::remove_tree(m_path);
        }
    }
    void dismiss() { m_path.clear(); }

private:
    std::filesystem::path m_path;
};

} // namespace

Result<UnpackStats> unpack_layers(std::span<std::filesystem::path const> layers,
                                  std::filesystem::path const& root_dir,
                                  UnpackLimits const& limits) {
    base::Fd root = TRY(base::open_root(root_dir));
    TreeWriter writer(std::move(root), ::geteuid() == 0 ? Ownership::keep : Ownership::ignore);
    UnpackStats stats;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        TRY_CTX(apply_layer(layers[i], writer, limits, stats),
                "layer " + std::to_string(i + 1) + " of " + std::to_string(layers.size()));
    }
    TRY_CTX(writer.finish(), "set directory modes");
    return stats;
}

Result<UnpackStats> unpack_image(std::span<std::filesystem::path const> layers,
                                 std::filesystem::path const& final_dir,
                                 UnpackLimits const& limits) {
    std::string const op = "unpack image into " + final_dir.string();
    std::filesystem::path target = final_dir.lexically_normal();
    if (target.filename().empty()) {
        target = target.parent_path();
    }
    std::filesystem::path const parent = target.parent_path().empty() ? "." : target.parent_path();
    std::string const final_name = target.filename().string();

    base::Fd parent_fd = TRY_CTX(base::open_root(parent), op);
    if (auto st = base::sys::lstatat(parent_fd.get(), final_name); st) {
        return fail_errno(op + ": it already exists", EEXIST);
    } else if (st.error().errno_value() != ENOENT) {
        return std::unexpected(std::move(st.error()).context(op));
    }

    // Next to the final directory, so the rename stays within one file system.
    std::string pattern = (parent / ("." + final_name + ".tmp-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        return fail_errno(op + ": mkdtemp " + pattern);
    }
    std::filesystem::path const temp(pattern);
    RemoveOnFailure cleanup(temp);

    auto stats = TRY_CTX(unpack_layers(layers, temp, limits), op);
    base::Fd root = TRY_CTX(
        base::open_in_root(parent_fd, temp.filename().string(), O_RDONLY | O_DIRECTORY), op);
    TRY_CTX(base::sys::fchmod(root.get(), root_mode, temp.string()), op);
    TRY_CTX(base::sys::syncfs(root.get(), temp.string()), op);
    // fsync needs a readable descriptor (parent_fd is O_PATH); opened before the rename so
    // that nothing can fail once the root is published.
    base::Fd const readable_parent =
        TRY_CTX(base::sys::openat2(parent_fd.get(), ".", O_RDONLY | O_DIRECTORY, 0, 0), op);
    auto renamed = base::sys::rename_noreplace(parent_fd.get(), temp.filename().string(),
                                               parent_fd.get(), final_name);
    if (!renamed) {
        if (renamed.error().errno_value() == EEXIST) {
            return fail_errno(op + ": it was published meanwhile by another unpack", EEXIST);
        }
        return std::unexpected(std::move(renamed.error()).context(op));
    }
    cleanup.dismiss();
    // Makes the rename durable. Best effort: the root is published and complete either way,
    // and reporting a failure now would tell the caller it was not.
    (void)base::sys::fsync(readable_parent.get(), parent.string());
    return stats;
}

} // namespace microvm::image
