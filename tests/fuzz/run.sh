#!/usr/bin/env bash
# `make fuzz`: runs every fuzz target (tests/fuzz/*_fuzz.cpp) for a bounded time, one after the
# other, starting from its seed corpus, and prints what each did.
#   run.sh BUILD_DIR [SECONDS] [MERGE] [TARGETS...]
# New inputs go to BUILD_DIR/fuzz/<target>/corpus, crashes to BUILD_DIR/fuzz/<target>/; the
# committed corpus (tests/fuzz/corpus/<target>) is only read, unless MERGE is 1: then the new
# inputs that add coverage are merged into it. Exits non-zero when any target found something.
set -uo pipefail

build=${1:?usage: run.sh BUILD_DIR [SECONDS] [MERGE] [TARGETS...]}
seconds=${2:-60}
merge=${3:-0}
shift $(($# < 3 ? $# : 3))
source_dir=$(cd "$(dirname "$0")" && pwd)

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for file in "$source_dir"/*_fuzz.cpp; do
        name=$(basename "$file" _fuzz.cpp)
        # Only the targets this build has (tests/fuzz/CMakeLists.txt lists them).
        [ -x "$build/bin/${name}_fuzz" ] && targets+=("$name")
    done
fi

failed=()
for name in "${targets[@]}"; do
    work="$build/fuzz/$name"
    mkdir -p "$work/corpus"
    log="$work/fuzz.log"
    dict=()
    # exec_frame's input is binary frames, but its open frames carry an ExecRequest in JSON.
    case $name in
    runner_config | guest_config | runner_report | manifest | image_config | auth_file | \
        registry_response | exec_frame)
        dict=(-dict="$source_dir/json.dict")
        ;;
    esac
    # -timeout: an input that takes this long is a hang (a finding); -rss_limit_mb: libFuzzer's
    # default, stated.
    "$build/bin/${name}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/" "${dict[@]}" \
        "$work/corpus" "$source_dir/corpus/$name" >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    new=$(find "$work/corpus" -type f | wc -l)
    if [ $status -eq 0 ]; then
        printf '%-18s %4ss  %10s runs  %5s inputs in %s\n' "$name" "$seconds" "${runs:-?}" \
            "$new" "$work/corpus"
    else
        printf '%-18s FAILED (exit %s): see %s, inputs %s\n' "$name" "$status" "$log" \
            "$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null |
                tr '\n' ' ')"
        failed+=("$name")
    fi
    if [ "$merge" = 1 ]; then
        "$build/bin/${name}_fuzz" -merge=1 "$source_dir/corpus/$name" "$work/corpus" \
            >"$work/merge.log" 2>&1 || failed+=("$name (merge)")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: findings in ${failed[*]}" >&2
    exit 1
fi
