#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# quic_peer's client (sslquic's layers on this machine's libssl) against
# Debian's gtlsserver (ngtcp2's example HTTP/3 server on GnuTLS): a QUIC v1
# handshake, optionally an HTTP/3 GET of a 300 kB file compared byte for
# byte, then an application close with H3_NO_ERROR (0x100) that gtlsserver
# must log as received.  Or a handshake that must fail, each side reporting
# the TLS alert as CRYPTO_ERROR 0x100+alert: --fail alpn (no protocol in
# common: gtlsserver sends no_application_protocol, 120) or --fail cert (a
# certificate our client does not trust: it sends bad_certificate, 48).
#   gtlsserver.sh [--validate] [--cipher SUITE] [--ipv6] [--h3-get]
#                 [--fail alpn|cert]
. "$(dirname "$0")/lib.sh"

gtlsserver=/usr/sbin/gtlsserver
addr=127.0.0.1
server_args=() client_args=() retry=0 cipher=TLS_AES_128_GCM_SHA256 h3_get=0
failure=
while [ $# -gt 0 ]; do
    case "$1" in
    --validate) server_args+=(-V) retry=1 ;;
    --cipher) cipher=$2 client_args+=(--ciphers "$2"); shift ;;
    --ipv6)
        addr=::1 ;;
    --h3-get) h3_get=1 ;;
    --fail) failure=$2; shift ;;
    *) fail "unknown argument $1" ;;
    esac
    shift
done
case "$cipher" in
TLS_AES_128_GCM_SHA256) gnutls_name=AES-128-GCM ;;
TLS_AES_256_GCM_SHA384) gnutls_name=AES-256-GCM ;;
TLS_CHACHA20_POLY1305_SHA256) gnutls_name=CHACHA20-POLY1305 ;;
*) fail "unknown cipher suite $cipher" ;;
esac
# This run's cell of the interop matrix, named by what it varies.
cell=()
[ "$addr" = ::1 ] && cell+=(ipv6)
[ "$retry" = 1 ] && cell+=(retry)
[[ " ${client_args[*]-} " == *" --ciphers "* ]] && cell+=("$cipher")
[ "$h3_get" = 1 ] && cell+=(h3_get)
case "$failure" in alpn) cell=(refuses_alpn) ;; cert) cell=(untrusted_cert) ;; esac
cell=$(IFS=+; echo "${cell[*]:-handshake}")
matrix_cell gtlsserver "quic $cell"
[ -x "$gtlsserver" ] || fail "$gtlsserver is missing (package ngtcp2-server)"

make_cert
mkdir "$work/htdocs"
head -c 300000 /dev/urandom >"$work/htdocs/file.bin"

start_gtlsserver "$addr" "${server_args[@]}" --no-quic-dump --no-http-dump \
    -d "$work/htdocs"

if [ "$h3_get" = 1 ]; then
    client_args+=(--h3-get /file.bin --expect-body "$work/htdocs/file.bin")
fi
if [ -n "$failure" ]; then
    case "$failure" in
    alpn)
        alpn=not-h3 trust=(--insecure) want='close=transport:0x178 by=peer'
        server_saw='tx [0-9]+ Initial CONNECTION_CLOSE\(0x1c\) error_code=CRYPTO_ERROR\(0x178\)' ;;
    cert)
        # Another self-signed certificate for the same name, not the one
        # gtlsserver shows, is all our client trusts.
        mkdir "$work/real"
        mv "$work/cert.pem" "$work/key.pem" "$work/real/"
        make_cert
        mv "$work/cert.pem" "$work/other.pem"
        mv "$work/real/cert.pem" "$work/real/key.pem" "$work/"
        alpn=h3 trust=(--cafile "$work/other.pem") want='close=transport:0x130 by=self'
        server_saw='rx [0-9]+ Initial CONNECTION_CLOSE\(0x1c\) error_code=CRYPTO_ERROR\(0x130\)' ;;
    *) fail "unknown failure kind $failure" ;;
    esac
    rc=0
    "$QUIC_PEER" client localhost "$port" --alpn "$alpn" "${trust[@]}" \
        --timeout-ms 10000 >"$work/client.out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || { show client "$work/client.out"; show gtlsserver "$work/gtls.log"; fail "quic_peer client exited with $rc, not 1"; }
    expect "$work/client.out" '^handshake failed ' \
        " $want failure=\"connection ended during the handshake\" result=fail\$"
    for ((i = 0; i < 250; i++)); do
        grep -Eq "$server_saw" "$work/gtls.log" && break
        sleep 0.02
    done
    expect "$work/gtls.log" "$server_saw"
    ! grep -q '^QUIC handshake has completed' "$work/gtls.log" || fail "gtlsserver completed a handshake"
    cat "$work/client.out"
    grep -E "$server_saw" "$work/gtls.log"
    exit 0
fi
rc=0

"$QUIC_PEER" client "$addr" "$port" --alpn h3 --insecure --close-code 0x100 \
    --timeout-ms 10000 "${client_args[@]}" >"$work/client.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { show client "$work/client.out"; show gtlsserver "$work/gtls.log"; fail "quic_peer client exited with $rc"; }
expect "$work/client.out" "^handshake ok alpn=h3 cipher=$cipher " ' version=1 ' \
    " retry=$retry " ' close=app:0x100 by=self result=ok$'
if [ "$h3_get" = 1 ]; then
    expect "$work/client.out" '^h3 status=200 body_bytes=300000$'
fi

# gtlsserver logs asynchronously: poll its log for our CONNECTION_CLOSE.
close_line='CONNECTION_CLOSE\(0x1d\) error_code=[^ ]*\(0x100\)'
for ((i = 0; i < 250; i++)); do
    grep -Eq "$close_line" "$work/gtls.log" && break
    sleep 0.02
done
expect "$work/gtls.log" '^QUIC handshake has completed' \
    "^Negotiated cipher suite is $gnutls_name\$" '^Negotiated ALPN is h3$' "$close_line"
if [ "$retry" = 1 ]; then
    expect "$work/gtls.log" '^Sending Retry packet' '^Token was successfully validated'
else
    ! grep -q 'Sending Retry packet' "$work/gtls.log" || fail "gtlsserver sent a Retry without -V"
fi
if [ "$h3_get" = 1 ]; then
    expect "$work/gtls.log" '\[:path: /file.bin\]' '\[:status: 200\]'
fi
cat "$work/client.out"
grep -E "handshake has completed|Negotiated|$close_line" "$work/gtls.log"
