#!/usr/bin/env bash
# `make demo`: boots a microVM that shares a host directory read-only, prints the shared file
# from inside the guest, and shows a write refused — also after the guest remounts the share
# read-write, because the host-side file server refuses it.
#   scripts/demo.sh [BUILD_DIR]
set -euo pipefail

build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
microvm="$top/$build/bin/microvm"
demo="$top/.demo"

mkdir -p "$demo"
if [ ! -x "$demo/rootfs/bin/busybox" ]; then
    "$top/scripts/make-busybox-rootfs.sh" "$demo/rootfs"
fi
mkdir -p "$demo/shared"
echo "hello from the host, $(date -u +%FT%TZ)" >"$demo/shared/hello.txt"
export MICROVM_DATA_DIR="$demo/data"

before=$(cd "$demo/shared" && ls -la --time-style=+%s . && sha256sum hello.txt)

guest_script='
echo "guest: cat /shared/hello.txt"
cat /shared/hello.txt
echo
echo "guest: echo pwned > /shared/hello.txt"
if echo pwned > /shared/hello.txt; then echo "  -> WRITE SUCCEEDED"; else echo "  -> refused"; fi
echo
echo "guest: mount -o remount,rw /shared   (a hostile guest drops its own MS_RDONLY)"
mount -o remount,rw /shared && grep " /shared " /proc/mounts | sed "s/^/  -> now mounted: /"
echo "guest: echo pwned > /shared/hello.txt"
if echo pwned > /shared/hello.txt; then echo "  -> WRITE SUCCEEDED"; else echo "  -> refused by the host"; fi
echo "guest: touch /shared/new-file"
if touch /shared/new-file; then echo "  -> WRITE SUCCEEDED"; else echo "  -> refused by the host"; fi
'

echo "== microvm run --rootfs .demo/rootfs -v .demo/shared:/shared:ro -- sh -c '...'"
echo "   (first boot builds the initramfs; under TCG without /dev/kvm a boot takes seconds)"
echo
status=0
"$microvm" run --rootfs "$demo/rootfs" -v "$demo/shared:/shared:ro" -- /bin/sh -c "$guest_script" ||
    status=$?

after=$(cd "$demo/shared" && ls -la --time-style=+%s . && sha256sum hello.txt)
echo
if [ "$before" = "$after" ]; then
    echo "== host: .demo/shared is unchanged ($(cat "$demo/shared/hello.txt"))"
else
    echo "== host: .demo/shared CHANGED — read-only enforcement failed" >&2
    exit 1
fi
exit "$status"
