#include "support/readdir_fault.hpp"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

namespace microvm::test {
namespace {

struct Fault {
    bool armed = false;
    std::string path;
    int entries = 0;
    int error = 0;
    int returned = 0;
    int failures = 0;
};

std::mutex g_mutex;
Fault g_fault;

using ReaddirFunction = dirent* (*)(DIR*);

ReaddirFunction real_readdir() {
    static auto const real = reinterpret_cast<ReaddirFunction>(::dlsym(RTLD_NEXT, "readdir"));
    return real;
}

std::string path_of(DIR* dir) {
    std::string const link = "/proc/self/fd/" + std::to_string(::dirfd(dir));
    char target[PATH_MAX];
    ssize_t const length = ::readlink(link.c_str(), target, sizeof target);
    return length > 0 ? std::string(target, static_cast<std::size_t>(length)) : std::string();
}

bool is_dot_or_dot_dot(dirent const* entry) {
    return std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0;
}

} // namespace

ReaddirFault::ReaddirFault(std::filesystem::path const& dir, int entries, int error) {
    std::lock_guard lock(g_mutex);
    if (g_fault.armed) {
        throw std::logic_error("only one ReaddirFault may be alive");
    }
    g_fault = Fault{.armed = true,
                    .path = std::filesystem::canonical(dir).string(),
                    .entries = entries,
                    .error = error};
}

ReaddirFault::~ReaddirFault() {
    std::lock_guard lock(g_mutex);
    g_fault = Fault{};
}

int ReaddirFault::failures() const {
    std::lock_guard lock(g_mutex);
    return g_fault.failures;
}

} // namespace microvm::test

// The interposer: the test binary's definition comes before the C library's in symbol lookup,
// for libstdc++'s calls as for ours.
extern "C" dirent* readdir(DIR* dir) {
    using namespace microvm::test;
    {
        std::lock_guard lock(g_mutex);
        if (g_fault.armed && path_of(dir) == g_fault.path) {
            int const saved = errno;
            dirent* entry = real_readdir()(dir);
            if (entry == nullptr || is_dot_or_dot_dot(entry)) {
                return entry;
            }
            if (g_fault.returned < g_fault.entries) {
                ++g_fault.returned;
                errno = saved;
                return entry;
            }
            ++g_fault.failures;
            errno = g_fault.error;
            return nullptr;
        }
    }
    return real_readdir()(dir);
}
