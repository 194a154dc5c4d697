#!/usr/bin/env bash
# What the privilege filter on a read-write share's file server costs (docs/SECURITY.md), side by
# side in one run, interleaved (a, b, a, b, ...) so that machine load weighs on both alike:
#   (a) -v DIR:/rw:rw,suid,dev   the opt-ins: virtiofsd keeps its capabilities, and its filter
#                                only hands xattr writes to the runner (a handful of rules)
#   (b) -v DIR:/rw               the default: the whole filter (mode and device rules too), no
#                                CAP_MKNOD/SETFCAP/FSETID
# The guest creates, writes, chmods and removes FILES files in the share (every one of those
# calls crosses the filter; none is refused), then the VM ends.
#
#   bench/shares/run.sh [BUILD_DIR]          (default: build)
#
# Environment: N=5 iterations of each side, FILES=2000.
# Prints the median, min and max wall time of each side and the ratio of the medians (b / a).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" shares "$@"
n=${N:-5}
files=${FILES:-2000}

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

read -r a_med a_min a_max < <(bench_stats 1000 "${side_a[@]}")
read -r b_med b_min b_max < <(bench_stats 1000 "${side_b[@]}")
printf '%-44s %8s %8s %8s\n' "seconds ($files files, N=$n)" median min max
printf '%-44s %8s %8s %8s\n' "(a) rw,suid,dev: xattr rules only" "$a_med" "$a_min" "$a_max"
printf '%-44s %8s %8s %8s\n' "(b) rw (default): the whole filter" "$b_med" "$b_min" "$b_max"
awk -v a="$a_med" -v b="$b_med" 'BEGIN {printf "ratio b/a: %.3f\n", b / a}'
