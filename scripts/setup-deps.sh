#!/usr/bin/env bash
# Installs every Debian 12 package microvm needs to build, run and test.
# Idempotent and quiet when everything is already present.
set -euo pipefail

packages=(
    # build
    build-essential cmake ninja-build pkg-config clang-format
    # make fuzz: libFuzzer and the sanitizers' runtimes (clang 14 cannot compile libstdc++ 12's
    # <expected>, see the top CMakeLists.txt)
    clang-16 libclang-rt-16-dev
    # libraries (DESIGN.md §5: use the library made for the job)
    nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libarchive-dev
    libcurl4-openssl-dev libssl-dev libgtest-dev libgmock-dev
    # the runner's filter on read-write shares' file servers (docs/SECURITY.md)
    libseccomp-dev
    # the egress policy: the runner's own user-mode network (slirp.pc requires glib) and its
    # DNS answerer
    libslirp-dev libglib2.0-dev libldns-dev
    # running VMs: the VMM, virtiofsd (in qemu-system-common), the guest kernel and its modules
    qemu-system-x86 linux-image-amd64
    # mkfs.ext4 makes each VM's writable layer, of its --disk-size; debugfs reads it in tests
    e2fsprogs
    # test fixtures: a static busybox for guest roots, a real registry and real image tools
    busybox-static docker-registry umoci skopeo
    # egress tests: the test hosts' DNS server and echo servers in a network namespace
    dnsmasq-base socat
    # tools the tests and the demo call
    procps iproute2 util-linux openssl attr
    # a Debian userland: the e2e tests' root (scripts/make-debian-rootfs.sh), bench/pull's image
    debootstrap
    # make kernel (scripts/build-kernel.sh): the microvm guest kernel from Debian's source
    linux-source-6.1 bc bison flex libelf-dev lz4 xz-utils make patch binutils
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi

echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
