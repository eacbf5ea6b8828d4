#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's quick-start server is a real program: the C block in its
# "Example" section must be examples/quickstart.c (less the SPDX line) line
# for line, and the build of that file (QUICKSTART) must echo what
# echo-client sends, a byte and 1 MiB, each checked byte for byte.
#
#   quickstart.sh README QUICKSTART_C QUICKSTART ECHO_CLIENT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../conformance/lib.sh"

[ $# -eq 4 ] || { echo "usage: $0 README QUICKSTART_C QUICKSTART ECHO_CLIENT" >&2; exit 2; }
readme=$1 source=$2 server=$3 client=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-quickstart.XXXXXX") || exit 1
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

awk '/^## Example/ { ex = 1; next }
     ex && /^## / { exit }
     ex && /^```c$/ { inblock = 1; next }
     inblock && /^```$/ { exit }
     inblock { print }' "$readme" >"$work/readme.c"
tail -n +2 "$source" >"$work/source.c"
[ -s "$work/readme.c" ] || fail "no \`\`\`c block in the README's Example section"
diff -u "$work/source.c" "$work/readme.c" ||
    fail "README's Example block differs from $(basename "$source") (diff above: - file, + README)"
echo "README quick start == examples/quickstart.c ($(wc -l <"$work/readme.c") lines)"

# It reads cert.pem and key.pem from its working directory and takes only a
# port, so try free-looking ports until one binds; ready once its socket is
# in /proc/net/udp6 (datagrams queue there until the listener reads them).
conf_make_certs "$work" || exit 1
started=0
for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 20000))
    hexport=$(printf '%04X' "$port")
    grep -qi ":$hexport " /proc/net/udp /proc/net/udp6 && continue
    (cd "$work" && exec "$server" "$port") >"$work/server.log" 2>&1 &
    spid=$!
    for ((i = 0; i < 500; i++)); do
        grep -qi "^ *[0-9]*: 0*:$hexport " /proc/net/udp6 && { started=1; break; }
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.01
    done
    [ "$started" = 1 ] && break
    wait "$spid" 2>/dev/null
    spid=
done
[ "$started" = 1 ] || fail "quickstart never listened (8 ports tried)"

for b in 1 1048576; do
    timeout -k 5 60 "$client" --cafile "$work/ca.pem" -b "$b" 127.0.0.1 "$port" \
        >"$work/client.log" 2>&1 || { cat "$work/client.log" "$work/server.log" >&2; fail "echo of $b bytes"; }
    grep -q "^echo-client: OK $b bytes sent, $b echoed intact " "$work/client.log" ||
        { cat "$work/client.log" >&2; fail "echo of $b bytes not intact"; }
    cat "$work/client.log"
done
