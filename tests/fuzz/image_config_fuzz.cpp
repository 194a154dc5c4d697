// The image's config blob (host/image/image_config.hpp) and the workload made from it, over an
// image without /etc/passwd (the User over a passwd/group pair is user_fuzz.cpp's).
#include "base/safe_file.hpp"
#include "fuzz_support.hpp"
#include "host/image/image_config.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static base::Fd const rootfs = *base::open_root(fuzz::scratch_dir());
    auto const config = image::parse_image_config(fuzz::as_text(data, size));
    if (!config) {
        return 0;
    }
    (void)image::resolve_workload(*config, {}, rootfs);
    (void)image::resolve_workload(
        *config, {.command = {"sh"}, .entrypoint = std::vector<std::string>{}}, rootfs);
    return 0;
}
