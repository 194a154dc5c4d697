#include "host/hypervisor/qemu/bzimage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "base/fd.hpp"

namespace microvm::hypervisor::qemu {
namespace {

// Offsets of the boot protocol header (Documentation/arch/x86/boot.rst).
constexpr std::size_t header_magic_offset = 0x202;           // "HdrS"
constexpr std::size_t protocol_version_offset = 0x206;       // u16
constexpr std::size_t kernel_version_pointer_offset = 0x20E; // u16, relative to 0x200
constexpr std::uint16_t first_protocol_with_version = 0x0200;
constexpr std::size_t kernel_version_base = 0x200;
// A release string is short; the rest of the banner (compiler, build date) is not needed.
constexpr std::size_t max_banner = 256;

std::uint16_t read_u16(unsigned char const* p) {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

Result<std::size_t> read_at(int fd, std::size_t offset, unsigned char* buffer, std::size_t size) {
    ssize_t n = ::pread(fd, buffer, size, static_cast<off_t>(offset));
    if (n < 0) {
        return fail_errno("pread");
    }
    return static_cast<std::size_t>(n);
}

} // namespace

Result<std::string> read_bzimage_release(std::filesystem::path const& image) {
    base::Fd fd(::open(image.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return fail_errno("open " + image.string());
    }
    std::array<unsigned char, 0x210> header{};
    std::size_t got = TRY_CTX(read_at(fd.get(), 0, header.data(), header.size()), image.string());
    if (got < header.size() || std::memcmp(&header[header_magic_offset], "HdrS", 4) != 0) {
        return fail(image.string() + ": not a bzImage (no boot protocol header)");
    }
    if (read_u16(&header[protocol_version_offset]) < first_protocol_with_version) {
        return fail(image.string() + ": boot protocol too old to carry a version string");
    }
    std::uint16_t pointer = read_u16(&header[kernel_version_pointer_offset]);
    if (pointer == 0) {
        return fail(image.string() + ": no kernel version string in the boot header");
    }
    std::array<unsigned char, max_banner> banner{};
    got = TRY_CTX(read_at(fd.get(), kernel_version_base + pointer, banner.data(), banner.size()),
                  image.string());
    std::string release;
    for (std::size_t i = 0; i < got; ++i) {
        unsigned char c = banner[i];
        if (c == '\0' || c == ' ') {
            break;
        }
        if (c < 0x21 || c > 0x7e) {
            return fail(image.string() + ": kernel version string is not printable");
        }
        release.push_back(static_cast<char>(c));
    }
    if (release.empty()) {
        return fail(image.string() + ": empty kernel version string");
    }
    return release;
}

} // namespace microvm::hypervisor::qemu
