#include "runner/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace microvm::runner {

void setup_logging(std::uint32_t log_level) {
    constexpr spdlog::level::level_enum levels[] = {
        spdlog::level::off,  spdlog::level::err,   spdlog::level::warn,
        spdlog::level::info, spdlog::level::debug, spdlog::level::trace,
    };
    // _mt: the exec relay's and the egress network's threads log too.
    auto logger = spdlog::stderr_logger_mt("microvm-runner");
    logger->set_pattern("microvm-runner: %l: %v");
    logger->set_level(levels[log_level < std::size(levels) ? log_level : std::size(levels) - 1]);
    spdlog::set_default_logger(std::move(logger));
}

void notice(std::string_view message) {
    std::fprintf(stderr, "microvm-runner: %.*s\n", static_cast<int>(message.size()),
                 message.data());
}

} // namespace microvm::runner
