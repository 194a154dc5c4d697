#!/usr/bin/env bash
# Pull benchmark, two parts in one run:
#
# cold: a cold pull + unpack of a multi-layer Debian minbase image (> 100 MB unpacked) from a
#   local docker-registry, `microvm pull` against `skopeo copy` + `umoci unpack` of the same
#   image, interleaved (a, b, a, b, ...) so machine load weighs on both. Every iteration starts
#   cold: a fresh microvm data directory, a fresh OCI layout and bundle.
# warm: microvm::run() of an image already in the store, until it returns (the runner has
#   started), for a small image (busybox, ~1 MB) and the large one, against the same run() on
#   the image's own unpacked tree as a prepared root (--rootfs): the baseline without the image
#   step. Timed by bench_warm_run (warm_run.cpp, built here), interleaved, after a warm-up.
#
#   bench/pull/run.sh [BUILD_DIR]          (default: build)
#
# Environment:
#   PARTS="cold warm"  which parts to run
#   N=3            iterations of each side (cold)
#   WARM_N=7       iterations of each target (warm)
#   NO_BUILD=1     use BUILD_DIR/bin/bench_warm_run as it is instead of building it
#   SUITE=bookworm the Debian release debootstrap builds (from $MIRROR)
#   MIRROR=http://deb.debian.org/debian
#   IMAGE_CACHE    where the built OCI layout is kept between runs
#                  (default /var/tmp/microvm-bench-pull-<suite>); delete it to rebuild
#   KEEP=1         keep the scratch directory and print its path
#   PREPARE_ONLY=1 build the image (if it is not cached) and stop
#
# Prints the median, min and max wall time of each side and the ratio of the medians (b/a).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" pull "$@"
n=${N:-3}
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
cache=${IMAGE_CACHE:-/var/tmp/microvm-bench-pull-$suite}

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
parts=${PARTS:-cold warm}
warm_n=${WARM_N:-7}
[[ "$warm_n" =~ ^[1-9][0-9]*$ ]] || die "WARM_N must be a positive integer"

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

# --- Cold: microvm pull against skopeo copy + umoci unpack --------------------------------------
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
stats() { bench_stats 1 "$@"; }

cold() {
    local a=() b=() t i a_med a_min a_max b_med b_min b_max
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
}

# --- Warm: run() of a cached image until the runner has started ---------------------------------
# A small image: a static busybox, one layer.
build_small_image() {
    local work="$scratch/small"
    mkdir -p "$work"
    umoci init --layout "$work/layout"
    umoci new --image "$work/layout:1"
    umoci unpack --image "$work/layout:1" "$work/bundle" >/dev/null
    mkdir -p "$work/bundle/rootfs/bin"
    cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
    for applet in sh true; do ln -s busybox "$work/bundle/rootfs/bin/$applet"; done
    umoci repack --image "$work/layout:1" "$work/bundle"
    umoci config --image "$work/layout:1" --os linux --architecture amd64 --config.cmd /bin/true
    skopeo copy -q --dest-tls-verify=false "oci:$work/layout:1" "docker://127.0.0.1:$port/bench/small:1"
}

# rootfs_of DATA_DIR REF: the image's unpacked tree in the store
rootfs_of() {
    MICROVM_DATA_DIR="$1" "$microvm" images --format json | python3 -c '
import json, sys
ref = sys.argv[1]
for image in json.load(sys.stdin):
    if image["repository"] + ":" + image["tag"] == ref:
        print(sys.argv[2] + "/images/rootfs/" + image["manifest_digest"].split(":")[1])
' "$2" "$1"
}

