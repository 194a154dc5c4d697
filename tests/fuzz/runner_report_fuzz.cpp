// The runner's report (contract/runner_report.hpp), which the host reads from the VM's
// directory. The runner writes it with serialize(), so what parses must also round-trip.
#include "contract/runner_report.hpp"
#include "fuzz_support.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    fuzz::check_round_trip("runner report", fuzz::as_text(data, size),
                           contract::parse_runner_report,
                           [](auto const& report) { return contract::serialize(report); });
    return 0;
}
