#!/usr/bin/env bash
# Makes a Debian root file system with a real userland (bash, dpkg and its database, PAM, setuid
# su and passwd): `debootstrap --variant=minbase`. Used by the e2e tests (debian_userland_test).
#   scripts/make-debian-rootfs.sh DIR
#
# debootstrap takes a minute or two and needs the archive, so the tree is built once per machine
# and cached; DIR gets a copy (reflinked where the file system can). A copy rather than the
# cached tree itself: the caller owns DIR and may change it, and a bug that wrote through a VM's
# root view would damage that caller's copy, not every later run's source.
#
# Environment:
#   SUITE=bookworm   the Debian release
#   MIRROR=http://deb.debian.org/debian   (the same default as bench/pull/run.sh)
#   MICROVM_TEST_CACHE   where the built tree is kept
#                    (default ${XDG_CACHE_HOME:-$HOME/.cache}/microvm/test-rootfs); the tree is
#                    debian-<suite>-minbase in it; delete that directory to rebuild
# Needs root: debootstrap creates files owned by other users, setuid binaries and device nodes.
set -euo pipefail

dir=${1:?usage: make-debian-rootfs.sh DIR}
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
cache_root=${MICROVM_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/microvm/test-rootfs}
name=debian-$suite-minbase
cache=$cache_root/$name

die() {
    echo "make-debian-rootfs: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap creates files of other owners, setuid binaries, devices)"
[[ "$suite" =~ ^[a-z]+$ ]] || die "SUITE must be a Debian release name, not \"$suite\""
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    die "$dir exists and is not empty"
fi

# Builds $cache: debootstrap into $cache.partial, published by rename, so the cache holds a
# complete tree or nothing. The caller holds the lock.
build() {
    command -v debootstrap >/dev/null || die "debootstrap is missing; run scripts/setup-deps.sh"
    local partial=$cache.partial log=$cache_root/$name.log
    rm -rf "$partial"
    echo "make-debian-rootfs: debootstrapping Debian $suite minbase from $mirror into $cache" \
        "(once per machine; takes a minute or two; log: $log)" >&2
    if ! debootstrap --variant=minbase "$suite" "$partial" "$mirror" >"$log" 2>&1; then
        rm -rf "$partial"
        die "debootstrap $suite from $mirror failed; the end of $log:
$(tail -n 15 "$log")"
    fi
    # The downloaded packages are not part of a root file system and would only be copied.
    rm -f "$partial"/var/cache/apt/archives/*.deb
    mv "$partial" "$cache"
}

mkdir -p "$cache_root"
{
    # Two callers at once (two test binaries, a test and a developer): one builds, the other
    # waits for it and then finds the tree.
    flock 9
    [ -d "$cache" ] || build
} 9>"$cache_root/$name.lock"

# A failed copy leaves DIR as it was found: absent, or empty.
created=0
[ -e "$dir" ] || created=1
mkdir -p "$dir"
if ! cp -a --reflink=auto "$cache/." "$dir/"; then
    if [ "$created" = 1 ]; then
        rm -rf "$dir"
    else
        find "$dir" -mindepth 1 -delete
    fi
    die "copying $cache to $dir failed"
fi
