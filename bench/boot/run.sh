#!/usr/bin/env bash
# Boot benchmark: `microvm run --rootfs <busybox> -- true` against raw qemu booting the same
# kernel with a minimal initramfs whose /init powers off at once. Both are measured in one run,
# interleaved (a, b, a, b, ...), so machine load weighs on both sides alike.
#
#   bench/boot/run.sh [BUILD_DIR]          (default: build)
#
# Environment:
#   N=5                 iterations of each side
#   MICROVM_KERNEL      the guest kernel (default: what microvm picks, the newest /boot/vmlinuz-*
#                       with /lib/modules/<version>)
#   RAW_QEMU_EXTRA=""   extra arguments for the raw qemu side only (e.g. "-bios /usr/share/qemu/qboot.rom")
#   RAW_APPEND          the raw side's kernel command line (default: the engine's base line,
#                       "console=ttyS0 quiet panic=-1"); set it to the engine's when that changes
#   KEEP=1              keep the scratch directory (initramfs, console logs) and print its path
#
# Prints the median, min and max wall time of each side and the ratio of the medians (b/a).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
n=${N:-5}
microvm="$build/bin/microvm"

die() {
    echo "bench/boot: $*" >&2
    exit 1
}

[ -x "$microvm" ] || die "$microvm is missing; build first (cmake --build $build)"
[ -x "$build/bin/microvm-runner" ] || die "$build/bin/microvm-runner is missing"
[ -x "$build/bin/microvm-init" ] || die "$build/bin/microvm-init is missing"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing"
command -v cc >/dev/null || die "a C compiler (cc) is needed for the baseline's /init"
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"

# The engine's choice of kernel: the newest /boot/vmlinuz-* whose modules are installed.
kernel=${MICROVM_KERNEL:-}
if [ -z "$kernel" ]; then
    while read -r k; do
        if [ -d "/lib/modules/${k#/boot/vmlinuz-}" ]; then
            kernel=$k
            break
        fi
    done < <(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -rV)
fi
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
    die "no readable guest kernel (set MICROVM_KERNEL)"
fi

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

cpio_entry() { # NAME MODE [FILE]
    local name=$1 mode=$2 file=${3:-} size=0 namesize pad
    [ -n "$file" ] && size=$(stat -c %s "$file")
    namesize=$((${#name} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        1 "$mode" 0 0 1 0 "$size" 0 0 0 0 "$namesize" 0
    printf '%s\0' "$name"
    pad=$(((4 - (110 + namesize) % 4) % 4))
    head -c "$pad" /dev/zero
    if [ -n "$file" ]; then
        cat "$file"
        head -c $(((4 - size % 4) % 4)) /dev/zero
    fi
}
{
    cpio_entry init $((0100755)) "$scratch/init"
    cpio_entry TRAILER!!! 0
} >"$scratch/initramfs.cpio"

# --- the microvm side: a busybox rootfs and a data directory of the bench's own.
rootfs="$scratch/rootfs"
"$repo/scripts/make-busybox-rootfs.sh" "$rootfs" >/dev/null
export MICROVM_DATA_DIR="$scratch/data"
export MICROVM_KERNEL="$kernel"

# Same machine, accelerator, CPU, memory and console as the qemu engine (runner/engine/qemu/
# qemu_argv.cpp and accelerator.cpp with the CLI's defaults: q35; KVM only when /dev/kvm opens
# read-write and a hardware KVM module is loaded, else TCG; 1 vCPU; 512 MiB).
accel=tcg
cpu=max
if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
    { [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; }; then
    accel=kvm
    cpu=host
fi
# shellcheck disable=SC2054 # the commas are qemu's option syntax
raw_qemu=(qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "$cpu" -m 512M -smp 1
    -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem
    -nodefaults -no-user-config -nographic -no-reboot
    -kernel "$kernel" -initrd "$scratch/initramfs.cpio" -append "${RAW_APPEND:-console=ttyS0 quiet panic=-1}"
    -chardev "file,id=console,path=$scratch/raw-console.log" -serial chardev:console)
# shellcheck disable=SC2206 # word splitting of the extra arguments is intended
[ -n "${RAW_QEMU_EXTRA:-}" ] && raw_qemu+=(${RAW_QEMU_EXTRA})

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

run_raw() { measure raw "${raw_qemu[@]}"; }
run_microvm() { measure microvm "$microvm" run --rootfs "$rootfs" -- true; }

# stats MS... -> "median min max" in seconds
stats() {
    printf '%s\n' "$@" | sort -n | awk '
        { v[NR] = $1 }
        END {
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.3f %.3f %.3f\n", med / 1000, v[1] / 1000, v[NR] / 1000
        }'
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "bench/boot: $n iterations each, interleaved; kernel $kernel, accel $accel, $(nproc) CPUs"
echo "  (a) raw qemu, /init = reboot(RB_POWER_OFF)"
echo "  (b) microvm run --rootfs <busybox> -- true"
echo "  (a)'s kernel command line: ${RAW_APPEND:-console=ttyS0 quiet panic=-1}${RAW_QEMU_EXTRA:+; extra: $RAW_QEMU_EXTRA}"
load_before=$(load)

# Warm-up, not counted: fills microvm's initramfs cache and the page cache for both sides.
run_raw >/dev/null
run_microvm >/dev/null

raw_wall=() raw_cpu=() vm_wall=() vm_cpu=()
for i in $(seq "$n"); do
    read -r w c < <(run_raw)
    raw_wall+=("$w") raw_cpu+=("$c")
    read -r w c < <(run_microvm)
    vm_wall+=("$w") vm_cpu+=("$c")
    awk -v i="$i" -v aw="${raw_wall[-1]}" -v ac="${raw_cpu[-1]}" -v bw="${vm_wall[-1]}" \
        -v bc="${vm_cpu[-1]}" 'BEGIN { printf "  #%d  a %6.3f s (cpu %6.3f)   b %6.3f s (cpu %6.3f)\n",
                                       i, aw / 1000, ac / 1000, bw / 1000, bc / 1000 }'
done

row() { # LABEL MS...
    local label=$1 med min max
    shift
    read -r med min max < <(stats "$@")
    printf '%-34s %8s %8s %8s\n' "$label" "$med" "$min" "$max"
    echo "$med" >"$scratch/median"
}
ratio() { # LABEL A_MEDIAN B_MEDIAN
    awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-34s %8.2f   (b - a: %.3f s)\n", l, b / a, b - a }'
}
echo
printf '%-34s %8s %8s %8s\n' "seconds" median min max
row "(a) raw qemu + power-off init" "${raw_wall[@]}"
a_wall=$(<"$scratch/median")
row "(b) microvm run -- true" "${vm_wall[@]}"
b_wall=$(<"$scratch/median")
row "(a) CPU time (user + sys)" "${raw_cpu[@]}"
a_cpu=$(<"$scratch/median")
row "(b) CPU time (user + sys)" "${vm_cpu[@]}"
b_cpu=$(<"$scratch/median")
echo
ratio "ratio b/a, wall-time medians" "$a_wall" "$b_wall"
ratio "ratio b/a, CPU-time medians" "$a_cpu" "$b_cpu"
echo "load average: before $load_before, after $(load)"
