#!/usr/bin/env bash
# Boot benchmark, side by side in one run, interleaved (a, b, c, d, a, b, ...) so that machine
# load weighs on every side alike:
#   (a) raw qemu + the distribution kernel + a do-nothing initramfs (/init powers off at once):
#       the floor of a design that boots Debian's kernel
#   (b) raw qemu + the microvm kernel (make kernel) + the same initramfs, on the machine the
#       engine uses for it (q35; MICROVM_MACHINE=... tries another)
#   (c) microvm run --rootfs <busybox> -- true on the distribution kernel (MICROVM_KERNEL)
#   (d) microvm run --rootfs <busybox> -- true on the microvm kernel (the default once built)
#
#   bench/boot/run.sh [BUILD_DIR]          (default: build)
#
# Environment:
#   N=5                 iterations of each side
#   DISTRO_KERNEL       the distribution kernel (default: the newest /boot/vmlinuz-* with
#                       /lib/modules/<version>)
#   MICROVM_GUEST_KERNEL the microvm kernel (default: scripts/build-kernel.sh --path)
#   RAW_QEMU_EXTRA=""   extra arguments for the raw sides only (e.g. "-bios /usr/share/qemu/qboot.rom")
#   KEEP=1              keep the scratch directory (initramfs, console logs) and print its path
#
# Prints the median, min and max wall time and CPU time of each side.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" boot "$@"
n=${N:-5}

[ -x "$microvm" ] || die "$microvm is missing; build first (cmake --build $build)"
[ -x "$build/bin/microvm-runner" ] || die "$build/bin/microvm-runner is missing"
[ -x "$build/bin/microvm-init" ] || die "$build/bin/microvm-init is missing"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing"
command -v cc >/dev/null || die "a C compiler (cc) is needed for the baseline's /init"
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"

# The distribution kernel the engine would fall back to: the newest with its modules.
distro_kernel=${DISTRO_KERNEL:-}
if [ -z "$distro_kernel" ]; then
    while read -r k; do
        if [ -d "/lib/modules/${k#/boot/vmlinuz-}" ]; then
            distro_kernel=$k
            break
        fi
    done < <(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -rV)
fi
if [ -z "$distro_kernel" ] || [ ! -r "$distro_kernel" ]; then
    die "no readable distribution kernel (set DISTRO_KERNEL)"
fi
microvm_kernel=${MICROVM_GUEST_KERNEL:-$("$repo/scripts/build-kernel.sh" --path)}
[ -r "$microvm_kernel" ] || die "no microvm kernel at $microvm_kernel: run make kernel"
# The library boots the uncompressed vmlinux next to the cached bzImage (qemu's PVH entry).
if [ -z "${MICROVM_GUEST_KERNEL:-}" ] && [ -r "$(dirname "$microvm_kernel")/vmlinux" ]; then
    microvm_kernel=$(dirname "$microvm_kernel")/vmlinux
fi
unset MICROVM_KERNEL

scratch=$(mktemp -d /tmp/microvm-bench-boot.XXXXXX)
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo "scratch kept: $scratch"
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT

# --- the baseline initramfs: /init (static) in an uncompressed newc cpio, written here so that
# the cpio tool is not needed.
cc -static -Os -s -o "$scratch/init" "$here/poweroff_init.c"

write_init_cpio "$scratch/init" "$scratch/initramfs.cpio"

# --- the microvm side: a busybox rootfs and a data directory of the bench's own.
rootfs="$scratch/rootfs"
"$repo/scripts/make-busybox-rootfs.sh" "$rootfs" >/dev/null
export MICROVM_DATA_DIR="$scratch/data"

