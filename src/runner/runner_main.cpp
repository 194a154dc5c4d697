#include "runner/runner_main.hpp"

#include <stdlib.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "contract/exit_codes.hpp"
#include "contract/runner_config.hpp"
#include "runner/engine/engines.hpp"
#include "runner/logging.hpp"
#include "runner/sanitize.hpp"
#include "runner/vm_dir_removal.hpp"

namespace microvm::runner {

namespace {

using contract::RunnerExit;

constexpr char usage[] = "usage: microvm-runner PATH|-\n"
                         "Runs the microVM described by the runner.json at PATH (- = stdin).\n";

int report(RunnerExit code, std::string const& message) {
    std::fprintf(stderr, "microvm-runner: %s\n", message.c_str());
    return contract::to_int(code);
}

// The first descriptor the sanitizer closes: past contract::runner_held_fd when the host
// handed one over (the image's rootfs lock, held until this process exits), else 3.
int first_closed_fd() {
    char const* held = std::getenv(contract::runner_held_fd_env);
    bool const handed_over =
        held != nullptr && std::string_view(held) == std::to_string(contract::runner_held_fd);
    // Not passed on to the VMM: descriptors above 2 close at its exec anyway.
    ::unsetenv(contract::runner_held_fd_env);
    return handed_over ? contract::runner_held_fd + 1 : 3;
}

int run_engine(contract::RunnerConfig const& config) {
    switch (config.engine) {
    case contract::Engine::libkrun:
        return libkrun::run(config);
    case contract::Engine::qemu:
        return qemu::run(config);
    }
    return report(RunnerExit::config_error, "invalid configuration: unknown engine");
}

} // namespace

int runner_main(int argc, char** argv) {
    // Before anything else runs, so nothing we do depends on what the parent left open.
    if (auto sanitized = sanitize_process(first_closed_fd()); !sanitized) {
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
    int const status = run_engine(*config);
    // The engine has written its result and released its mounts. (libkrun's VMM ends the
    // process from inside the engine, so it never gets here; `microvm ps` removes such a VM.)
    if (!config->remove_dir.empty()) {
        if (auto removed = remove_vm_dir(config->remove_dir); !removed) {
            std::fprintf(stderr, "microvm-runner: %s\n", removed.error().text().c_str());
        }
    }
    return status;
}

} // namespace microvm::runner
