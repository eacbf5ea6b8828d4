#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test run: installs what is missing, builds with ASan+UBSan and
# runs every ctest suite on Debian 12 (OpenSSL 3.0, ngtcp2 0.12), then does
# the same inside a Debian 13 chroot (OpenSSL 3.5, ngtcp2 1.x) made by
# scripts/mkchroot.sh.  Exits non-zero if anything fails.
#
#   scripts/test.sh                 both platforms
#   SSLQUIC_TEST_ONLY=bookworm scripts/test.sh    one platform (or trixie)
#   SSLQUIC_CTEST_ARGS="-R crypto" scripts/test.sh  extra ctest arguments
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SSLQUIC_BUILD_DIR:-$top/build/test}
only=${SSLQUIC_TEST_ONLY:-}
ctest_args=${SSLQUIC_CTEST_ARGS:-}
jobs=$(nproc 2>/dev/null || echo 2)
cmake_args="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSLQUIC_SANITIZE=ON -DSSLQUIC_WERROR=ON"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

declare -A result
matrix_files=()   # the interop matrix cells of the legs that ran (see the end)
banner() { printf '\n===== %s =====\n' "$*"; }
t0=$(date +%s)

"$top/scripts/deps.sh" || { echo "test: installing dependencies failed" >&2; exit 1; }

if [ -z "$only" ] || [ "$only" = bookworm ]; then
    banner "Debian 12: $(openssl version | cut -d' ' -f1-2), ngtcp2 $(pkg-config --modversion libngtcp2)"
    rm -rf "$build/bookworm"
    mkdir -p "$build"
    log="$build/bookworm.log"
    matrix_files+=("$build/bookworm/matrix.tsv")
    if ! cmake -S "$top" -B "$build/bookworm" $cmake_args >"$log" 2>&1; then
        cat "$log"; result[bookworm]=FAIL
    elif ! cmake --build "$build/bookworm" -j"$jobs" >"$log" 2>&1; then
        cat "$log"; result[bookworm]=FAIL
    elif (cd "$build/bookworm" &&
          SSLQUIC_MATRIX_FILE="$build/bookworm/matrix.tsv" \
          ctest --output-on-failure -j"$jobs" $ctest_args); then
        result[bookworm]=pass
    else
        result[bookworm]=FAIL
    fi
fi

# ---- fuzzing and valgrind (fuzz/, tests/valgrind; Debian 12 only) ----
# fuzz/run.sh builds the libFuzzer targets with clang and runs each for
# SSLQUIC_FUZZ_SECONDS (30 here): any crash, leak or timeout fails the run.
# Then a build without sanitizers runs the unit suites under valgrind
# (ctest -L valgrind; valgrind and ASan do not mix).
if [ -z "$only" ] || [ "$only" = bookworm ]; then
    mkdir -p "$build"
    banner "Debian 12: fuzzing, ${SSLQUIC_FUZZ_SECONDS:-30} s per target"
    SSLQUIC_FUZZ_SECONDS=${SSLQUIC_FUZZ_SECONDS:-30} \
        SSLQUIC_FUZZ_BUILD_DIR="$build/fuzz" "$top/fuzz/run.sh"
    case $? in
        0) result[fuzz]=pass ;;
        77) echo "## SKIPPED: fuzzing needs clang and libclang-rt-14-dev ##"
            result[fuzz]=SKIPPED ;;
        *) result[fuzz]=FAIL ;;
    esac

    banner "Debian 12: unit suites under valgrind"
    rm -rf "$build/valgrind"
    log="$build/valgrind.log"
    if ! command -v valgrind >/dev/null 2>&1; then
        echo "## SKIPPED: valgrind is not installed ##"
        result[valgrind]=SKIPPED
    elif ! cmake -S "$top" -B "$build/valgrind" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DSSLQUIC_SANITIZE=OFF -DSSLQUIC_WERROR=ON -DSSLQUIC_EXAMPLES=OFF \
            -DSSLQUIC_BENCH=OFF >"$log" 2>&1 ||
         ! cmake --build "$build/valgrind" -j"$jobs" >"$log" 2>&1; then
        cat "$log"; result[valgrind]=FAIL
    elif (cd "$build/valgrind" && ctest --output-on-failure -j"$jobs" -L valgrind); then
        result[valgrind]=pass
    else
        result[valgrind]=FAIL
    fi

    # ThreadSanitizer over the suites where several threads share objects:
    # worker threads on one listener, thread-assisted clients, explicit
    # event handling (test_api), the port layer, the threaded example.
    banner "Debian 12: threaded suites under ThreadSanitizer"
    rm -rf "$build/tsan"
    log="$build/tsan.log"
    if ! cmake -S "$top" -B "$build/tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DSSLQUIC_TSAN=ON -DSSLQUIC_WERROR=ON -DSSLQUIC_BENCH=OFF >"$log" 2>&1 ||
       ! cmake --build "$build/tsan" -j"$jobs" --target test_api test_port \
            threaded-server echo-client >"$log" 2>&1; then
        cat "$log"; result[tsan]=FAIL
    elif (cd "$build/tsan" &&
          TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
          ctest --output-on-failure -R '^(test_api|test_port|examples_threaded.*)$'); then
        result[tsan]=pass
    else
        result[tsan]=FAIL
    fi
fi
# ---- end fuzzing, valgrind and TSan ----

