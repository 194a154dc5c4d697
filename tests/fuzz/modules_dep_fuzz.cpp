// The kernel's modules.dep and modules.builtin (host/hypervisor/qemu/modules.hpp), read from
// the modules directory of the kernel the VM boots. Input: modules.dep, a NUL byte, then
// modules.builtin.
#include "fuzz_support.hpp"
#include "host/hypervisor/qemu/modules.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::filesystem::path const& dir = fuzz::scratch_dir();
    auto const parts = fuzz::split(fuzz::as_text(data, size), std::string_view("\0", 1), 2);
    fuzz::write_file(dir / "modules.dep", parts[0]);
    fuzz::write_file(dir / "modules.builtin", parts[1]);
    std::string_view const wanted[] = {"virtio_pci", "virtiofs", "virtio_console", "virtio-net"};
    (void)hypervisor::qemu::resolve_modules(dir, wanted);
    return 0;
}
