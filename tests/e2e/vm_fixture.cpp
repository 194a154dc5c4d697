#include "vm_fixture.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "host/hypervisor/qemu/kernel_cache.hpp"

namespace microvm::e2e {

namespace {

World make_world() {
    World w;
    char pattern[] = "/tmp/microvm-e2e-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
        std::abort();
    }
    w.work = pattern;
    w.rootfs = w.work / "rootfs";
    w.data_dir = w.work / "data";
    auto made = test::run_process(
        {"/bin/bash", std::string(MICROVM_SOURCE_DIR) + "/scripts/make-busybox-rootfs.sh",
         w.rootfs.string()});
    if (made.exit_code != 0) {
        std::fprintf(stderr, "make-busybox-rootfs failed: %s\n", made.err.c_str());
        std::abort();
    }
    std::filesystem::copy_file(bin("e2e_guest_probe"), w.rootfs / "bin" / "probe");
    return w;
}

// Removes the work dir at exit. Made in world() right after the World: statics are destroyed
// in reverse order of construction, so it runs while the World still exists (a namespace-scope
// instance, constructed before the lazily made World, would run after it and see nothing).
struct Cleanup {
    std::filesystem::path work;
    ~Cleanup() {
        if (std::getenv("MICROVM_E2E_KEEP") == nullptr) {
            std::error_code ignored;
            std::filesystem::remove_all(work, ignored);
        }
    }
};

} // namespace

World const& world() {
    static World const w = make_world();
    static Cleanup const cleanup{w.work};
    return w;
}

std::filesystem::path bin(char const* name) {
    return std::filesystem::path(MICROVM_BIN_DIR) / name;
}

test::ProcessResult microvm(std::vector<std::string> const& args) {
    std::vector<std::string> argv = {bin("microvm").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_process(argv, {"MICROVM_DATA_DIR=" + world().data_dir.string()});
}

test::ProcessResult run_sh(std::string const& script, std::vector<std::string> const& extra) {
    std::vector<std::string> args = {"run", "--rootfs", world().rootfs.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--", "/bin/sh", "-c", script});
    return microvm(args);
}

std::filesystem::path fresh_dir(std::string const& name) {
    static int counter = 0;
    auto dir =
        world().work / (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    return dir;
}

std::string snapshot(std::filesystem::path const& dir) {
    std::map<std::string, std::string> entries;
    for (auto const& entry : std::filesystem::recursive_directory_iterator(dir)) {
        auto rel = std::filesystem::relative(entry.path(), dir).string();
        auto st = entry.symlink_status();
        std::ostringstream line;
        line << static_cast<int>(st.type()) << " " << static_cast<unsigned>(st.permissions());
        if (std::filesystem::is_regular_file(st)) {
            line << " " << test::read_file(entry.path());
        } else if (std::filesystem::is_symlink(st)) {
            line << " -> " << std::filesystem::read_symlink(entry.path()).string();
        }
        entries[rel] = line.str();
    }
    std::string out;
    for (auto const& [name, description] : entries) {
        out += name + ": " + description + "\n";
    }
    return out;
}

int count_processes(std::string const& exe_name) {
    int count = 0;
    for (auto const& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::error_code error;
        auto exe = std::filesystem::read_symlink(entry.path() / "exe", error);
        if (!error && exe.filename().string().starts_with(exe_name)) {
            ++count;
        }
    }
    return count;
}

hypervisor::qemu::GuestKernel expected_kernel() {
    namespace qemu = hypervisor::qemu;
    auto kernel = qemu::find_guest_kernel({
        .explicit_kernel = qemu::kernel_override({}),
        .cache_roots = qemu::kernel_cache_roots(qemu::kernel_cache_environment()),
        .fragment_hash = std::string(qemu::microvm_kernel_fragment_hash()),
    });
    EXPECT_TRUE(kernel) << kernel.error().text();
    return kernel ? *kernel : qemu::GuestKernel{};
}

} // namespace microvm::e2e
