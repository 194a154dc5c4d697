#!/usr/bin/env bash
# What `microvm exec` costs, side by side in one run, against the floors it is built on.
#
# 1. Round trip, interleaved (exec, host, ..., with a fresh run in each of the first RUNS rounds):
#    (a) microvm run --rootfs <busybox> -- true      a fresh VM for the one command
#    (b) microvm exec NAME true                      the same command in a running busybox VM
#    (c) /usr/bin/true on the host                   the floor of the timing method itself
#    and, to tell where (b)'s time goes:
#    (d) microvm exec -d NAME true                   returns once the guest reports 'started'
#    (e) microvm exec <no such VM> true              the CLI's start and VM lookup (exits 125)
#    (f) the exec session alone                      python3 on the VM's exec socket: open ->
#                                                    exited, no CLI (timed inside python)
#    (g) the raw channel's round trip                16 bytes to the raw VM's /init and back
#                                                    (timed inside python)
#    (a)-(e) are the wall time of the host command, taken with bash's $EPOCHREALTIME.
#
# 2. Throughput, SIZE_MIB of zeros, interleaved (raw, exec, raw, exec, ...):
#    echo   host -> guest -> host at once: `head -c | microvm exec -i NAME cat | wc -c`
#    g->h   guest -> host: `microvm exec NAME dd if=/dev/zero bs=64k | wc -c`, and the same with
#           busybox `head -c N /dev/zero` (which writes small pieces and is CPU-bound itself)
#    h->g   host -> guest: `head -c | microvm exec -i NAME sh -c 'cat > /dev/null'`
#    and, for scale, one pipe hop inside the guest with no channel: `microvm exec NAME sh -c
#    'dd if=/dev/zero bs=64k | cat > /dev/null'`
#    against the raw virtio-serial channel: qemu alone, the same kernel, machine, firmware, CPU
#    and memory, one virtserialport whose host end is a `-chardev socket,server=on`, and an
#    initramfs whose /init (serial_init.c, static) echoes, writes or reads on the port; the host
#    side is `python3 channel.py raw ...`. Both sides are timed the same way: the wall time of
#    the host command that moves the bytes, process start included.
#
#   bench/exec/run.sh [BUILD_DIR]          (default: build)
#
# Environment:
#   N=30            exec round trips (and host ones)
#   RUNS=5          fresh `microvm run -- true`
#   SIZE_MIB=256    bytes per transfer, in MiB
#   REPS=3          transfers of each kind
#   HEAD=1          also measure g->h with busybox head -c (0: skip it, it is the slowest)
#   MICROVM_GUEST_KERNEL  the microvm kernel (default: scripts/build-kernel.sh --path, its
#                   vmlinux beside it as the engine boots it)
#   KEEP=1          keep the scratch directory (console logs, outputs) and print its path
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" exec "$@"
n=${N:-30}
runs=${RUNS:-5}
size_mib=${SIZE_MIB:-256}
reps=${REPS:-3}
with_head=${HEAD:-1}

[ -x "$microvm" ] || die "$microvm is missing; build first (cmake --build $build)"
[ -x "$build/bin/microvm-runner" ] || die "$build/bin/microvm-runner is missing"
[ -x "$build/bin/microvm-init" ] || die "$build/bin/microvm-init is missing"
for tool in qemu-system-x86_64 python3 cc timeout head wc; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
for value in "$n" "$runs" "$size_mib" "$reps"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] || die "N, RUNS, SIZE_MIB and REPS must be positive integers"
done
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or later is needed (\$EPOCHREALTIME)"
host_true=$(type -P true) || die "no true binary on the host"
# The interpreter itself, not a version manager's shim, and without site-packages (-S): a pyenv
# shim plus site start-up cost ~1 s here, against ~0.05 s for the bare interpreter.
python=$(python3 -I -S -c 'import sys; print(sys.executable)') || die "python3 does not run"
channel() { "$python" -I -S "$here/channel.py" "$@"; }

