// The status port's "exit=<N>" line (contract/status_line.hpp), written by the guest, which is
// hostile: whatever it sends, the runner takes a status in 0..255 or none, and the status it
// encodes reads back unchanged.
#include "contract/status_line.hpp"
#include "fuzz_support.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const text = fuzz::as_text(data, size);
    auto const status = contract::parse_exit_status(text);
    if (status && (*status < 0 || *status > 255)) {
        fuzz::finding("status " + std::to_string(*status) + " outside 0..255");
    }
    if (status && contract::parse_exit_status(contract::encode_exit_status(*status)) != status) {
        fuzz::finding("status " + std::to_string(*status) + " does not read back");
    }
    // A well-formed line after any garbage is the one that counts.
    std::string const appended = std::string(text) + "\nexit=7\n";
    if (contract::parse_exit_status(appended) != 7) {
        fuzz::finding("a last well-formed line is not the status");
    }
    return 0;
}
