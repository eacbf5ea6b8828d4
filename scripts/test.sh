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
banner() { printf '\n===== %s =====\n' "$*"; }
t0=$(date +%s)

"$top/scripts/deps.sh" || { echo "test: installing dependencies failed" >&2; exit 1; }

if [ -z "$only" ] || [ "$only" = bookworm ]; then
    banner "Debian 12: $(openssl version | cut -d' ' -f1-2), ngtcp2 $(pkg-config --modversion libngtcp2)"
    rm -rf "$build/bookworm"
    mkdir -p "$build"
    log="$build/bookworm.log"
    if ! cmake -S "$top" -B "$build/bookworm" $cmake_args >"$log" 2>&1; then
        cat "$log"; result[bookworm]=FAIL
    elif ! cmake --build "$build/bookworm" -j"$jobs" >"$log" 2>&1; then
        cat "$log"; result[bookworm]=FAIL
    elif (cd "$build/bookworm" && ctest --output-on-failure -j"$jobs" $ctest_args); then
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
fi
# ---- end fuzzing and valgrind ----

if [ -z "$only" ] || [ "$only" = trixie ]; then
    banner "Debian 13 chroot: OpenSSL 3.5, ngtcp2 1.x"
    if [ "$(id -u)" != 0 ]; then
        echo "##########################################################"
        echo "## SKIPPED: the Debian 13 leg needs root (debootstrap,   ##"
        echo "## chroot). Run scripts/test.sh as root to test it.      ##"
        echo "##########################################################"
        result[trixie]=SKIPPED
    elif rm -rf "$build/trixie" && "$top/scripts/chroot-run.sh" --bind "$build/trixie:/build" sh -c "
            set -e
            echo \"\$(openssl version), ngtcp2 \$(pkg-config --modversion libngtcp2)\"
            cmake -S /src -B /build $cmake_args >/build/configure.log 2>&1 || { cat /build/configure.log; exit 1; }
            cmake --build /build -j$jobs >/build/build.log 2>&1 || { cat /build/build.log; exit 1; }
            cd /build && ctest --output-on-failure -j$jobs $ctest_args"; then
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
    if "$top/scripts/cross.sh" "$build"; then
        result[cross]=pass
    else
        result[cross]=FAIL
    fi
fi
# ---- end cross-platform conformance ----

banner "summary ($(( $(date +%s) - t0 )) s)"
rc=0
for k in bookworm fuzz valgrind trixie cross; do  # cross, fuzz, valgrind: see their blocks above
    [ -n "${result[$k]:-}" ] || continue
    printf '%-10s %s\n' "$k" "${result[$k]}"
    [ "${result[$k]}" = FAIL ] && rc=1
done
exit $rc
