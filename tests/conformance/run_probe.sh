#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs probe_listener and checks its output.
#
#   run_probe.sh PROBE                 one build: must run to its "end" line
#   run_probe.sh REFERENCE CANDIDATE   two builds: outputs must be equal,
#                                      less the keys probe_known_diffs.txt
#                                      accepts (printed, not failed)
#   run_probe.sh --expect FILE PROBE   one build against a recorded output
#                                      (probe_native.txt: native 3.5.9)
#   --wrap-ref CMD / --wrap-cand CMD   command prefixes (scripts/cross.sh)
#   --view-ref DIR / --view-cand DIR   where each side sees the work dir
#   --work DIR                         existing work dir with certificates
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work= own_work= wref= wcand= vref= vcand= expect=
while [ $# -gt 0 ]; do
    case "$1" in
    --expect) expect=$2; shift 2 ;;
    --wrap-ref) wref=$2; shift 2 ;;
    --wrap-cand) wcand=$2; shift 2 ;;
    --view-ref) vref=$2; shift 2 ;;
    --view-cand) vcand=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 [options] PROBE [PROBE2]" >&2; exit 2; }
trap '[ -n "$own_work" ] && rm -rf "$own_work"' EXIT
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-probe.XXXXXX") || exit 1
    own_work=$work
fi
[ -f "$work/cert.pem" ] || conf_make_certs "$work" || exit 1

# run_one WRAP VIEW PROBE OUT
run_one() {
    local -a wrap
    read -ra wrap <<<"$1"
    local v=${2:-$work}
    timeout -k 5 60 "${wrap[@]}" "$3" --cert "$v/cert.pem" --key "$v/key.pem" \
        >"$4" 2>"$4.err"
    local rc=$?
    if [ $rc -ne 0 ] || [ "$(tail -n 1 "$4")" != end ]; then
        echo "run_probe: $3 failed (exit $rc)" >&2
        cat "$4" "$4.err" >&2
        return 1
    fi
}

if [ -n "$expect" ]; then
    [ $# -eq 1 ] || { echo "run_probe: --expect takes one probe" >&2; exit 2; }
    cp "$expect" "$work/ref.out" || exit 1
    set -- "$expect" "$1"
    run_one "$wref" "$vref" "$2" "$work/cand.out" || exit 1
else
    run_one "$wref" "$vref" "$1" "$work/ref.out" || exit 1
    if [ $# -eq 1 ]; then
        cat "$work/ref.out"
        exit 0
    fi
    run_one "$wcand" "$vcand" "$2" "$work/cand.out" || exit 1
fi

# Keys (text before ": ") whose difference is accepted, one per line.
known=$(grep -v -e '^#' -e '^[[:space:]]*$' "$here/probe_known_diffs.txt" | cut -d' ' -f1 | tr '\n' ' ')
filter() {
    awk -v known="$known" 'BEGIN { n = split(known, k, " "); for (i = 1; i <= n; i++) skip[k[i]] = 1 }
        { key = $0; sub(/: .*/, "", key); if (!(key in skip)) print }' "$1"
}
for k in $known; do
    a=$(awk -v k="$k: " 'index($0, k) == 1' "$work/ref.out")
    b=$(awk -v k="$k: " 'index($0, k) == 1' "$work/cand.out")
    [ "$a" = "$b" ] || printf 'accepted difference: %s | %s\n' "$a" "$b"
done
if diff -u --label "reference: $1" --label "candidate: $2" \
        <(filter "$work/ref.out") <(filter "$work/cand.out"); then
    echo "probe outputs agree ($(wc -l <"$work/ref.out") lines)"
else
    exit 1
fi
