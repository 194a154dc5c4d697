#include "base/kvm.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/fd.hpp"

namespace microvm::base {

KvmProbe probe_kvm() {
    KvmProbe probe;
    probe.device_usable = Fd(::open("/dev/kvm", O_RDWR | O_CLOEXEC)).valid();
    probe.hardware_backed =
        ::access("/sys/module/kvm_intel", F_OK) == 0 || ::access("/sys/module/kvm_amd", F_OK) == 0;
    return probe;
}

} // namespace microvm::base
