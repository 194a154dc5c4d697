// The verbs that take several VM names (stop, rm): each name is handled on its own, as podman
// does, so that one unknown or failing VM does not keep the others from being handled.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <microvm/microvm.hpp>

namespace microvm::cli {

// Opens each named VM and runs `action` on it. Prints the name on stdout when the action
// succeeds and "microvm VERB: <error>" on stderr when opening or the action fails. Returns 0
// when every name succeeded, else 125 (contract::CliExit::microvm_error).
int for_each_vm(std::string const& verb, std::vector<std::string> const& names,
                std::function<Result<void>(Vm&)> const& action);

} // namespace microvm::cli
