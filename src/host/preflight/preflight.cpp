// run_preflight(): the built-in checks, then the caller's.
#include <microvm/options.hpp>
#include <microvm/preflight.hpp>

#include "host/preflight/checks.hpp"

namespace microvm {

std::vector<PreflightCheck> default_preflight_checks() {
    return {
        {"shares",
         [](PreflightContext const& c) {
             return preflight::check_shares(c.options);
         }},
        {"kvm",
         [](PreflightContext const& c) {
             return preflight::check_kvm(c.options.backend, base::probe_kvm());
         }},
        {"tools",
         [](PreflightContext const& c) -> Result<void> {
             if (c.options.backend != BackendKind::qemu) {
                 return {};
             }
             return preflight::check_qemu_tools(preflight::default_qemu_tool_paths(c.options));
         }},
        {"disk",
         [](PreflightContext const& c) {
             return preflight::check_free_space(c.data_dir, min_free_data_dir_bytes);
         }},
        {"ports",
         [](PreflightContext const& c) -> Result<void> {
             for (auto const& port : c.options.ports) {
                 TRY(preflight::check_port(port));
             }
             return {};
         }},
    };
}

Result<void> run_preflight(RunOptions const& options, std::filesystem::path const& data_dir) {
    PreflightContext const context{.options = options, .data_dir = data_dir};
    auto run = [&](std::vector<PreflightCheck> const& checks) -> Result<void> {
        for (auto const& check : checks) {
            if (!check.run) {
                return fail("preflight " + check.name + ": the check has no function");
            }
            TRY_CTX(check.run(context), "preflight " + check.name);
        }
        return {};
    };
    TRY(run(default_preflight_checks()));
    TRY(run(options.preflight_checks));
    return {};
}

} // namespace microvm
