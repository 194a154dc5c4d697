// microvm-init: PID 1 of the qemu engine's initramfs (src/guest/boot.hpp).
#include <unistd.h>

#include "contract/exit_codes.hpp"
#include "guest/boot.hpp"
#include "guest/console.hpp"

int main() {
    if (::getpid() != 1) {
        microvm::guest::log("must run as PID 1 of the VM's initramfs");
        return microvm::contract::to_int(microvm::contract::CliExit::microvm_error);
    }
    return microvm::guest::run_as_pid1();
}