warm() {
    command -v /bin/busybox >/dev/null || die "/bin/busybox is missing (busybox-static)"
    if [ "${NO_BUILD:-0}" != 1 ]; then
        cmake --build "$build" --target bench_warm_run microvm-runner microvm-init >/dev/null ||
            die "cannot build bench_warm_run"
    fi
    [ -x "$build/bin/bench_warm_run" ] || die "$build/bin/bench_warm_run is missing"
    build_small_image
    local data="$scratch/warm"
    local small="127.0.0.1:$port/bench/small:1"
    MICROVM_DATA_DIR="$data" "$microvm" pull "$small" >/dev/null || die "pull $small failed"
    MICROVM_DATA_DIR="$data" "$microvm" pull "$ref" >/dev/null || die "pull $ref failed"
    local small_root large_root
    small_root=$(rootfs_of "$data" "$small")
    large_root=$(rootfs_of "$data" "$ref")
    [ -d "$small_root" ] && [ -d "$large_root" ] || die "cached rootfs not found"
    local small_entries large_entries
    small_entries=$(find "$small_root" | wc -l)
    large_entries=$(find "$large_root" | wc -l)
    local out="$scratch/warm.txt"
    "$build/bin/bench_warm_run" --data-dir "$data" --iterations "$warm_n" --phases \
        "$small" "$ref" "rootfs:$small_root" "rootfs:$large_root" >"$out" ||
        die "bench_warm_run failed"
    # label -> "median min max"
    field() { grep -F "$1 " "$out" | head -1 | awk '{print $(NF-2), $(NF-1), $NF}'; }
    local s_img l_img s_root l_root s_step l_step s_view l_view
    read -r s_img s_img_min s_img_max < <(field "run $small")
    read -r l_img l_img_min l_img_max < <(field "run $ref")
    read -r s_root s_root_min s_root_max < <(field "run rootfs:$small_root")
    read -r l_root l_root_min l_root_max < <(field "run rootfs:$large_root")
    read -r s_step s_step_min s_step_max < <(field "image-step $small")
    read -r l_step l_step_min l_step_max < <(field "image-step $ref")
    read -r s_view s_view_min s_view_max < <(field "view $small")
    read -r l_view l_view_min l_view_max < <(field "view $ref")
    echo
    echo "warm run() until the runner has started; N=$warm_n, after one warm-up run each"
    echo "small: busybox, 1 layer, $small_entries entries; large: $suite minbase, 3 layers, $large_entries entries"
    printf '%-46s %8s %8s %8s\n' "seconds" median min max
    printf '%-46s %8s %8s %8s\n' "a: run small image" "$s_img" "$s_img_min" "$s_img_max"
    printf '%-46s %8s %8s %8s\n' "b: run large image" "$l_img" "$l_img_min" "$l_img_max"
    printf '%-46s %8s %8s %8s\n' "c: run --rootfs <small image's tree>" "$s_root" "$s_root_min" "$s_root_max"
    printf '%-46s %8s %8s %8s\n' "d: run --rootfs <large image's tree>" "$l_root" "$l_root_min" "$l_root_max"
    printf '%-46s %8s %8s %8s\n' "   of a/b: image step (small)" "$s_step" "$s_step_min" "$s_step_max"
    printf '%-46s %8s %8s %8s\n' "   of a/b: image step (large)" "$l_step" "$l_step_min" "$l_step_max"
    printf '%-46s %8s %8s %8s\n' "   of all: rootfs view (small)" "$s_view" "$s_view_min" "$s_view_max"
    printf '%-46s %8s %8s %8s\n' "   of all: rootfs view (large)" "$l_view" "$l_view_min" "$l_view_max"
    printf 'ratio large/small image (b/a): %s\n' "$(echo "scale=2; $l_img / $s_img" | bc)"
    printf 'ratio image/--rootfs, small (a/c): %s, large (b/d): %s\n' \
        "$(echo "scale=2; $s_img / $s_root" | bc)" "$(echo "scale=2; $l_img / $l_root" | bc)"
}

for part in $parts; do
    case "$part" in
    cold) cold ;;
    warm) warm ;;
    *) die "unknown part $part (PARTS: cold warm)" ;;
    esac
done
