#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The manual pages in doc/ against the built library:
#  1. every exported SSLQ_ symbol of LIBRARY, and every SSLQ_ macro or inline
#     function of sslquic.h, has a page; every page names something that
#     exists; link pages, sections, SYNOPSIS prototypes and the OpenSSL names
#     are consistent (check_pages.pl);
#  2. every page renders without a single warning (man -l, else groff -ww;
#     skipped with a note when neither is installed);
#  3. cmake --install puts every page under share/man, and `man NAME` finds
#     the group page through the .so links.
#
#   run.sh SOURCE_DIR LIBRARY BUILD_DIR CMAKE [--extra-symbol NAME] [--only-symbols]
#
# --extra-symbol pretends LIBRARY also exports NAME (the self-test: a symbol
# without a page must fail); --only-symbols runs step 1 alone.
set -euo pipefail
src=$1 lib=$2 build=$3 cmake=$4
shift 4
extra="" only_symbols=0 rendered=""
while [ $# -gt 0 ]; do
    case "$1" in
    --extra-symbol) extra=$2; shift 2 ;;
    --only-symbols) only_symbols=1; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# ---- 1. symbols and pages ------------------------------------------------
command -v nm >/dev/null || { echo "nm (binutils) is needed" >&2; exit 1; }
nm -D --defined-only "$lib" | awk '$3 ~ /^SSLQ_/ { sub(/@.*/, "", $3); print $3 }' \
    | sort -u >"$work/symbols"
[ -s "$work/symbols" ] || { echo "FAIL: $lib exports no SSLQ_ symbol" >&2; exit 1; }
[ -z "$extra" ] || echo "$extra" >>"$work/symbols"
perl "$here/check_pages.pl" "$src/doc" "$src/include" "$work/symbols" || status=1
[ "$only_symbols" = 1 ] && exit $status

# ---- 2. rendering ----------------------------------------------------------
# man3/ and man7/ as installed, so that the .so requests resolve.
mkdir -p "$work/man/man3" "$work/man/man7"
cp "$src"/doc/*.3 "$work/man/man3/"
cp "$src"/doc/*.7 "$work/man/man7/"
render() {    # render SECTION/FILE -> rendered text on stdout, warnings on 2
    if command -v man >/dev/null; then
        (cd "$work/man" && LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
            man --warnings -E UTF-8 -l -Tutf8 -Z "$1")
    else
        (cd "$work/man" && groff -s -man -Tutf8 -ww "$1")
    fi
}
if command -v man >/dev/null || command -v groff >/dev/null; then
    n=0
    for f in "$work"/man/man3/*.3 "$work"/man/man7/*.7; do
        rel=${f#"$work/man/"}
        if ! render "$rel" >"$work/out" 2>"$work/err" || [ -s "$work/err" ]; then
            echo "FAIL: $rel does not render cleanly:"
            sed 's/^/    /' "$work/err"
            status=1
        elif [ ! -s "$work/out" ]; then
            echo "FAIL: $rel renders to nothing"
            status=1
        fi
        n=$((n + 1))
    done
    rendered=1
    echo "rendered $n pages with $(command -v man >/dev/null && echo 'man -l' || echo 'groff -ww')"
else
    echo "NOTE: neither man nor groff is installed: rendering not checked"
fi

# ---- 3. installation -------------------------------------------------------
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || {
    echo "FAIL: cmake --install failed:"; cat "$work/install.log"; exit 1; }
mandir=$(ls -d "$prefix"/share/man 2>/dev/null || true)
if [ -z "$mandir" ]; then
    echo "FAIL: nothing installed under $prefix/share/man"
    exit 1
fi
for f in "$src"/doc/*.3 "$src"/doc/*.7; do
    sec=${f##*.}
    if ! cmp -s "$f" "$mandir/man$sec/${f##*/}"; then
        echo "FAIL: ${f##*/} not installed as $mandir/man$sec/${f##*/}"
        status=1
    fi
done
if command -v man >/dev/null; then
    # Through a link page, by name, as a user would.
    got=$(MANWIDTH=80 man -M "$mandir" 3 SSLQ_listen 2>&1 | head -1)
    case "$got" in
    *SSLQ_NEW_LISTENER*) ;;
    *) echo "FAIL: man SSLQ_listen shows '$got', not SSLQ_new_listener(3)"; status=1 ;;
    esac
    got=$(MANWIDTH=80 man -M "$mandir" 7 sslquic 2>&1 | head -1)
    case "$got" in
    *SSLQUIC*) ;;
    *) echo "FAIL: man 7 sslquic shows '$got'"; status=1 ;;
    esac
fi
[ $status = 0 ] && echo "docs: pages present and consistent${rendered:+, rendered}, installed"
exit $status