# Same accelerator, CPU, memory and console as the qemu engine (runner/engine/qemu/qemu_argv.cpp
# and accelerator.cpp with the CLI's defaults: KVM only when /dev/kvm opens read-write and a
# hardware KVM module is loaded, else TCG; 1 vCPU; 512 MiB), and the machine the engine picks
# for each kernel: q35 (see microvm_machine below).
accel=tcg
cpu=max
if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
    { [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; }; then
    accel=kvm
    cpu=host
fi
# The engine's kernel command line, firmware and machine (kept in step with qemu_argv.cpp and
# tools.cpp): noapictimer no_timer_check under TCG, qboot when qemu ships it.
append="console=ttyS0 quiet panic=-1 cryptomgr.notests"
[ "$accel" = tcg ] && append+=" noapictimer no_timer_check"
qemu_path=$(command -v qemu-system-x86_64)
qboot="$(dirname "$(dirname "$qemu_path")")/share/qemu/qboot.rom"
firmware=()
[ -f "$qboot" ] && [ -r "$qboot" ] && firmware=(-bios "$qboot")
# The engine uses q35 for both kernels (-M microvm gains nothing over q35 + qboot under TCG and
# has problems of its own, docs/BENCHMARKS.md); MICROVM_MACHINE tries another machine on side
# (b) alone.
microvm_machine=${MICROVM_MACHINE:-q35}
raw_qemu() { # KERNEL MACHINE NUMA...
    local kernel=$1 machine=$2
    shift 2
    # shellcheck disable=SC2054 # the commas are qemu's option syntax
    local argv=(qemu-system-x86_64 -machine "$machine" -accel "$accel" -cpu "$cpu" -m 512M -smp 1
        -object memory-backend-memfd,id=mem,size=512M,share=on "$@"
        -nodefaults -no-user-config -nographic -no-reboot
        "${firmware[@]}" -kernel "$kernel" -initrd "$scratch/initramfs.cpio" -append "$append"
        -chardev "file,id=console,path=$scratch/raw-console.log" -serial chardev:console)
    # shellcheck disable=SC2206 # word splitting of the extra arguments is intended
    [ -n "${RAW_QEMU_EXTRA:-}" ] && argv+=(${RAW_QEMU_EXTRA})
    "${argv[@]}"
}

# measure NAME CMD... -> "WALL_MS CPU_MS": wall time, and CPU time (user + system) of the command
# and every child it waited for (the runner, qemu and the file servers are among them). CPU time
# barely depends on the machine's load, so it is the steadier figure on a busy machine.
measure() {
    local name=$1 wall user sys
    shift
    local TIMEFORMAT='%R %U %S'
    if ! { time "$@" </dev/null >"$scratch/$name.out" 2>&1; } 2>"$scratch/$name.time"; then
        cat "$scratch/$name.out" >&2
        die "$name failed: $*"
    fi
    read -r wall user sys <"$scratch/$name.time"
    awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { printf "%d %d\n", w * 1000, (u + s) * 1000 }'
}

side_a() { measure a raw_qemu "$distro_kernel" q35 -numa node,memdev=mem; }
side_b() {
    if [ "$microvm_machine" = q35 ]; then
        measure b raw_qemu "$microvm_kernel" q35 -numa node,memdev=mem
    else
        measure b raw_qemu "$microvm_kernel" "$microvm_machine"
    fi
}
side_c() { MICROVM_KERNEL=$distro_kernel measure c "$microvm" run --rootfs "$rootfs" -- true; }
side_d() { measure d "$microvm" run --rootfs "$rootfs" -- true; }

# stats MS... -> "median min max" in seconds
stats() { bench_stats 1000 "$@"; }

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "bench/boot: $n iterations each, interleaved; accel $accel, $(nproc) CPUs"
echo "  distribution kernel: $distro_kernel"
echo "  microvm kernel:      $microvm_kernel"
echo "  (a) raw qemu, q35, distribution kernel, /init = reboot(RB_POWER_OFF)"
echo "  (b) raw qemu, $microvm_machine, microvm kernel, same /init"
echo "  (c) microvm run --rootfs <busybox> -- true, distribution kernel (q35)"
echo "  (d) microvm run --rootfs <busybox> -- true, microvm kernel (q35)"
echo "  raw kernel command line: $append${RAW_QEMU_EXTRA:+; extra: $RAW_QEMU_EXTRA}"
echo "  raw firmware: ${firmware[*]:-the qemu default, SeaBIOS}"
load_before=$(load)

# Warm-up, not counted: fills microvm's initramfs cache and the page cache for every side.
for side in a b c d; do
    "side_$side" >/dev/null
done

declare -A wall cpu
for i in $(seq "$n"); do
    line="  #$i"
    for side in a b c d; do
        read -r w c < <("side_$side")
        wall[$side]+="$w "
        cpu[$side]+="$c "
        line+=$(awk -v s="$side" -v w="$w" -v c="$c" 'BEGIN { printf "  %s %6.3f s (cpu %6.3f)", s, w / 1000, c / 1000 }')
    done
    echo "$line"
done

echo
printf '%-44s %8s %8s %8s   %s\n' "seconds (wall)" median min max "cpu median"
declare -A labels=([a]="(a) raw qemu + distribution kernel" [b]="(b) raw qemu + microvm kernel"
    [c]="(c) microvm run -- true, distribution kernel" [d]="(d) microvm run -- true, microvm kernel")
for side in a b c d; do
    # shellcheck disable=SC2086 # the lists are space-separated numbers
    read -r med min max < <(stats ${wall[$side]})
    # shellcheck disable=SC2086
    read -r cmed _ _ < <(stats ${cpu[$side]})
    printf '%-44s %8s %8s %8s   %8s\n' "${labels[$side]}" "$med" "$min" "$max" "$cmed"
done
echo "load average: before $load_before, after $(load)"
