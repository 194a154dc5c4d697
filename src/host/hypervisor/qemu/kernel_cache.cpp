#include "host/hypervisor/qemu/kernel_cache.hpp"

#include <pwd.h>
#include <unistd.h>

#include <system_error>

#include "base/environment.hpp"
#include "host/hypervisor/qemu/kernel.hpp"
#include "host/image/store/digest.hpp"

#ifndef MICROVM_KERNEL_FRAGMENT_HASH
#error                                                                                             \
    "MICROVM_KERNEL_FRAGMENT_HASH must be defined (src/CMakeLists.txt hashes kernel/microvm.config)"
#endif

namespace microvm::hypervisor::qemu {
namespace {

constexpr std::size_t hash_digits = 16;
constexpr char kernel_file[] = "bzImage";
constexpr char system_cache[] = "/var/cache/microvm/kernels";

bool is_absolute(std::optional<std::string> const& value) {
    return value && value->starts_with('/');
}

bool is_file(std::filesystem::path const& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

} // namespace

std::string_view microvm_kernel_fragment_hash() {
    return MICROVM_KERNEL_FRAGMENT_HASH;
}

std::string kernel_cache_key(std::string_view source_version, std::string_view fragment) {
    return std::string(source_version) + "-" +
           image::Digest::of(fragment).hex.substr(0, hash_digits);
}

KernelCacheEnvironment kernel_cache_environment() {
    auto home = base::environment_variable("HOME");
    if (!home) {
        // A caller with a scrubbed environment (a service, a test harness) is still this user.
        if (passwd const* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir) {
            home = std::string(entry->pw_dir);
        }
    }
    return {
        .microvm_kernel_cache = base::environment_variable("MICROVM_KERNEL_CACHE"),
        .xdg_cache_home = base::environment_variable("XDG_CACHE_HOME"),
        .home = std::move(home),
    };
}

std::vector<std::filesystem::path> kernel_cache_roots(KernelCacheEnvironment const& env) {
    std::vector<std::filesystem::path> roots;
    if (is_absolute(env.microvm_kernel_cache)) {
        roots.emplace_back(*env.microvm_kernel_cache);
    } else if (is_absolute(env.xdg_cache_home)) {
        roots.push_back(std::filesystem::path(*env.xdg_cache_home) / "microvm" / "kernels");
    } else if (is_absolute(env.home)) {
        roots.push_back(std::filesystem::path(*env.home) / ".cache" / "microvm" / "kernels");
    }
    if (roots.empty() || roots.front() != system_cache) {
        roots.emplace_back(system_cache);
    }
    return roots;
}

std::optional<std::filesystem::path>
find_cached_kernel(std::vector<std::filesystem::path> const& roots,
                   std::string_view fragment_hash) {
    std::string const suffix = "-" + std::string(fragment_hash);
    for (auto const& root : roots) {
        std::error_code ec;
        std::optional<std::filesystem::path> best;
        std::string best_version;
        for (std::filesystem::directory_iterator it(root, ec), end; !ec && it != end;
             it.increment(ec)) {
            std::string const name = it->path().filename().string();
            if (name.size() <= suffix.size() || !name.ends_with(suffix)) {
                continue;
            }
            std::string const version = name.substr(0, name.size() - suffix.size());
            auto const kernel = it->path() / kernel_file;
            // The build script publishes a whole directory at once, so a directory without its
            // bzImage is not a half-written build but someone else's: skip it.
            if (!is_file(kernel)) {
                continue;
            }
            if (!best || compare_kernel_versions(version, best_version) > 0) {
                best = kernel;
                best_version = version;
            }
        }
        if (best) {
            return best;
        }
    }
    return std::nullopt;
}

} // namespace microvm::hypervisor::qemu
