#!/usr/bin/env bash
# Pull benchmark: a cold pull + unpack of a multi-layer Debian minbase image (> 100 MB
# unpacked) from a local docker-registry, `microvm pull` against `skopeo copy` + `umoci unpack`
# of the same image, in one run, interleaved (a, b, a, b, ...) so machine load weighs on both.
# Every iteration starts cold: a fresh microvm data directory, a fresh OCI layout and bundle.
#
#   bench/pull/run.sh [BUILD_DIR]          (default: build)
#
# Environment:
#   N=3            iterations of each side
#   SUITE=bookworm the Debian release debootstrap builds (from $MIRROR)
#   MIRROR=http://deb.debian.org/debian
#   IMAGE_CACHE    where the built OCI layout is kept between runs
#                  (default /var/tmp/microvm-bench-pull-<suite>); delete it to rebuild
#   KEEP=1         keep the scratch directory and print its path
#   PREPARE_ONLY=1 build the image (if it is not cached) and stop
#
# Prints the median, min and max wall time of each side and the ratio of the medians (b/a).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
n=${N:-3}
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
cache=${IMAGE_CACHE:-/var/tmp/microvm-bench-pull-$suite}
microvm="$build/bin/microvm"

die() {
    echo "bench/pull: $*" >&2
    exit 1
}

for tool in umoci skopeo docker-registry; do
    command -v "$tool" >/dev/null || die "$tool is missing; run scripts/setup-deps.sh"
done
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, and umoci unpack keeping owners)"

scratch=$(mktemp -d /tmp/microvm-bench-pull.XXXXXX)
registry_pid=
cleanup() {
    if [ -n "$registry_pid" ]; then
        kill "$registry_pid" 2>/dev/null || true
        wait "$registry_pid" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "scratch kept: $scratch"
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT

# --- The image: debootstrap minbase, packed with umoci as three layers -------------------------
# Layers: everything but /usr, then /usr/lib, then the rest of /usr: several layers of a real
# distribution, as images built by Dockerfiles have.
build_image() {
    command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
    local work="$cache.partial"
    rm -rf "$work"
    mkdir -p "$work"
    echo "bench/pull: building a $suite minbase image in $cache (once)" >&2
    debootstrap --variant=minbase "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        die "debootstrap failed; see $work/debootstrap.log"
    umoci init --layout "$work/layout"
    umoci new --image "$work/layout:1"
    local bundle="$work/bundle"
    add_layer() { # add_layer RSYNC-LIKE-FILTER...: copies part of the tree and repacks
        rm -rf "$bundle"
        umoci unpack --image "$work/layout:1" "$bundle"
        "$@"
        umoci repack --image "$work/layout:1" "$bundle"
    }
    add_layer sh -c "cd '$work/root' && tar --exclude=./usr -cf - . | tar -xpf - -C '$bundle/rootfs'"
    add_layer sh -c "cd '$work/root' && tar -cf - ./usr/lib | tar -xpf - -C '$bundle/rootfs'"
    add_layer sh -c "cd '$work/root' && tar --exclude=./usr/lib -cf - ./usr | tar -xpf - -C '$bundle/rootfs'"
    umoci config --image "$work/layout:1" --os linux --architecture amd64 --config.cmd /bin/bash
    umoci gc --layout "$work/layout"
    rm -rf "$bundle" "$work/root"
    mv "$work" "$cache"
}
[ -f "$cache/layout/index.json" ] || build_image
[ "${PREPARE_ONLY:-0}" = 1 ] && exit 0
[ -x "$microvm" ] || die "$microvm is missing; build first (cmake --build $build)"

# --- The registry: docker-registry on a free loopback port, storage in the scratch dir ---------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$scratch/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $scratch/registry
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$scratch/registry.yml" >"$scratch/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break
    sleep 0.1
done
ref="127.0.0.1:$port/bench/debian:1"
skopeo copy -q --dest-tls-verify=false "oci:$cache/layout:1" "docker://$ref"
size_mb=$(du -sm "$scratch/registry" | cut -f1)

# --- Measurements -------------------------------------------------------------------------------
now() { date +%s.%N; }
# Each side prints its wall time in seconds.
side_microvm() { # cold: a fresh data directory
    local dir="$scratch/microvm-$1"
    local t0 t1
    t0=$(now)
    MICROVM_DATA_DIR="$dir" "$microvm" pull "$ref" >/dev/null || die "microvm pull failed"
    t1=$(now)
    echo "$t1 - $t0" | bc
    rm -rf "$dir"
}
side_peer() { # cold: a fresh layout and bundle
    local dir="$scratch/peer-$1"
    local t0 t1
    t0=$(now)
    mkdir -p "$dir"
    skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$dir/layout:1" || die "skopeo failed"
    umoci unpack --image "$dir/layout:1" "$dir/bundle" >/dev/null || die "umoci unpack failed"
    t1=$(now)
    echo "$t1 - $t0" | bc
    rm -rf "$dir"
}

# stats SECONDS... -> "median min max"
stats() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
        m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
        printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}

a=()
b=()
for i in $(seq "$n"); do
    t=$(side_microvm "$i") || exit 1
    a+=("$t")
    t=$(side_peer "$i") || exit 1
    b+=("$t")
done
read -r a_med a_min a_max < <(stats "${a[@]}")
read -r b_med b_min b_max < <(stats "${b[@]}")

echo "image: $suite minbase, 3 layers, ${size_mb} MB compressed in the registry; N=$n, cold each time"
printf '%-42s %8s %8s %8s\n' "seconds" median min max
printf '%-42s %8s %8s %8s\n' "a: microvm pull (fetch + verify + unpack)" "$a_med" "$a_min" "$a_max"
printf '%-42s %8s %8s %8s\n' "b: skopeo copy + umoci unpack" "$b_med" "$b_min" "$b_max"
printf 'ratio b/a (medians): %s\n' "$(echo "scale=2; $b_med / $a_med" | bc)"
