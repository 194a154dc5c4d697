#!/usr/bin/env bash
# Builds the microvm guest kernel: Debian's linux-source-6.1 with kernel/patches/*.patch applied,
# `make tinyconfig`, then the options of kernel/microvm.config. The result is cached under
#
#   <cache>/<source version>-<recipe hash>/{bzImage,vmlinux,config}
#
# where the recipe hash covers the fragment and the patches (vmlinux: the same kernel
# uncompressed and stripped, which qemu boots through its PVH entry point without decompressing
# it; bzImage: for everything else that boots a kernel).
#
# where <cache> is $MICROVM_KERNEL_CACHE, else $XDG_CACHE_HOME/microvm/kernels, else
# $HOME/.cache/microvm/kernels -- the first place the library looks at run time
# (src/host/hypervisor/qemu/microvm_kernel.*; /var/cache/microvm/kernels is the second, for a
# kernel installed once for every user of the machine). A cached kernel is not built again; the
# extracted source and the object tree are kept in <cache>/build/ so that a changed fragment
# rebuilds only what it touches (changed patches extract the source again).
#
#   scripts/build-kernel.sh            build (or find) the kernel; prints its path
#   scripts/build-kernel.sh --key      print the cache key and exit
#   scripts/build-kernel.sh --path     print where the kernel is (or would be) and exit
#
# Environment: JOBS (default nproc), MICROVM_KERNEL_CACHE (see above).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
fragment="$repo/kernel/microvm.config"
patches_dir="$repo/kernel/patches"
source_package=linux-source-6.1
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=${JOBS:-$(nproc)}

die() {
    echo "build-kernel: $*" >&2
    exit 1
}

cache_root() {
    if [ -n "${MICROVM_KERNEL_CACHE:-}" ]; then
        echo "$MICROVM_KERNEL_CACHE"
    elif [ -n "${XDG_CACHE_HOME:-}" ]; then
        echo "$XDG_CACHE_HOME/microvm/kernels"
    elif [ -n "${HOME:-}" ]; then
        echo "$HOME/.cache/microvm/kernels"
    else
        die "no cache directory: set MICROVM_KERNEL_CACHE, XDG_CACHE_HOME or HOME"
    fi
}

[ -r "$fragment" ] || die "$fragment is missing"
source_version=$(dpkg-query -W -f='${Version}' "$source_package" 2>/dev/null) ||
    die "$source_package is not installed (run scripts/setup-deps.sh)"
[ -r "$tarball" ] || die "$tarball is missing (reinstall $source_package)"
# The recipe: the fragment, then every patch in name order. The library computes the same hash
# at build time (src/CMakeLists.txt) to find this kernel.
shopt -s nullglob
patches=("$patches_dir"/*.patch)
shopt -u nullglob
recipe_hash=$(cat "$fragment" "${patches[@]}" | sha256sum | cut -c1-16)
patches_hash=$(cat /dev/null "${patches[@]}" | sha256sum | cut -c1-16)
key="$source_version-$recipe_hash"
cache=$(cache_root)
case "$cache" in /*) ;; *) die "the cache directory must be absolute: $cache" ;; esac
result="$cache/$key"

case "${1:-}" in
--key)
    echo "$key"
    exit 0
    ;;
--path)
    echo "$result/bzImage"
    exit 0
    ;;
"") ;;
*) die "usage: $0 [--key|--path]" ;;
esac

if [ -f "$result/bzImage" ] && [ -f "$result/vmlinux" ]; then
    echo "$result/bzImage"
    exit 0
fi

mkdir -p "$cache/build"
# One build at a time per cache: a second caller waits, then finds the result.
exec 9>"$cache/build/lock"
flock 9
if [ -f "$result/bzImage" ] && [ -f "$result/vmlinux" ]; then
    echo "$result/bzImage"
    exit 0
fi

work="$cache/build/$source_version"
src="$work/src"
obj="$work/obj"
log="$cache/build/$key.log"
echo "build-kernel: building the microvm guest kernel ($key); this takes several minutes" \
    "(about 9 on 2 cores); log: $log" >&2
: >"$log"

# The stamp names the patches the tree carries; other patches need a pristine tree.
if [ "$(cat "$src/.extracted" 2>/dev/null)" != "$patches_hash" ]; then
    rm -rf "$src"
    mkdir -p "$src"
    tar -xf "$tarball" -C "$src" --strip-components=1 >>"$log" 2>&1 || die "extracting $tarball failed (see $log)"
    for patch in "${patches[@]}"; do
        patch -d "$src" -p1 --forward --batch <"$patch" >>"$log" 2>&1 ||
            die "applying $patch failed (see $log)"
    done
    echo "$patches_hash" >"$src/.extracted"
fi
mkdir -p "$obj"

make_kernel() {
    make -C "$src" O="$obj" ARCH=x86_64 "$@" >>"$log" 2>&1
}

# Every run starts from tinyconfig, so options dropped from the fragment go away again.
make_kernel tinyconfig || die "make tinyconfig failed (see $log)"
config_args=()
while IFS= read -r line; do
    if [[ "$line" =~ ^CONFIG_([A-Za-z0-9_]+)=y$ ]]; then
        config_args+=(--enable "${BASH_REMATCH[1]}")
    elif [[ "$line" =~ ^CONFIG_([A-Za-z0-9_]+)=\"([^\"]*)\"$ ]]; then
        config_args+=(--set-str "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
    elif [[ "$line" =~ ^#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
        config_args+=(--disable "${BASH_REMATCH[1]}")
    elif [[ -n "$line" && ! "$line" =~ ^# ]]; then
        die "$fragment: cannot read line: $line"
    fi
done <"$fragment"
"$src/scripts/config" --file "$obj/.config" "${config_args[@]}"
make_kernel olddefconfig || die "make olddefconfig failed (see $log)"

# An option whose dependencies are off is dropped without a word by olddefconfig: catch it.
missing=()
while IFS= read -r line; do
    if [[ "$line" =~ ^CONFIG_([A-Za-z0-9_]+)=(y|\".*\")$ ]]; then
        grep -qxF "$line" "$obj/.config" || missing+=("${BASH_REMATCH[1]}")
    elif [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
        grep -q "^${BASH_REMATCH[1]}=" "$obj/.config" && missing+=("not ${BASH_REMATCH[1]}")
    fi
done <"$fragment"
if [ ${#missing[@]} -gt 0 ]; then
    die "kernel/microvm.config: these options did not take effect (dependencies off?): ${missing[*]}"
fi

start=$(date +%s)
make_kernel -j "$jobs" bzImage vmlinux || {
    tail -n 30 "$log" >&2
    die "kernel build failed (see $log)"
}

# Publish atomically: a reader sees the whole directory or none of it.
staging=$(mktemp -d "$cache/.staging.XXXXXX")
cp "$obj/arch/x86/boot/bzImage" "$staging/bzImage"
# Symbols are for debugging the build, not for booting: 1.4 MB less for qemu to load each boot.
strip -o "$staging/vmlinux" "$obj/vmlinux" || die "strip $obj/vmlinux failed"
cp "$obj/.config" "$staging/config"
chmod 0755 "$staging"
chmod 0644 "$staging/bzImage" "$staging/vmlinux" "$staging/config"
# A directory from an older version of this script (no vmlinux) is replaced.
if [ -d "$result" ]; then
    mv -T "$result" "$staging.old"
    rm -rf "$staging.old"
fi
mv -T "$staging" "$result"
echo "build-kernel: built in $(($(date +%s) - start)) s: $result/bzImage" >&2
echo "$result/bzImage"
