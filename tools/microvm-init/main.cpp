// microvm-init: PID 1 of the qemu engine's initramfs (src/guest/boot.hpp), or, with --libkrun,
// the first program libkrun's init runs (src/guest/libkrun_boot.hpp).
#include <unistd.h>

#include <string_view>

#include "contract/exit_codes.hpp"
#include "contract/guest_protocol.hpp"
#include "guest/boot.hpp"
#include "guest/console.hpp"
#include "guest/libkrun_boot.hpp"

int main(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == microvm::contract::libkrun_init_flag) {
        return microvm::guest::run_under_libkrun();
    }
    if (argc != 1 || ::getpid() != 1) {
        microvm::guest::log("must run as PID 1 of the VM's initramfs, or as " +
                            std::string(microvm::contract::libkrun_init_flag) +
                            " in a libkrun guest");
        return microvm::contract::to_int(microvm::contract::CliExit::microvm_error);
    }
    return microvm::guest::run_as_pid1();
}
