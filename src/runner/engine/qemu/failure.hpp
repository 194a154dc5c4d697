// The qemu engine's steps fail the way every runner step does.
#pragma once

#include "runner/failure.hpp"

namespace microvm::runner::qemu {
using runner::as_step;
using runner::Failure;
using runner::failure;
using runner::Step;
} // namespace microvm::runner::qemu
