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

# Every entry's name, size, mode and mtime, and the file's content hash.
state() { (cd "$demo/shared" && find . -printf '%p %s %m %T@\n' | sort && sha256sum hello.txt); }
before=$(state)

guest_script='
attempt() {
    if out=$(sh -c "$1" 2>&1); then echo "  -> WRITE SUCCEEDED"; else echo "  -> refused: ${out##*: }"; fi
}
echo "guest: cat /shared/hello.txt"
cat /shared/hello.txt
echo
echo "guest: echo pwned > /shared/hello.txt"
attempt "echo pwned > /shared/hello.txt"
echo
echo "guest: mount -o remount,rw /shared   (a hostile guest drops its own MS_RDONLY)"
mount -o remount,rw /shared && grep " /shared " /proc/mounts | sed "s/^/  -> now mounted: /"
echo "guest: echo pwned > /shared/hello.txt"
attempt "echo pwned > /shared/hello.txt"
echo "guest: touch /shared/new-file"
attempt "touch /shared/new-file"
'

echo "== microvm run --rootfs .demo/rootfs -v .demo/shared:/shared:ro -- sh -c '...'"
echo "   (the first boot builds the initramfs; without usable KVM, QEMU emulates the CPU: a boot takes about a second on the microvm kernel (make kernel), several on the distribution's)"
echo
status=0
"$microvm" run --rootfs "$demo/rootfs" -v "$demo/shared:/shared:ro" -- /bin/sh -c "$guest_script" ||
    status=$?

after=$(state)
echo
if [ "$before" = "$after" ]; then
    echo "== host: .demo/shared is unchanged ($(cat "$demo/shared/hello.txt"))"
else
    echo "== host: .demo/shared CHANGED — read-only enforcement failed" >&2
    exit 1
fi
exit "$status"
