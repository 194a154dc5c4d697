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
