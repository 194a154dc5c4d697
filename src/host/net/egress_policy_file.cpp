// Policy files for --egress-policy: the library reads them so that every embedding program
// accepts the same files as the command line.
#include <microvm/egress.hpp>

#include "base/sys.hpp"

namespace microvm {

namespace {

constexpr std::size_t max_policy_file_size = 1 << 20;

} // namespace

Result<std::vector<EgressRule>> read_egress_rules_file(std::filesystem::path const& path) {
    std::string const text =
        TRY_CTX(base::sys::read_file(path, max_policy_file_size), "egress policy " + path.string());
    return TRY_CTX(parse_egress_rules(text), path.string());
}

} // namespace microvm
