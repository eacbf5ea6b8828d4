#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (clang 14, ASan+UBSan, coverage in the
# library) and runs each for a bounded time from the seeds in fuzz/corpus.
# Exits 1 if a target crashes, leaks, times out or fails to build; 77 if
# clang is missing (nothing was fuzzed).
#
#   fuzz/run.sh                      every default target
#   fuzz/run.sh fuzz_token ...       the targets named
#   fuzz/run.sh --seeds              rewrite fuzz/corpus with fuzz_gen_seeds
#   SSLQUIC_FUZZ_SECONDS=60          time per target (-max_total_time)
#   SSLQUIC_FUZZ_BUILD_DIR=...       build tree (default build/fuzz)
#
# New inputs libFuzzer finds go to <build>/corpus/<target> (the seeds stay
# as committed); crash reproducers to <build>/artifacts/<target>/.  Save a
# reproducer worth keeping under fuzz/crashes/ and run it with
#   <build>/fuzz/<target> fuzz/crashes/<file>
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SSLQUIC_FUZZ_BUILD_DIR:-$top/build/fuzz}
seconds=${SSLQUIC_FUZZ_SECONDS:-60}
default_targets="fuzz_port_datagram fuzz_tls_crypto fuzz_transport_params fuzz_token"

cc=${SSLQUIC_FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz: $cc not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 77
fi

mkdir -p "$build"
if ! CC=$cc cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSSLQUIC_FUZZ=ON -DSSLQUIC_SANITIZE=ON -DSSLQUIC_TESTS=OFF \
        -DSSLQUIC_EXAMPLES=OFF -DSSLQUIC_BENCH=OFF >"$build/configure.log" 2>&1 ||
   ! cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target fuzzers \
        >"$build/build.log" 2>&1; then
    cat "$build/configure.log" "$build/build.log" 2>/dev/null
    echo "fuzz: build failed" >&2
    exit 1
fi

if [ "${1:-}" = --seeds ]; then
    exec "$build/fuzz/fuzz_gen_seeds" "$top/fuzz/corpus"
fi

targets=${*:-$default_targets}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
for t in $targets; do
    mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
    log="$build/$t.log"
    printf 'fuzz: %-24s %3s s ... ' "$t" "$seconds"
    if "$build/fuzz/$t" -max_total_time="$seconds" -timeout=30 \
            -rss_limit_mb=2560 -print_final_stats=1 \
            -artifact_prefix="$build/artifacts/$t/" \
            "$build/corpus/$t" "$top/fuzz/corpus/$t" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "ok (${runs:-?} runs, ${speed:-?}/s, $cov)"
    else
        echo "FAILED"
        grep -A40 -m1 -E '^==[0-9]+==ERROR|runtime error|deadly signal|ALARM|out-of-memory' "$log"
        ls "$build/artifacts/$t/" 2>/dev/null | sed 's/^/    reproducer: /'
        echo "    full log: $log"
        rc=1
    fi
done
exit $rc
