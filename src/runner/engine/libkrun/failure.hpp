// How a libkrun engine step fails: the error, plus the runner exit status it maps to
// (DESIGN.md §4.2), decided where the failure happens because only that step knows whether
// it was configuration, engine initialisation, start or runtime.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <utility>

#include "runner/failure.hpp"

namespace microvm::runner::libkrun {

using runner::as_step;
using runner::Failure;
using runner::failure;
using runner::Step;

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
