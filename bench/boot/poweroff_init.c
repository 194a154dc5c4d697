// The /init of the baseline initramfs: power the VM off at once. Built static by bench/boot/run.sh.
#include <sys/reboot.h>
#include <unistd.h>

int main(void) {
    sync();
    reboot(RB_POWER_OFF);
    return 1;
}
