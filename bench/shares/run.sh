#!/usr/bin/env bash
# What the privilege filter on a read-write share's file server costs (docs/SECURITY.md), side by
# side in one run, interleaved (a, b, a, b, ...) so that machine load weighs on both alike:
#   (a) -v DIR:/rw:rw,suid,dev   the opt-ins: virtiofsd with no filter and all its capabilities
#   (b) -v DIR:/rw               the default: seccomp filter, no CAP_MKNOD/SETFCAP/FSETID
# The guest creates, writes, chmods and removes FILES files in the share (every one of those
# calls crosses the filter; none is refused), then the VM ends.
#
#   bench/shares/run.sh [BUILD_DIR]          (default: build)
#
# Environment: N=5 iterations of each side, FILES=2000.
# Prints the median, min and max wall time of each side and the ratio of the medians (b / a).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
n=${N:-5}
files=${FILES:-2000}
microvm="$build/bin/microvm"

die() {
    echo "bench/shares: $*" >&2
    exit 1
}

[ -x "$microvm" ] || die "$microvm is missing; build first (cmake --build $build)"
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"
[[ "$files" =~ ^[1-9][0-9]*$ ]] || die "FILES must be a positive integer"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/microvm-bench-shares-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export MICROVM_DATA_DIR="$scratch/data"
bash "$repo/scripts/make-busybox-rootfs.sh" "$scratch/rootfs" >/dev/null
mkdir -p "$scratch/share"

script="i=0; while [ \$i -lt $files ]; do echo data > /rw/f\$i; chmod 600 /rw/f\$i; i=\$((i+1)); done; rm -f /rw/f*"

# One run of a side; prints its wall time in milliseconds.
run_side() {
    local volume=$1 start end
    start=$(date +%s%N)
    "$microvm" run --rootfs "$scratch/rootfs" -v "$volume" -- sh -c "$script" 2>/dev/null ||
        die "the run with -v $volume failed"
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

declare -a side_a side_b
for ((i = 0; i < n; i++)); do
    side_a+=("$(run_side "$scratch/share:/rw:rw,suid,dev")")
    side_b+=("$(run_side "$scratch/share:/rw")")
done

# median min max of the arguments
stats() {
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; print m, v[1], v[NR]}'
}
read -r a_med a_min a_max < <(stats "${side_a[@]}")
read -r b_med b_min b_max < <(stats "${side_b[@]}")
printf '%-44s %8s %8s %8s\n' "side ($files files, N=$n)" median min max
printf '%-44s %6s ms %5s ms %5s ms\n' "(a) rw,suid,dev: no filter" "$a_med" "$a_min" "$a_max"
printf '%-44s %6s ms %5s ms %5s ms\n' "(b) rw (default): filter, fewer capabilities" "$b_med" "$b_min" "$b_max"
awk -v a="$a_med" -v b="$b_med" 'BEGIN {printf "ratio b/a: %.3f\n", b / a}'
