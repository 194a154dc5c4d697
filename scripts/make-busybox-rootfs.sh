#!/usr/bin/env bash
# Makes a minimal root file system from Debian's busybox-static: /bin/busybox, a symlink per
# applet, and the directories a guest expects. Used by the demo, the e2e tests and bench/.
#   scripts/make-busybox-rootfs.sh DIR
set -euo pipefail

dir=${1:?usage: make-busybox-rootfs.sh DIR}
busybox=/bin/busybox
if ! "$busybox" --list >/dev/null 2>&1; then
    echo "make-busybox-rootfs: $busybox is missing; run scripts/setup-deps.sh" >&2
    exit 1
fi

mkdir -p "$dir"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,usr/bin,usr/sbin,var}
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
echo 'root:x:0:' >"$dir/etc/group"
