// runner.json (contract/runner_config.hpp): the runner parses what was written into the VM's
// directory. The host writes it with serialize(), so what parses must also round-trip.
#include "contract/runner_config.hpp"
#include "fuzz_support.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    fuzz::check_round_trip("runner.json", fuzz::as_text(data, size), contract::parse_runner_config,
                           [](auto const& config) { return contract::serialize(config); });
    return 0;
}
