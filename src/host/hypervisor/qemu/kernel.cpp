#include "host/hypervisor/qemu/kernel.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <system_error>

#include "host/hypervisor/qemu/bzimage.hpp"
#include "host/hypervisor/qemu/kernel_cache.hpp"

namespace microvm::hypervisor::qemu {
namespace {

constexpr std::string_view kernel_prefix = "vmlinuz-";
constexpr char no_kernel_message[] = "no guest kernel found: build the microvm kernel (make "
                                     "kernel), install linux-image-amd64 or pass --kernel";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// A release names a directory under modules_root, so it must be one plain path component.
bool is_plain_component(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

bool is_existing_directory(std::filesystem::path const& path) {
    std::error_code ec;
    return std::filesystem::is_directory(path, ec);
}

std::filesystem::path modules_dir_for(KernelSearch const& search, std::string const& version) {
    if (!is_plain_component(version)) {
        return {};
    }
    auto dir = search.modules_root / version;
    return is_existing_directory(dir) ? dir : std::filesystem::path();
}

bool is_regular_readable(std::filesystem::path const& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), R_OK) == 0;
}

// qemu runs as this user and must read the kernel; some distributions install it 0600.
Result<void> require_readable(std::filesystem::path const& kernel) {
    int fd = ::open(kernel.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fail_errno("guest kernel " + kernel.string() +
                          " is not readable (pass --kernel with a readable copy)");
    }
    ::close(fd);
    return {};
}

Result<GuestKernel> explicit_kernel(KernelSearch const& search) {
    std::error_code ec;
    // The runner starts qemu from another working directory, so a relative --kernel must be
    // anchored here.
    auto const path = std::filesystem::absolute(search.explicit_kernel, ec);
    if (ec) {
        return fail("guest kernel " + search.explicit_kernel.string() + ": " + ec.message());
    }
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        return fail("guest kernel not found: " + path.string());
    }
    if (!std::filesystem::is_regular_file(status)) {
        return fail("guest kernel is not a regular file: " + path.string());
    }
    TRY(require_readable(path));
    GuestKernel kernel{.kernel = path, .version = {}, .modules_dir = {}};
    // A kernel that is not a bzImage (e.g. an uncompressed vmlinux) still boots with its
    // modules built in; only module lookup needs the version.
    if (auto release = read_bzimage_release(path)) {
        kernel.version = std::move(*release);
    } else if (auto name = path.filename().string(); name.starts_with(kernel_prefix)) {
        kernel.version = name.substr(kernel_prefix.size());
    }
    kernel.microvm = kernel.version.ends_with(microvm_kernel_release_suffix);
    if (!kernel.microvm) {
        kernel.modules_dir = modules_dir_for(search, kernel.version);
    }
    return kernel;
}

std::optional<GuestKernel> cached_microvm_kernel(KernelSearch const& search) {
    if (search.cache_roots.empty()) {
        return std::nullopt;
    }
    auto const path = find_cached_kernel(search.cache_roots, search.fragment_hash);
    if (!path || !require_readable(*path)) {
        return std::nullopt;
    }
    auto release = read_bzimage_release(*path);
    // The same kernel uncompressed: qemu enters it through its PVH entry point, which skips the
    // bzImage's real-mode setup and decompression (~0.1 s under TCG, docs/BENCHMARKS.md).
    auto const pvh = path->parent_path() / cached_pvh_kernel_file;
    bool const use_pvh = is_regular_readable(pvh);
    return GuestKernel{.kernel = use_pvh ? pvh : *path,
                       .version = release ? std::move(*release) : std::string(),
                       .modules_dir = {},
                       .microvm = true};
}

} // namespace

std::string describe(GuestKernel const& kernel) {
    std::string const release = kernel.version.empty() ? "unknown release" : kernel.version;
    return release + " (" + kernel.kernel.string() + ")";
}

std::filesystem::path kernel_override(std::filesystem::path const& option) {
    if (!option.empty()) {
        return option;
    }
    char const* env = std::getenv("MICROVM_KERNEL");
    return env != nullptr ? std::filesystem::path(env) : std::filesystem::path();
}

int compare_kernel_versions(std::string_view a, std::string_view b) {
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            // Compare digit runs as numbers without overflowing: skip leading zeros, then the
            // longer run is bigger, then the first differing digit decides.
            while (i < a.size() && a[i] == '0') {
                ++i;
            }
            while (j < b.size() && b[j] == '0') {
                ++j;
            }
            std::size_t ai = i;
            std::size_t bj = j;
            while (ai < a.size() && is_digit(a[ai])) {
                ++ai;
            }
            while (bj < b.size() && is_digit(b[bj])) {
                ++bj;
            }
            if (ai - i != bj - j) {
                return ai - i < bj - j ? -1 : 1;
            }
            if (int c = a.substr(i, ai - i).compare(b.substr(j, bj - j)); c != 0) {
                return c < 0 ? -1 : 1;
            }
            i = ai;
            j = bj;
            continue;
        }
        if (a[i] != b[j]) {
            return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
        }
        ++i;
        ++j;
    }
    if (i < a.size()) {
        return 1;
    }
    return j < b.size() ? -1 : 0;
}

Result<GuestKernel> find_guest_kernel(KernelSearch const& search) {
    if (!search.explicit_kernel.empty()) {
        return explicit_kernel(search);
    }
    if (auto cached = cached_microvm_kernel(search)) {
        return *std::move(cached);
    }
    std::error_code ec;
    std::filesystem::directory_iterator it(search.boot_dir, ec);
    if (ec) {
        return fail(std::string(no_kernel_message) + " (cannot read " + search.boot_dir.string() +
                    ": " + ec.message() + ")");
    }
    std::optional<GuestKernel> best;
    // Advanced with the error_code overload: a range-for would throw when reading fails.
    for (std::filesystem::directory_iterator end; !ec && it != end; it.increment(ec)) {
        auto const& entry = *it;
        std::string name = entry.path().filename().string();
        if (!name.starts_with(kernel_prefix)) {
            continue;
        }
        std::string version = name.substr(kernel_prefix.size());
        // Without its modules directory a distribution kernel cannot reach its virtio
        // devices, so it does not qualify.
        auto modules = modules_dir_for(search, version);
        std::error_code type_ec;
        if (modules.empty() || !entry.is_regular_file(type_ec)) {
            continue;
        }
        if (!best || compare_kernel_versions(version, best->version) > 0) {
            best = GuestKernel{.kernel = entry.path(), .version = version, .modules_dir = modules};
        }
    }
    if (ec) {
        return fail_errno(std::string(no_kernel_message) + " (read " + search.boot_dir.string() +
                              ")",
                          ec.value());
    }
    if (!best) {
        return fail(no_kernel_message);
    }
    TRY(require_readable(best->kernel));
    return *best;
}

} // namespace microvm::hypervisor::qemu
