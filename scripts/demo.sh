#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo: installs what is missing, builds sslquic (no sanitizers), runs
# what works today and prints a short summary.  Exits non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SSLQUIC_DEMO_BUILD_DIR:-$top/build/demo}
jobs=$(nproc 2>/dev/null || echo 2)

"$top/scripts/deps.sh" || exit 1
echo "demo: building in $build"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build.log" 2>&1 &&
    cmake --build "$build" -j"$jobs" >>"$build.log" 2>&1 ||
    { cat "$build.log"; echo "demo: build failed" >&2; exit 1; }

declare -a names results details
step() { # step NAME COMMAND...: runs it, records pass/fail and its last line
    local name=$1 out rc t0 t1
    shift
    printf '\n--- %s\n' "$name"
    t0=$(date +%s.%N)
    out=$("$@" 2>&1)
    rc=$?
    t1=$(date +%s.%N)
    printf '%s\n' "$out"
    names+=("$name")
    results+=("$([ $rc = 0 ] && echo pass || echo FAIL)")
    details+=("$(printf '%.1f s' "$(echo "$t1 - $t0" | bc 2>/dev/null || echo 0)")")
}

step "library version" "$build/tests/install/../../bench/bench_crypto" --version
step "crypto: RFC 9001 / RFC 9369 vectors" "$build/tests/test_crypto"
step "crypto: packet protection rate vs raw AEAD" "$build/bench/bench_crypto" --quick
if [ -x "$build/tests/test_tls_shim" ]; then
    step "TLS 1.3 shim handshakes (libssl $(openssl version | cut -d' ' -f2))" \
        "$build/tests/test_tls_shim"
fi

printf '\n===== demo summary =====\n'
rc=0
for i in "${!names[@]}"; do
    printf '%-5s %-55s %s\n' "${results[$i]}" "${names[$i]}" "${details[$i]}"
    [ "${results[$i]}" = pass ] || rc=1
done
exit $rc