microvm_kernel=${MICROVM_GUEST_KERNEL:-$("$repo/scripts/build-kernel.sh" --path)}
[ -r "$microvm_kernel" ] || die "no microvm kernel at $microvm_kernel: run make kernel"
if [ -z "${MICROVM_GUEST_KERNEL:-}" ] && [ -r "$(dirname "$microvm_kernel")/vmlinux" ]; then
    microvm_kernel=$(dirname "$microvm_kernel")/vmlinux
fi
unset MICROVM_KERNEL

bytes=$((size_mib * 1024 * 1024))
# Every transfer and every VM is bounded: 2 s per MiB is 0.5 MB/s, far below anything seen.
transfer_limit=$((60 + 2 * size_mib))
vm_limit=$((900 + reps * 8 * transfer_limit))
export STALL=60

scratch=$(mktemp -d "${TMPDIR:-/tmp}/microvm-bench-exec-XXXXXX")
export MICROVM_DATA_DIR="$scratch/data"
vm=bench-exec-$$
vm_started=0
qemu_pid=
cleanup() {
    trap - EXIT INT TERM
    if [ "$vm_started" = 1 ]; then
        timeout 60 "$microvm" rm -f "$vm" >/dev/null 2>&1 ||
            echo "bench/exec: could not remove the VM $vm (MICROVM_DATA_DIR=$MICROVM_DATA_DIR)" >&2
    fi
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "scratch kept: $scratch"
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the raw side: /init (static) in an uncompressed newc cpio, written here as bench/boot does.
cc -static -Os -s -o "$scratch/init" "$here/serial_init.c" || die "cannot build serial_init.c"
write_init_cpio "$scratch/init" "$scratch/initramfs.cpio"

# The engine's accelerator, CPU, memory, machine, firmware and kernel command line (kept in step
# with bench/boot/run.sh and runner/engine/qemu/qemu_argv.cpp), plus the engine's virtio-serial
# device with one port, whose host end is a listening socket.
accel=tcg
cpu=max
if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
    { [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; }; then
    accel=kvm
    cpu=host
fi
append="console=ttyS0 quiet panic=-1 cryptomgr.notests"
[ "$accel" = tcg ] && append+=" noapictimer no_timer_check"
qboot="$(dirname "$(dirname "$(command -v qemu-system-x86_64)")")/share/qemu/qboot.rom"
firmware=()
[ -f "$qboot" ] && [ -r "$qboot" ] && firmware=(-bios "$qboot")
raw_sock="$scratch/raw.sock"
start_raw_vm() {
    # shellcheck disable=SC2054 # the commas are qemu's option syntax
    timeout -s KILL "$vm_limit" qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "$cpu" \
        -m 512M -smp 1 -object memory-backend-memfd,id=mem,size=512M,share=on \
        -numa node,memdev=mem -nodefaults -no-user-config -nographic -no-reboot \
        "${firmware[@]}" -kernel "$microvm_kernel" -initrd "$scratch/initramfs.cpio" \
        -append "$append" \
        -chardev "file,id=console,path=$scratch/raw-console.log" -serial chardev:console \
        -device virtio-serial-pci,id=vser0 \
        -chardev "socket,id=bench,path=$raw_sock,server=on,wait=off" \
        -device virtserialport,bus=vser0.0,chardev=bench,name=bench.raw \
        </dev/null >"$scratch/raw-qemu.log" 2>&1 &
    qemu_pid=$!
}
raw() { channel raw "$raw_sock" "$@"; }

# --- the microvm side: a busybox VM that runs until the bench removes it.
rootfs="$scratch/rootfs"
"$repo/scripts/make-busybox-rootfs.sh" "$rootfs" >/dev/null

# timed NAME CMD... -> the command's wall time in microseconds ($EPOCHREALTIME before and after);
# its output goes to $scratch/NAME.out, and a failure is fatal with its stderr shown.
timed() {
    local name=$1 start end
    shift
    start=${EPOCHREALTIME//[.,]/}
    if ! "$@" <"${TIMED_STDIN:-/dev/null}" >"$scratch/$name.out" 2>"$scratch/$name.err"; then
        cat "$scratch/$name.err" >&2
        die "$name failed: $*"
    fi
    end=${EPOCHREALTIME//[.,]/}
    echo $((end - start))
}
# expect_count NAME: the command printed the byte count of a whole transfer.
expect_count() {
    local got
    got=$(tr -d ' \n' <"$scratch/$1.out")
    [ "$got" = "$bytes" ] || die "$1 moved ${got:-nothing} bytes, not $bytes"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "bench/exec: accel $accel, $(nproc) CPUs, kernel $microvm_kernel"
echo "  round trips: N=$n exec and host, RUNS=$runs fresh runs; transfers: $size_mib MiB x REPS=$reps"
load_before=$(load)

start_raw_vm
timeout 120 "$microvm" run -d --name "$vm" --rootfs "$rootfs" -- sleep "$vm_limit" \
    >"$scratch/run-d.out" 2>"$scratch/run-d.err" || {
    cat "$scratch/run-d.err" >&2
    die "microvm run -d failed"
}
vm_started=1
# Ready when an exec answers (the agent starts before the workload).
deadline=$((SECONDS + 120))
until timeout 20 "$microvm" exec "$vm" true >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "the VM $vm did not answer an exec within 120 s"
    sleep 0.2
done
raw wait 120 || die "the raw VM did not come up (console: $(tail -c 300 "$scratch/raw-console.log" 2>/dev/null))"
exec_sock="$MICROVM_DATA_DIR/vms/$vm/run/exec.sock"
[ -S "$exec_sock" ] || die "no exec socket at $exec_sock"

# Warm-up, not counted: the CLI binary, the guest's busybox and the initramfs cache.
timed warm-run "$microvm" run --rootfs "$rootfs" -- true >/dev/null
for _ in 1 2 3; do timed warm-exec "$microvm" exec "$vm" true >/dev/null; done

# --- 1. round trips
declare -a fresh exec_rt exec_d host_rt nosuch
for ((i = 0; i < n || i < runs; i++)); do
    if ((i < n)); then
        exec_rt+=("$(timed exec timeout 20 "$microvm" exec "$vm" true)")
        host_rt+=("$(timed host "$host_true")")
        exec_d+=("$(timed exec-d timeout 20 "$microvm" exec -d "$vm" true)")
        start=${EPOCHREALTIME//[.,]/}
        status=0
        timeout 20 "$microvm" exec "bench-exec-no-such-vm-$$" true >/dev/null 2>&1 || status=$?
        end=${EPOCHREALTIME//[.,]/}
        [ "$status" = 125 ] || die "exec on a missing VM exited $status, not 125"
        nosuch+=($((end - start)))
    fi
    if ((i < runs)); then
        fresh+=("$(timed fresh timeout 120 "$microvm" run --rootfs "$rootfs" -- true)")
    fi
done
read -r -a session_rt < <(channel exec "$exec_sock" "$n") ||
    die "the exec sessions on $exec_sock failed"
read -r -a raw_ping < <(raw ping "$n") || die "the raw pings failed"

# --- 2. throughput
exec_echo() { head -c "$bytes" /dev/zero | timeout "$transfer_limit" "$microvm" exec -i "$vm" cat | wc -c; }
exec_g2h() {
    timeout "$transfer_limit" "$microvm" exec "$vm" dd if=/dev/zero bs=65536 count=$((size_mib * 16)) | wc -c
}
exec_g2h_head() { timeout "$transfer_limit" "$microvm" exec "$vm" head -c "$bytes" /dev/zero | wc -c; }
exec_h2g() { head -c "$bytes" /dev/zero | timeout "$transfer_limit" "$microvm" exec -i "$vm" sh -c 'cat > /dev/null'; }
# Not a channel at all: what one pipe hop inside the guest costs (the exec'd process's output is
# a pipe to the agent), timed the same way (so the exec's own ~0.1 s is in it).
guest_pipe() {
    timeout "$transfer_limit" "$microvm" exec "$vm" sh -c \
        "dd if=/dev/zero bs=65536 count=$((size_mib * 16)) 2>/dev/null | cat > /dev/null"
}
raw_op() { timeout "$transfer_limit" "$python" -I -S "$here/channel.py" raw "$raw_sock" "$@"; }

# mbps MICROSECONDS -> MB/s (10^6 bytes per second) for one transfer of $bytes
mbps() { awk -v b="$bytes" -v us="$1" 'BEGIN { printf "%.3f\n", b / us }'; }
declare -A tput
kinds=(raw_echo exec_echo raw_g2h exec_g2h raw_h2g exec_h2g)
[ "$with_head" = 1 ] && kinds+=(exec_g2h_head)
kinds+=(guest_pipe)
for ((r = 1; r <= reps; r++)); do
    line="  #$r"
    for kind in "${kinds[@]}"; do
        case $kind in
        raw_echo) us=$(timed "$kind" raw_op echo "$bytes") ;;
        raw_g2h) us=$(timed "$kind" raw_op write "$bytes") ;;
        raw_h2g) us=$(timed "$kind" raw_op read "$bytes") ;;
        exec_h2g | guest_pipe) us=$(timed "$kind" "$kind") ;;
        *)
            us=$(timed "$kind" "$kind")
            expect_count "$kind"
            ;;
        esac
        tput[$kind]+="$(mbps "$us") "
        line+=$(printf '  %s %.1f' "$kind" "$(mbps "$us")")
    done
    echo "$line MB/s"
done
raw quit >/dev/null 2>&1 || true

# --- report
echo
printf '%-52s %8s %8s %8s\n' "round trip, ms" median min max
row() { # LABEL DIVISOR VALUES...
    local label=$1 median low high
    shift
    read -r median low high < <(bench_stats "$@")
    printf '%-52s %8s %8s %8s\n' "$label" "$median" "$low" "$high"
}
row "(a) microvm run --rootfs <busybox> -- true" 1000 "${fresh[@]}"
row "(b) microvm exec NAME true" 1000 "${exec_rt[@]}"
row "(c) $host_true on the host (the floor)" 1000 "${host_rt[@]}"
row "(d) microvm exec -d NAME true (until 'started')" 1000 "${exec_d[@]}"
row "(e) microvm exec <no such VM> true (CLI + lookup)" 1000 "${nosuch[@]}"
row "(f) exec session alone, python3 on exec.sock" 1000 "${session_rt[@]}"
row "(g) raw virtio-serial ping, qemu alone" 1000 "${raw_ping[@]}"
read -r fresh_med _ < <(bench_stats 1000 "${fresh[@]}")
read -r exec_med _ < <(bench_stats 1000 "${exec_rt[@]}")
awk -v a="$fresh_med" -v b="$exec_med" 'BEGIN {
    printf "exec median %.1f ms (goal <= 30 ms: %s); fresh run / exec: %.1fx (goal >= 30x: %s)\n",
        b, (b <= 30 ? "met" : "NOT met"), a / b, (a / b >= 30 ? "met" : "NOT met") }'

echo
printf '%-52s %8s %8s %8s\n' "throughput, MB/s ($size_mib MiB, REPS=$reps)" median min max
declare -A labels=(
    [raw_echo]="echo, raw channel (/init echoes)"
    [exec_echo]="echo, exec -i NAME cat"
    [raw_g2h]="guest -> host, raw channel"
    [exec_g2h]="guest -> host, exec NAME dd bs=64k"
    [exec_g2h_head]="guest -> host, exec NAME head -c (busybox)"
    [raw_h2g]="host -> guest, raw channel"
    [guest_pipe]="guest only: dd bs=64k | cat >/dev/null, no channel"
    [exec_h2g]="host -> guest, exec -i NAME sh -c 'cat >/dev/null'"
)
declare -A tput_med
for kind in "${kinds[@]}"; do
    # shellcheck disable=SC2086 # space-separated numbers
    read -r median low high < <(bench_stats 1 ${tput[$kind]})
    tput_med[$kind]=$median
    printf '%-52s %8s %8s %8s\n' "${labels[$kind]}" "$median" "$low" "$high"
done
for dir in echo g2h h2g; do
    awk -v d="$dir" -v e="${tput_med[exec_$dir]}" -v r="${tput_med[raw_$dir]}" 'BEGIN {
        printf "ratio exec / raw, %-5s %.2f (goal >= 0.7: %s)\n", d, e / r, (e / r >= 0.7 ? "met" : "NOT met") }'
done
echo "load average: before $load_before, after $(load)"
