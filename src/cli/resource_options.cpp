#include "cli/resource_options.hpp"

namespace microvm::cli {

Result<std::uint64_t> parse_size(std::string const& text) {
    auto const not_a_size = [&] {
        return fail("\"" + text + "\" is not a size (bytes, or a number with K, M, G or T)");
    };
    if (text.empty() || text.front() == '-') {
        return not_a_size();
    }
    // CLI11's size reader: a number with an optional unit, K = 1024. It throws on a bad unit.
    std::string value = text;
    try {
        if (!CLI::AsSizeValue(false)(value).empty()) {
            return not_a_size();
        }
    } catch (CLI::Error const&) {
        return not_a_size();
    }
    std::uint64_t bytes = 0;
    if (!CLI::detail::lexical_cast(value, bytes)) {
        return fail("\"" + text + "\" is not a size");
    }
    return bytes;
}

void add_resource_options(CLI::App& run, ResourceArgs& args) {
    run.add_option("--disk-size", args.disk_size,
                   "Most the guest can write into its root (default 10G; 0: no cap)");
    run.add_option("--log-max-size", args.log_max_size,
                   "Most each of the VM's logs keeps, the newest output (default 64M; 0: no cap)");
}

Result<void> apply_resource_options(ResourceArgs const& args, RunOptions& options) {
    if (!args.disk_size.empty()) {
        options.disk_size = TRY_CTX(parse_size(args.disk_size), "--disk-size");
    }
    if (!args.log_max_size.empty()) {
        options.log_max_size = TRY_CTX(parse_size(args.log_max_size), "--log-max-size");
    }
    return {};
}

} // namespace microvm::cli