if [ -z "$only" ] || [ "$only" = trixie ]; then
    banner "Debian 13 chroot: OpenSSL 3.5, ngtcp2 1.x"
    if [ "$(id -u)" != 0 ]; then
        echo "##########################################################"
        echo "## SKIPPED: the Debian 13 leg needs root (debootstrap,   ##"
        echo "## chroot). Run scripts/test.sh as root to test it.      ##"
        echo "##########################################################"
        result[trixie]=SKIPPED
    elif rm -rf "$build/trixie" && matrix_files+=("$build/trixie/matrix.tsv") &&
         "$top/scripts/chroot-run.sh" --bind "$build/trixie:/build" sh -c "
            set -e
            echo \"\$(openssl version), ngtcp2 \$(pkg-config --modversion libngtcp2)\"
            cmake -S /src -B /build $cmake_args >/build/configure.log 2>&1 || { cat /build/configure.log; exit 1; }
            cmake --build /build -j$jobs >/build/build.log 2>&1 || { cat /build/build.log; exit 1; }
            cd /build && SSLQUIC_MATRIX_FILE=/build/matrix.tsv \
                ctest --output-on-failure -j$jobs $ctest_args"; then
        result[trixie]=pass
    else
        result[trixie]=FAIL
    fi
fi

# ---- cross-platform conformance (tests/conformance, scripts/cross.sh) ----
# sslquic on OpenSSL 3.0 (the bookworm build) against native OpenSSL 3.5 (the
# trixie build), both roles; needs both legs built, so only when both ran.
if [ -n "${result[bookworm]:-}" ] && [ -n "${result[trixie]:-}" ] &&
   [ "${result[trixie]}" != SKIPPED ]; then
    banner "cross: sslquic on OpenSSL 3.0 <-> native OpenSSL 3.5"
    rm -f "$build/cross-matrix.tsv"
    matrix_files+=("$build/cross-matrix.tsv")
    if SSLQUIC_MATRIX_FILE="$build/cross-matrix.tsv" "$top/scripts/cross.sh" "$build"; then
        result[cross]=pass
    else
        result[cross]=FAIL
    fi
fi
# ---- end cross-platform conformance ----

# ---- interop matrix ----
# Every interop and conformance pairing appended "PEER<TAB>CASE<TAB>pass|FAIL"
# to its leg's matrix file (tests/interop/lib.sh matrix_cell, tests/
# conformance/lib.sh conf_matrix_add); here they become one table: a case per
# row, a peer per column, "-" where that pairing did not run.
print_matrix() {
    local peers="self@3.0 self@3.5 gtlsserver@3.0 gtlsclient@3.0 native-cli@3.0
                 native-srv@3.0 native-cli@3.5 native-srv@3.5 native-only@3.5"
    # known peers in that order, then any other; cases sorted
    [ $# -gt 0 ] || set -- /dev/null
    cat "$@" 2>/dev/null | sort -t"$(printf '\t')" -k2,2 -k1,1 |
    awk -F'\t' -v order="$peers" '
    BEGIN { n = split(order, known, /[ \n]+/); for (i = 1; i <= n; i++) isknown[known[i]] = 1 }
    NF == 3 {
        if (!($2 in seenc)) { seenc[$2] = 1; cases[++nc] = $2 }
        seenp[$1] = 1
        k = $2 SUBSEP $1
        if (cell[k] != "FAIL") cell[k] = $3   # a failure sticks
    }
    END {
        if (nc == 0) { print "(no interop cells were recorded)"; exit }
        for (i = 1; i <= n; i++) if (known[i] in seenp) col[++np] = known[i]
        for (p in seenp) if (!(p in isknown)) col[++np] = p
        w = 4
        for (r = 1; r <= nc; r++) if (length(cases[r]) > w) w = length(cases[r])
        printf "%-" w "s", "case"
        for (i = 1; i <= np; i++) printf "  %s", col[i]
        printf "\n"
        for (r = 1; r <= nc; r++) {
            printf "%-" w "s", cases[r]
            for (i = 1; i <= np; i++) {
                k = cases[r] SUBSEP col[i]
                v = (k in cell) ? cell[k] : "-"
                printf "  %-" length(col[i]) "s", v
                pass += v == "pass"; fail += v == "FAIL"
            }
            printf "\n"
        }
        printf "%d cells: %d pass, %d FAIL\n", pass + fail, pass, fail
    }' | sed 's/ *$//'
    echo "self: sslquic against itself; native-cli, native-srv: OpenSSL 3.5's own"
    echo "client, server against sslquic; native-only: OpenSSL 3.5 against itself"
    echo "(reference); gtlsserver, gtlsclient: Debian's ngtcp2 + GnuTLS examples;"
    echo "@3.0, @3.5: the OpenSSL sslquic ran on; -: not run.  Cases: conf ="
    echo "tests/conformance programs, quic = tests/interop quic_peer, h3 ="
    echo "examples/h3-server (gtlsclient's column), h3-client (gtlsserver's)."
}
# ---- end interop matrix ----

banner "summary ($(( $(date +%s) - t0 )) s)"
rc=0
for k in bookworm fuzz valgrind tsan trixie cross; do  # cross, fuzz, valgrind, tsan: see their blocks above
    [ -n "${result[$k]:-}" ] || continue
    printf '%-10s %s\n' "$k" "${result[$k]}"
    [ "${result[$k]}" = FAIL ] && rc=1
done
banner "interop matrix: peer x case"
print_matrix "${matrix_files[@]}"
exit $rc
