#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# OpenSSL 3.5's native QUIC client against quic_peer's server (sslquic's
# layers on this build's libssl: 3.0 on Debian 12, 3.5 in the chroot).
# On Debian 12 the client runs inside the Debian 13 chroot (same network,
# so they meet on loopback); that needs root.  Inside the chroot (the
# Debian 13 leg of the test run) it runs directly.
#   native.sh s_client-default   s_client's default groups (an ML-KEM
#                                hybrid share first, X25519 second)
#   native.sh s_client-mlkem     -groups X25519MLKEM768:X25519: only the
#                                hybrid share; a 3.0 server answers HRR
#   native.sh s_client-hrr       server limited to P-256: HRR everywhere
#   native.sh echo               native_client: 200 kB echoed, compared
. "$(dirname "$0")/lib.sh"

mode=${1:-}
matrix_cell native-cli "quic $([ "$mode" = echo ] && echo echo_200kB || echo "$mode")"
: "${SSLQUIC_OPENSSL_VERSION:?set by CMake}"
# Does the server's libssl know X25519MLKEM768 (OpenSSL >= 3.5)?
if printf '%s\n' 3.5 "$SSLQUIC_OPENSSL_VERSION" | sort -V -C; then
    server_pq=1
else
    server_pq=0
fi

if [ "${SSLQUIC_IN_CHROOT:-}" = 1 ]; then
    native() { "$@"; }
else
    [ "$(id -u)" = 0 ] ||
        fail "the native OpenSSL 3.5 client runs in the Debian 13 chroot, which needs root (run the tests as root)"
    # Made once (about a minute), then reused; one maker at a time.
    flock /tmp/sslquic-mkchroot.lock "$src_dir/scripts/mkchroot.sh" >/dev/null ||
        fail "scripts/mkchroot.sh could not make the Debian 13 chroot"
    native() { "$src_dir/scripts/chroot-run.sh" "$@"; }
fi

make_cert
server_args=(--alpn test --echo --max-conns 1)
s_client_args=()
case "$mode" in
s_client-default)
    if [ "$server_pq" = 1 ]; then want_group=X25519MLKEM768; else want_group=x25519; fi
    want_hrr=0 ;;
s_client-mlkem)
    s_client_args=(-groups X25519MLKEM768:X25519)
    if [ "$server_pq" = 1 ]; then
        want_group=X25519MLKEM768 want_hrr=0
    else
        want_group=x25519 want_hrr=1
    fi ;;
s_client-hrr)
    server_args+=(--groups P-256)
    want_group=secp256r1 want_hrr=1 ;;
echo)
    want_group='[^ ]+' want_hrr='[01]' ;;
*) fail "usage: native.sh s_client-default|s_client-mlkem|s_client-hrr|echo" ;;
esac

start_quic_peer_server 127.0.0.1 "${server_args[@]}"
rc=0
if [ "$mode" = echo ]; then
    if [ -n "${NATIVE_CLIENT:-}" ]; then
        "$NATIVE_CLIENT" --cafile "$work/cert.pem" --bytes 200000 127.0.0.1 "$port" test \
            >"$work/client.out" 2>&1 || rc=$?
    else
        # Built here, inside the chroot, against its OpenSSL 3.5; the CA
        # travels on stdin (the chroot's /tmp is its own).
        native sh -c "cat >/tmp/ca.pem &&
            gcc -std=c11 -Wall -Wextra -Werror -o /tmp/native_client /src/tests/interop/native_client.c -lssl -lcrypto &&
            /tmp/native_client --cafile /tmp/ca.pem --bytes 200000 127.0.0.1 $port test" \
            <"$work/cert.pem" >"$work/client.out" 2>&1 || rc=$?
    fi
    [ "$rc" = 0 ] || { show native_client "$work/client.out"; show server "$work/server.out"; fail "native_client exited with $rc"; }
    expect "$work/client.out" \
        '^native handshake ok alpn=test cipher=TLS_[A-Z0-9_]+ group=[^ ]+ version=QUICv1 bytes_sent=200000 bytes_received=200000 echo=match result=ok$'
    want_bytes=200000
else
    printf ping | native openssl s_client -quic -alpn test -servername localhost \
        -connect "127.0.0.1:$port" "${s_client_args[@]}" >"$work/client.out" 2>&1 || rc=$?
    [ "$rc" = 0 ] || { show s_client "$work/client.out"; show server "$work/server.out"; fail "s_client exited with $rc"; }
    expect "$work/client.out" '^Protocol: QUICv1$' '^ALPN protocol: test$' \
        '^New, TLSv1\.3, Cipher is TLS_'
    want_bytes=4
fi
finish_quic_peer_server
expect "$work/server.out" \
    "^conn 0 handshake ok alpn=test cipher=TLS_[A-Z0-9_]+ group=$want_group version=1 retry=1 hrr=$want_hrr streams=1 bytes_sent=$want_bytes bytes_received=$want_bytes close=app:0x0 by=peer result=ok\$"
grep -E '^(native|Protocol|ALPN|New|Peer Temp Key)' "$work/client.out" || true
cat "$work/server.out"
