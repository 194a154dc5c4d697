#include "runner/runner_main.hpp"

#include <cstdio>
#include <string>
#include <string_view>

#include "contract/exit_codes.hpp"
#include "contract/runner_config.hpp"
#include "runner/engine/engines.hpp"
#include "runner/logging.hpp"
#include "runner/sanitize.hpp"

namespace microvm::runner {

namespace {

using contract::RunnerExit;

constexpr char usage[] = "usage: microvm-runner PATH|-\n"
                         "Runs the microVM described by the runner.json at PATH (- = stdin).\n";

int report(RunnerExit code, std::string const& message) {
    std::fprintf(stderr, "microvm-runner: %s\n", message.c_str());
    return contract::to_int(code);
}

} // namespace

int runner_main(int argc, char** argv) {
    // Before anything else runs, so nothing we do depends on what the parent left open.
    if (auto sanitized = sanitize_process(); !sanitized) {
        return report(RunnerExit::runtime_error, sanitized.error().text());
    }
    if (argc == 2 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (argc != 2) {
        std::fputs(usage, stderr);
        return contract::to_int(RunnerExit::config_error);
    }
    auto config = contract::load_runner_config(argv[1]);
    if (!config) {
        return report(RunnerExit::config_error, "invalid configuration: " + config.error().text());
    }
    setup_logging(config->log_level);
    switch (config->engine) {
    case contract::Engine::libkrun:
        return libkrun::run(*config);
    case contract::Engine::qemu:
        return qemu::run(*config);
    }
    return report(RunnerExit::config_error, "invalid configuration: unknown engine");
}

} // namespace microvm::runner
