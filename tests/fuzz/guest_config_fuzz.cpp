// /etc/microvm.json (contract/guest_config.hpp), which microvm-init parses at boot (the guest's
// read_guest_config reads the file and calls this same parser). The host writes it with
// serialize(), so what parses must also round-trip.
#include "contract/guest_config.hpp"
#include "fuzz_support.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    fuzz::check_round_trip(
        "/etc/microvm.json", fuzz::as_text(data, size),
        [](std::string_view text) { return contract::parse_guest_config(text, "microvm.json"); },
        [](auto const& config) { return contract::serialize(config); });
    return 0;
}
