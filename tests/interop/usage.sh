#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quic_peer refuses malformed command lines with its usage text and exit
# status 2 (before touching the network), and reports a peer that is not
# there as a failure (exit 1), not as a usage error.
. "$(dirname "$0")/lib.sh"

bad() {
    local rc=0
    "$QUIC_PEER" "$@" >"$work/out" 2>"$work/err" || rc=$?
    [ "$rc" = 2 ] || { show stderr "$work/err"; fail "quic_peer $* exited with $rc, not 2"; }
    grep -q '^usage: quic_peer client' "$work/err" ||
        { show stderr "$work/err"; fail "quic_peer $*: no usage text"; }
    [ ! -s "$work/out" ] || fail "quic_peer $*: wrote to stdout"
}

bad
bad client
bad client 127.0.0.1
bad bogus 127.0.0.1 4433 --alpn h3
bad client 127.0.0.1 4433
bad client 127.0.0.1 http --alpn h3
bad client 127.0.0.1 70000 --alpn h3
bad client 127.0.0.1 -1 --alpn h3
bad client 127.0.0.1 0 --alpn h3
bad client 127.0.0.1 4433 --alpn
bad client 127.0.0.1 4433 --alpn ''
bad client 127.0.0.1 4433 --alpn h3,
bad client 127.0.0.1 4433 --alpn ,h3
bad client 127.0.0.1 4433 --alpn "$(printf 'x%.0s' {1..256})"
bad client 127.0.0.1 4433 --alpn h3 --frobnicate
bad client 127.0.0.1 4433 --alpn h3 --echo
bad client 127.0.0.1 4433 --alpn h3 --send-bytes -5
bad client 127.0.0.1 4433 --alpn h3 --send-bytes 12abc
bad client 127.0.0.1 4433 --alpn h3 --timeout-ms ''
bad client 127.0.0.1 4433 --alpn h3 --close-code 0x4000000000000000
bad client 127.0.0.1 4433 --alpn h3 --cafile "$work/x" --insecure
bad client 127.0.0.1 4433 --alpn h3 --send "$work/x" --send-bytes 1
bad client 127.0.0.1 4433 --alpn h3 --expect-echo
bad client 127.0.0.1 4433 --alpn h3 --h3-get index.html
bad client 127.0.0.1 4433 --alpn h3 --expect-body "$work/x"
bad client 127.0.0.1 4433 --alpn h3 --ciphers NOT_A_SUITE
bad client 127.0.0.1 4433 --alpn h3 --groups not-a-group
bad server 127.0.0.1 0 --alpn h3
bad server 127.0.0.1 0 --alpn h3 --cert "$work/c"
bad server 127.0.0.1 0 --alpn h3 --cert "$work/c" --key "$work/k" --max-conns 0
bad server 127.0.0.1 0 --alpn h3 --cert "$work/c" --key "$work/k" --insecure
bad server 127.0.0.1 0 --cert "$work/c" --key "$work/k"

# Well-formed, but nobody answers (the port of a server that has ended):
# a failure with its reason, exit 1.
make_cert
start_quic_peer_server 127.0.0.1 --alpn x --max-conns 1
kill "$server_pid"
wait "$server_pid" || true
rc=0
"$QUIC_PEER" client 127.0.0.1 "$port" --alpn h3 --insecure --timeout-ms 300 \
    >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] || { show stdout "$work/out"; show stderr "$work/err"; fail "unanswered client exited with $rc, not 1"; }
expect "$work/out" '^handshake failed ' 'failure="handshake timed out"' 'result=fail'
echo "usage: all malformed command lines refused with exit 2"
