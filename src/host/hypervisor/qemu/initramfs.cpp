#include "host/hypervisor/qemu/initramfs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <system_error>
#include <utility>

#include "base/fd.hpp"
#include "base/sys.hpp"
#include "host/hypervisor/qemu/initramfs_archive.hpp"
#include "host/hypervisor/qemu/module_file.hpp"
#include "host/image/store/digest.hpp"

namespace microvm::hypervisor::qemu {
namespace {

// Bump when the archive's layout changes, so caches built by older versions are not reused.
constexpr std::string_view layout_version = "microvm-initramfs-v1";
// microvm-init is a static binary of a few MiB; this only bounds what is read into memory.
constexpr std::size_t max_init_bytes = 256u << 20;

// Each field is length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
void hash_field(image::Sha256& hash, std::string_view bytes) {
    hash.update(std::to_string(bytes.size()) + ":");
    hash.update(bytes);
}

Result<std::string> read_init(std::filesystem::path const& path) {
    auto bytes = TRY(base::sys::read_file(path, max_init_bytes));
    if (bytes.empty()) {
        return fail(path.string() + ": empty file; not a microvm-init binary");
    }
    return bytes;
}

Result<InitramfsContents> read_contents(InitramfsRequest const& request) {
    InitramfsContents contents;
    contents.init = TRY_CTX(read_init(request.init_binary), "read microvm-init");
    for (auto const& module : request.modules) {
        auto bytes = TRY_CTX(read_module_file(module.path), "read kernel module " + module.name);
        contents.modules.push_back(InitramfsModule{.name = module.name, .bytes = std::move(bytes)});
    }
    return contents;
}

Result<std::string> cache_key(std::string const& kernel_version,
                              InitramfsContents const& contents) {
    image::Sha256 hash;
    hash_field(hash, layout_version);
    hash_field(hash, kernel_version);
    for (auto const& module : contents.modules) {
        hash_field(hash, module.name);
        hash_field(hash, module.bytes);
    }
    hash_field(hash, contents.init);
    return hash.finish().hex;
}

Result<void> ensure_directory(std::filesystem::path const& dir) {
    // Mode 0700 like the data directory: the archive is an input to every VM's boot.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        return fail_errno("mkdir " + dir.string());
    }
    return {};
}

// Unlinks the temporary file unless publishing succeeded.
class TempFile {
public:
    explicit TempFile(std::string path, base::Fd fd)
        : m_path(std::move(path)), m_fd(std::move(fd)) {}
    TempFile(TempFile&& other) noexcept
        : m_path(std::exchange(other.m_path, {})), m_fd(std::move(other.m_fd)) {}
    TempFile& operator=(TempFile&&) = delete;
    ~TempFile() {
        if (!m_path.empty()) {
            ::unlink(m_path.c_str());
        }
    }
    int fd() const { return m_fd.get(); }

    Result<void> publish(std::filesystem::path const& target) {
        // Data reaches the disk before the name does, so a crash cannot publish a torn file.
        if (::fsync(m_fd.get()) != 0) {
            return fail_errno("fsync " + m_path);
        }
        m_fd.reset();
        if (::rename(m_path.c_str(), target.c_str()) != 0) {
            return fail_errno("rename " + m_path + " to " + target.string());
        }
        m_path.clear();
        return {};
    }

private:
    std::string m_path;
    base::Fd m_fd;
};

Result<TempFile> create_temp(std::filesystem::path const& dir, std::string const& key) {
    std::string pattern = (dir / ("." + key + ".XXXXXX")).string();
    base::Fd fd(::mkostemp(pattern.data(), O_CLOEXEC));
    if (!fd) {
        return fail_errno("mkostemp " + pattern);
    }
    if (::fchmod(fd.get(), 0644) != 0) {
        return fail_errno("fchmod " + pattern);
    }
    return Result<TempFile>(std::in_place, std::move(pattern), std::move(fd));
}

} // namespace

Result<std::filesystem::path> ensure_initramfs(InitramfsRequest const& request) {
    auto contents = TRY_CTX(read_contents(request), "build initramfs");
    std::string key = TRY_CTX(cache_key(request.kernel_version, contents), "build initramfs");
    auto dir = request.data_dir / "initramfs";
    auto target = dir / (key + ".cpio.gz");
    std::error_code ec;
    if (std::filesystem::is_regular_file(target, ec)) {
        return target;
    }
    TRY_CTX(ensure_directory(dir), "build initramfs");
    auto temp = TRY_CTX(create_temp(dir, key), "build initramfs");
    TRY_CTX(write_initramfs_archive(temp.fd(), contents), "build initramfs " + target.string());
    TRY_CTX(temp.publish(target), "build initramfs");
    return target;
}

} // namespace microvm::hypervisor::qemu
