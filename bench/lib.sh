# Shared by the bench scripts. Source it first thing, with the script's name and arguments:
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" boot "$@"
# It sets `repo`, `build` (the first argument, default build, made absolute), `microvm` (the
# CLI in it) and `here` (the script's directory), and defines die() and bench_stats().
set -euo pipefail

bench_name=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
microvm="$build/bin/microvm"

die() {
    echo "bench/$bench_name: $*" >&2
    exit 1
}

# bench_stats DIVISOR VALUE... -> "median min max", each VALUE / DIVISOR with three decimals
bench_stats() {
    local divisor=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v d="$divisor" '
        { v[NR] = $1 }
        END {
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.3f %.3f %.3f\n", med / d, v[1] / d, v[NR] / d
        }'
}

# Writes an uncompressed newc cpio holding one file, /init (mode 0755), from INIT_BINARY to OUT:
# the raw-qemu floors' initramfs, made here so that the cpio tool is not needed.
write_init_cpio() { # INIT_BINARY OUT
    local init=$1 out=$2
    cpio_entry() { # NAME MODE [FILE]
        local name=$1 mode=$2 file=${3:-} size=0 namesize pad
        [ -n "$file" ] && size=$(stat -c %s "$file")
        namesize=$((${#name} + 1))
        printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
            1 "$mode" 0 0 1 0 "$size" 0 0 0 0 "$namesize" 0
        printf '%s\0' "$name"
        pad=$(((4 - (110 + namesize) % 4) % 4))
        head -c "$pad" /dev/zero
        if [ -n "$file" ]; then
            cat "$file"
            head -c $(((4 - size % 4) % 4)) /dev/zero
        fi
    }
    {
        cpio_entry init $((0100755)) "$init"
        cpio_entry TRAILER!!! 0
    } >"$out"
}
