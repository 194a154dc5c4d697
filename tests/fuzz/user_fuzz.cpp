// An image's User resolved over its /etc/passwd and /etc/group (base/user_accounts.hpp).
// Input: the user spec, the passwd file and the group file, separated by NUL bytes.
#include "base/safe_file.hpp"
#include "base/user_accounts.hpp"
#include "fuzz_support.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static std::filesystem::path const etc = fuzz::scratch_dir() / "etc";
    static base::Fd const rootfs = [] {
        std::filesystem::create_directory(etc);
        return *base::open_root(fuzz::scratch_dir());
    }();
    auto const parts = fuzz::split(fuzz::as_text(data, size), std::string_view("\0", 1), 3);
    fuzz::write_file(etc / "passwd", parts[1]);
    fuzz::write_file(etc / "group", parts[2]);
    (void)base::resolve_user(parts[0], rootfs);
    return 0;
}
