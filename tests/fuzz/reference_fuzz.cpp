// Image references and sources (host/image/reference.hpp), as typed on the command line or
// found in an archive's manifest. Both promise that their canonical text parses back to an
// equal value.
#include "fuzz_support.hpp"
#include "host/image/reference.hpp"

using namespace microvm;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const text = fuzz::as_text(data, size);
    if (auto const reference = image::parse_reference(text)) {
        auto const again = image::parse_reference(reference->to_string());
        if (!again || *again != *reference) {
            fuzz::finding("reference " + reference->to_string() + " does not parse back");
        }
    }
    if (auto const source = image::parse_source(text)) {
        auto const again = image::parse_source(source->to_string());
        if (!again || *again != *source) {
            fuzz::finding("source " + source->to_string() + " does not parse back");
        }
    }
    return 0;
}
