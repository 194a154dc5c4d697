#include "cli/each_vm.hpp"

#include <iostream>

#include "base/error.hpp"
#include "contract/exit_codes.hpp"

namespace microvm::cli {

int for_each_vm(std::string const& verb, std::vector<std::string> const& names,
                std::function<Result<void>(Vm&)> const& action) {
    bool failed = false;
    for (auto const& name : names) {
        auto done = [&]() -> Result<void> {
            auto vm = TRY(microvm::open(name));
            TRY(action(vm));
            return {};
        }();
        if (done) {
            std::cout << name << "\n";
        } else {
            std::cerr << "microvm " << verb << ": " << done.error().text() << "\n";
            failed = true;
        }
    }
    return failed ? contract::to_int(contract::CliExit::microvm_error) : 0;
}

} // namespace microvm::cli
