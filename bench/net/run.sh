#!/usr/bin/env bash
# What an egress policy costs the guest's own connections, side by side in one run: the same
# busybox VM image twice, detached,
#   slirp    no policy: QEMU's built-in user network (-netdev user)
#   policy   --egress-allow for the test host: the runner's filter, DNS answerer and libslirp
#            behind -netdev dgram
# against a test host in a network namespace of the bench's own (198.18.2.2 on a veth pair;
# nothing else is contacted), measured from inside each guest with `microvm exec`:
#   throughput  SIZE_MIB of zeros, guest -> test host: `tcp_send HOST 9000 SIZE_MIB` (tcp_send.c,
#               static, 64 KiB writes; busybox nc copies 1 KiB at a time and measures the guest's
#               syscalls more than the network) into a socat sink; the wall time of the exec
#               (its ~50 ms start is < 1% at the default size)
#   latency     N sequential TCP connections, each `nc HOST 80` reading a one-line answer; the
#               exec's wall time / N (its start spread over N)
# Runs interleave (slirp, policy, slirp, ...), REPS of each; medians.
#
#   bench/net/run.sh [BUILD_DIR]          (default: build; run as root: it makes a netns)
#
# Environment:
#   SIZE_MIB=64     bytes per throughput run, in MiB
#   N=50            connections per latency run
#   REPS=5          runs of each kind
#   KEEP=1          keep the scratch directory and print its path
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" net "$@"
size_mib=${SIZE_MIB:-64}
n=${N:-50}
reps=${REPS:-5}

[ -x "$microvm" ] || die "$microvm is missing; build first (cmake --build $build)"
[ "$(id -u)" -eq 0 ] || die "needs root (it makes a network namespace and a veth pair)"
for tool in ip socat cc; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup-deps.sh)"
done

scratch=$(mktemp -d /tmp/microvm-bench-net.XXXXXX)
ns=microvm-bench-net-$$
veth=mvbn$$
export MICROVM_DATA_DIR=$scratch/data
host_ip=198.18.2.2

cleanup() {
    "$microvm" rm -f bench-slirp bench-policy >/dev/null 2>&1 || true
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$veth-h" 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then
        echo "bench/net: kept $scratch" >&2
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT

# The test host: a sink on 9000 and a one-line answer on 80.
ip netns add "$ns"
ip link add "$veth-h" type veth peer name "$veth-n"
ip link set "$veth-n" netns "$ns"
ip addr add 198.18.2.1/24 dev "$veth-h"
ip link set "$veth-h" up
ip netns exec "$ns" ip addr add "$host_ip/24" dev "$veth-n"
ip netns exec "$ns" ip link set "$veth-n" up
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" socat -u TCP-LISTEN:9000,bind=$host_ip,fork,reuseaddr OPEN:/dev/null &
ip netns exec "$ns" socat TCP-LISTEN:80,bind=$host_ip,fork,reuseaddr SYSTEM:'echo ok' 2>/dev/null &

"$repo/scripts/make-busybox-rootfs.sh" "$scratch/rootfs" >/dev/null
cc -static -O2 -s -o "$scratch/rootfs/bin/tcp_send" "$here/tcp_send.c" || die "cannot build tcp_send.c"
"$microvm" run -d --name bench-slirp --rootfs "$scratch/rootfs" -- sleep 3600 >/dev/null
"$microvm" run -d --name bench-policy --rootfs "$scratch/rootfs" \
    --egress-allow "$host_ip" -- sleep 3600 >/dev/null

# Both answer an exec before any measurement (the guest's boot is not measured).
for vm in bench-slirp bench-policy; do
    for _ in $(seq 300); do
        "$microvm" exec "$vm" true 2>/dev/null && break
        sleep 0.2
    done
    "$microvm" exec "$vm" sh -c "echo | nc $host_ip 80" | grep -q ok ||
        die "$vm cannot reach the test host"
done

wall_ms() { # COMMAND... -> milliseconds of wall time
    local start=$EPOCHREALTIME
    "$@" >/dev/null
    echo $(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
}

declare -A put latency
for rep in $(seq "$reps"); do
    for vm in bench-slirp bench-policy; do
        put[$vm]+=" $(wall_ms "$microvm" exec "$vm" tcp_send "$host_ip" 9000 "$size_mib")"
        latency[$vm]+=" $(wall_ms "$microvm" exec "$vm" sh -c \
            "i=0; while [ \$i -lt $n ]; do nc $host_ip 80 </dev/null >/dev/null; i=\$((i+1)); done")"
    done
    echo "bench/net: round $rep of $reps done" >&2
done

# shellcheck disable=SC2086
read -r slirp_put _ _ <<<"$(bench_stats 1 ${put[bench-slirp]})"
# shellcheck disable=SC2086
read -r policy_put _ _ <<<"$(bench_stats 1 ${put[bench-policy]})"
# shellcheck disable=SC2086
read -r slirp_lat _ _ <<<"$(bench_stats "$n" ${latency[bench-slirp]})"
# shellcheck disable=SC2086
read -r policy_lat _ _ <<<"$(bench_stats "$n" ${latency[bench-policy]})"

printf 'throughput, %d MiB guest -> test host (median of %d, wall ms; MiB/s)\n' "$size_mib" "$reps"
printf '  slirp   %8.0f ms  %7.1f MiB/s\n' "$slirp_put" "$(echo "$size_mib * 1000 / $slirp_put" | bc -l)"
printf '  policy  %8.0f ms  %7.1f MiB/s\n' "$policy_put" "$(echo "$size_mib * 1000 / $policy_put" | bc -l)"
printf '  policy / slirp throughput: %.2fx (goal >= 0.9x)\n' "$(echo "$slirp_put / $policy_put" | bc -l)"
printf 'latency, %d sequential connections (median of %d, ms per connection)\n' "$n" "$reps"
printf '  slirp   %8.2f ms\n' "$slirp_lat"
printf '  policy  %8.2f ms\n' "$policy_lat"
printf '  policy - slirp: %+.2f ms per connection (goal <= +1 ms)\n' \
    "$(echo "$policy_lat - $slirp_lat" | bc -l)"
for vm in bench-slirp bench-policy; do
    echo "  $vm: put ms${put[$vm]}; latency run ms${latency[$vm]}"
done
