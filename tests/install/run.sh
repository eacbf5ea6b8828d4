#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the build in BUILD_DIR into a scratch prefix, then builds and runs
# two consumers that see only that prefix: one through pkg-config, one through
# CMake's find_package(sslquic).  Sanitizer flags are passed along because the
# library under test may carry them.
#
#   run.sh BUILD_DIR SOURCE_DIR CC
set -euo pipefail
build=$1 src=$2 cc=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
san=""
if grep -q 'SSLQUIC_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    san="-fsanitize=address,undefined"
fi
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -1)
libdir=${libdir%/pkgconfig}
export LD_LIBRARY_PATH=$libdir
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=1

# 1. pkg-config (sslquic.pc; the .pc was made for the build's own prefix,
#    so point pkg-config at the scratch one).
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc="pkg-config --define-variable=prefix=$prefix"
$cc $san -o "$work/consumer_pc" "$src/consumer.c" $($pc --cflags --libs sslquic)
"$work/consumer_pc"

# sslquic-compat must add the compat include directory and force-include
# sslquic/compat.h.
cflags=$($pc --cflags sslquic-compat)
case "$cflags" in
*"-I$prefix/include/sslquic/compat"*"-include sslquic/compat.h"*) ;;
*) echo "sslquic-compat cflags wrong: $cflags" >&2; exit 1 ;;
esac
[ -f "$prefix/include/sslquic/compat.h" ] || { echo "compat.h not installed" >&2; exit 1; }

# 2. find_package(sslquic)
mkdir -p "$work/cm"
cp "$src/consumer.c" "$work/cm/"
cp "$src/CMakeLists.txt.in" "$work/cm/CMakeLists.txt"
cmake -S "$work/cm" -B "$work/cm/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_FLAGS="$san" >"$work/cm.log" 2>&1 || { cat "$work/cm.log"; exit 1; }
cmake --build "$work/cm/build" >>"$work/cm.log" 2>&1 || { cat "$work/cm.log"; exit 1; }
"$work/cm/build/consumer_cmake"
echo "install consumers: pkg-config and find_package both link and run"
