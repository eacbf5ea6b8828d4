#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quic_peer against itself, the baseline for the foreign peers: a 1 MB echo
# over IPv4 with address validation (Retry) and over IPv6 without, each
# byte compared, and an empty stream.
#   self.sh ipv4|ipv6
. "$(dirname "$0")/lib.sh"

matrix_cell self "quic echo_1MB_${1:-}"
case "${1:-}" in
ipv4) addr=127.0.0.1 validate=() retry=1 ;;
ipv6)
    grep -q '^0\{31\}1 .* lo$' /proc/net/if_inet6 2>/dev/null ||
        fail "no IPv6 loopback address (::1) on this machine"
    addr=::1 validate=(--no-validate) retry=0 ;;
*) fail "usage: self.sh ipv4|ipv6" ;;
esac

make_cert
start_quic_peer_server "$addr" --alpn other,test --echo --max-conns 2 "${validate[@]}"
"$QUIC_PEER" client "$addr" "$port" --alpn test --cafile "$work/cert.pem" \
    --sni localhost --send-bytes 1000000 --expect-echo >"$work/c1.out" 2>&1 ||
    { show client "$work/c1.out"; fail "the 1 MB echo failed"; }
"$QUIC_PEER" client "$addr" "$port" --alpn test --cafile "$work/cert.pem" \
    --send-bytes 0 --expect-echo --close-code 77 >"$work/c2.out" 2>&1 ||
    { show client "$work/c2.out"; fail "the empty echo failed"; }
finish_quic_peer_server

expect "$work/c1.out" '^handshake ok alpn=test cipher=TLS_AES_128_GCM_SHA256 ' \
    ' version=1 ' " retry=$retry " ' bytes_sent=1000000 bytes_received=1000000 ' \
    ' close=app:0x0 by=self result=ok$'
expect "$work/c2.out" ' bytes_sent=0 bytes_received=0 close=app:0x4d by=self result=ok$'
expect "$work/server.out" \
    "^conn 0 handshake ok alpn=test .* retry=$retry .* bytes_sent=1000000 bytes_received=1000000 close=app:0x0 by=peer result=ok$" \
    "^conn 1 handshake ok .* close=app:0x4d by=peer result=ok$"
cat "$work/c1.out" "$work/server.out"
