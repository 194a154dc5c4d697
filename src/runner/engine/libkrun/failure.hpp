// How a libkrun engine step fails: the error, plus the runner exit status it maps to
// (DESIGN.md §4.2), decided where the failure happens because only that step knows whether
// it was configuration, engine initialisation, start or runtime.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "contract/exit_codes.hpp"

namespace microvm::runner::libkrun {

struct Failure {
    contract::RunnerExit exit;
    Error error;
};

template <typename T>
using Step = std::expected<T, Failure>;

inline std::unexpected<Failure> failure(contract::RunnerExit exit, Error error) {
    return std::unexpected(Failure{exit, std::move(error)});
}

inline std::unexpected<Failure> failure(contract::RunnerExit exit, std::string message) {
    return failure(exit, Error::message(std::move(message)));
}

// A krun_* call's return value: >= 0 (0, or a ctx id) passes through; a negative errno fails
// with `exit`, the message naming `call` and strerror(-ret).
inline Step<int32_t> checked(std::string call, int32_t ret,
                             contract::RunnerExit exit = contract::RunnerExit::runtime_error) {
    if (ret < 0) {
        return failure(exit, Error::from_errno(std::move(call), -ret));
    }
    return ret;
}

} // namespace microvm::runner::libkrun

namespace microvm::detail {
// FIXME: MICROVM_TRY unwraps only std::expected<T, Error>; these overloads let it propagate a
// Failure as well. Drop them once detail::unwrap is generic over the error type.
template <typename T>
T unwrap(std::expected<T, runner::libkrun::Failure>&& result) {
    return std::move(*result);
}
inline void unwrap(std::expected<void, runner::libkrun::Failure>&&) {}
} // namespace microvm::detail
