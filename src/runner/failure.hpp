// How a runner step fails: the error, plus the runner exit status it maps to (DESIGN.md §4.2),
// decided where the failure happens because only that step knows whether it was
// configuration, engine initialisation, start or runtime. Shared by every engine.
#pragma once

#include <expected>
#include <string>
#include <type_traits>
#include <utility>

#include "base/error.hpp"
#include "contract/exit_codes.hpp"

namespace microvm::runner {

struct Failure {
    contract::RunnerExit exit;
    Error error;
};

template <typename T>
using Step = Expected<T, Failure>;

inline std::unexpected<Failure> failure(contract::RunnerExit exit, Error error) {
    return std::unexpected(Failure{exit, std::move(error)});
}

inline std::unexpected<Failure> failure(contract::RunnerExit exit, std::string message) {
    return failure(exit, Error::message(std::move(message)));
}

// Lifts a Result into a Step that fails with `exit`, adding `clause` when given.
template <typename T>
Step<T> as_step(Result<T>&& result, contract::RunnerExit exit, std::string clause = {}) {
    if (result) {
        if constexpr (std::is_void_v<T>) {
            return {};
        } else {
            return std::move(*result);
        }
    }
    Error error = std::move(result.error());
    if (!clause.empty()) {
        error.context(std::move(clause));
    }
    return failure(exit, std::move(error));
}

} // namespace microvm::runner
