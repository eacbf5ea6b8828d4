#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The HTTP/3 examples against Debian's ngtcp2 + GnuTLS programs, one cell of
# the interop matrix per run, every body checked by SHA-256:
#   h3_matrix.sh server CASE   Debian's gtlsclient fetches from our h3-server
#   h3_matrix.sh client CASE   our h3-client fetches from Debian's gtlsserver
# CASE:
#   50MiB         one file of 50 MiB
#   100x10KiB     100 files of 10 KiB on one connection, all at once
#   retry         address validation with a Retry (a 1 MB file)
#   chacha20      TLS_CHACHA20_POLY1305_SHA256 the only suite offered
#   key_update    the client updates keys while a 50 MiB body arrives
#   resumption    a second connection resumes the first one's session
#   v2draft       QUIC v2 under its provisional number 0x709a50c4 (the
#                 only v2 ngtcp2 0.12 knows) from the first packet
#                 (server only: h3-client has no version option)
#   vn            the client starts with an unknown version; the server
#                 answers Version Negotiation and v1 follows (server only)
# Each case also checks the evidence that it did what it says, in the
# gtlsclient/gtlsserver debug log.  H3_SERVER and H3_CLIENT come from CMake.
. "$(dirname "$0")/lib.sh"

role=${1:-} case=${2:-}
case "$role" in
server) peer=gtlsclient prog=${H3_SERVER:-} ;;
client) peer=gtlsserver prog=${H3_CLIENT:-} ;;
*) fail "usage: h3_matrix.sh server|client CASE" ;;
esac
case "$case" in
50MiB | 100x10KiB | retry | chacha20 | key_update | resumption) ;;
v2draft | vn) [ "$role" = server ] || fail "h3-client cannot choose a QUIC version" ;;
*) fail "unknown case '$case'" ;;
esac
matrix_cell "$peer" "h3 $case"
[ -x "$prog" ] || fail "the h3-$role program is missing ('$prog')"

make_cert
docroot=$work/htdocs dl=$work/dl
mkdir -p "$docroot" "$dl"
paths=()
case "$case" in
50MiB) head -c 52428800 /dev/urandom >"$docroot/big.bin"; paths=(/big.bin) ;;
key_update) head -c 52428800 /dev/urandom >"$docroot/big.bin"; paths=(/big.bin) ;;
100x10KiB)
    mkdir "$docroot/s"
    for i in $(seq 100); do
        head -c 10240 /dev/urandom >"$docroot/s/f$i.bin"
        paths+=("/s/f$i.bin")
    done ;;
*) head -c 1000000 /dev/urandom >"$docroot/one.bin"; paths=(/one.bin) ;;
esac

# sha256 of a body as served, to compare with what arrived.
want_sha() { sha256sum "$docroot$1" | cut -d' ' -f1; }

# The peer's debug log, for the evidence; large transfers run quietly.
quiet=()
case "$case" in 50MiB | 100x10KiB) quiet=(-q) ;; esac

# The Handshake CRYPTO bytes an ngtcp2 debug log shows received (rx) or sent
# (tx), summed per connection (the lines' second field), in the order the
# connections appear: with the certificate (a full handshake) or without (a
# resumed one).
crypto_by_conn() { # LOG rx|tx
    grep -a -E "frm $2 [0-9]+ Handshake CRYPTO" "$1" |
        awk '{ id = $2; len = $0; sub(/.* len=/, "", len); sub(/ .*/, "", len)
               if (!(id in sum)) ids[++n] = id
               sum[id] += len }
             END { for (i = 1; i <= n; i++) printf "%d ", sum[ids[i]]; print "" }'
}
# STREAM frames on the first request stream (id 0) an ngtcp2 debug log shows
# received (rx) or sent (tx), before line N and after it.
stream_frames() { # LOG rx|tx N
    awk -v dir="$2" -v n="$3" '
        $0 ~ "frm " dir " [0-9]+ 1RTT STREAM\\([^)]*\\) id=0x0 " { if (NR < n) b++; else a++ }
        END { print b + 0, a + 0 }' "$1"
}
cert_der=$(openssl x509 -in "$work/cert.pem" -outform DER | wc -c)

if [ "$role" = server ]; then
    # ---- our h3-server, Debian's gtlsclient ----
    gtlsclient=/usr/bin/gtlsclient
    [ -x "$gtlsclient" ] || fail "$gtlsclient is missing (package ngtcp2-client)"
    sargs=()
    [ "$case" = retry ] && sargs+=(--retry)
    [ "$case" = chacha20 ] && sargs+=(--ciphersuites TLS_CHACHA20_POLY1305_SHA256)
    rm -f "$work/port"
    "$prog" -p 0 --port-file "$work/port" "${sargs[@]}" "$work/cert.pem" \
        "$work/key.pem" "$docroot" >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    pids+=("$server_pid")
    wait_for_file "$work/port" "$server_pid" ||
        { show "h3-server stderr" "$work/server.err"; fail "h3-server did not start"; }
    port=$(cat "$work/port")
    urls=()
    for p in "${paths[@]}"; do urls+=("https://127.0.0.1:$port$p"); done

    cargs=()
    case "$case" in
    chacha20) cargs+=(--ciphers="NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305") ;;
    # long enough for the response to have started, even on a loaded
    # machine; the 50 MiB (with the debug log) take far longer to arrive
    key_update) cargs+=(--key-update=500ms) ;;
    resumption) cargs+=(--session-file="$work/session" --tp-file="$work/tp") ;;
    v2draft) cargs+=(-v v2draft) ;;
    vn) cargs+=(-v 0x1a2a3a4a --preferred-versions=v1) ;;
    esac
    runs=1
    [ "$case" = resumption ] && runs=2
    for ((r = 1; r <= runs; r++)); do
        rm -rf "$dl" && mkdir "$dl"
        rc=0
        timeout -k 5 100 "$gtlsclient" "${quiet[@]}" --no-quic-dump --no-http-dump \
            --exit-on-all-streams-close --download="$dl" "${cargs[@]}" \
            127.0.0.1 "$port" "${urls[@]}" >"$work/client$r.log" 2>&1 || rc=$?
        [ "$rc" = 0 ] || { tail -n 30 "$work/client$r.log" >&2; show "h3-server stderr" "$work/server.err"; fail "gtlsclient run $r exited with $rc"; }
        for p in "${paths[@]}"; do
            f=$dl/$(basename "$p")
            [ -f "$f" ] || fail "gtlsclient run $r saved no $p"
            got=$(sha256sum "$f" | cut -d' ' -f1)
            [ "$got" = "$(want_sha "$p")" ] || fail "gtlsclient run $r: $p has sha256 $got, not the served file's"
        done
    done
    log=$work/client1.log
    case "$case" in
    retry) expect "$log" 'pkt rx .* type=Retry' ;;
    chacha20) expect "$log" '^Negotiated cipher suite is CHACHA20-POLY1305$' ;;
    key_update)
        # initiated while the body was arriving: STREAM data on the request
        # stream before and after, and the server's packets in phase 1
        n=$(grep -n -m1 '^Initiate key update' "$log" | cut -d: -f1) || true
        [ -n "$n" ] || fail "gtlsclient never initiated a key update"
        read -r before after < <(stream_frames "$log" rx "$n")
        echo "response STREAM frames: $before before the key update, $after after"
        [ "$before" -gt 0 ] || fail "the key update came before any response data"
        [ "$after" -gt 0 ] || fail "the key update came after the last response data"
        expect "$log" 'pkt rx .* type=1RTT k=1$' ;;
    resumption)
        # the second handshake carries no certificate: a resumed session
        read -r full _ < <(crypto_by_conn "$work/client1.log" rx) || true
        read -r again _ < <(crypto_by_conn "$work/client2.log" rx) || true
        echo "server Handshake CRYPTO: $full bytes, then $again (certificate: $cert_der)"
        [ "${again:-0}" -gt 0 ] && [ $((${full:-0} - again)) -ge "$cert_der" ] ||
            fail "the second connection was not resumed ($full then $again bytes of Handshake CRYPTO)" ;;
    v2draft)
        expect "$log" 'con the negotiated version is 0x709a50c4$' 'pkt rx .* version=0x709a50c4 type=Handshake'
        ! grep -Eq 'pkt rx .* version=0x00000001 ' "$log" || fail "v1 packets in a v2 connection" ;;
    vn)
        expect "$log" 'pkt rx .* type=VN' 'con the negotiated version is 0x00000001$' ;;
    esac

    kill -TERM "$server_pid"
    rc=0
    wait "$server_pid" || rc=$?
    [ "$rc" = 0 ] || { show "h3-server stderr" "$work/server.err"; fail "h3-server exited with $rc after SIGTERM"; }
    for p in "${paths[@]}"; do
        expect "$work/server.out" "^h3-server: request GET $p 200 $(stat -c %s "$docroot$p")\$"
    done
    grep -m1 -a -E '^(Negotiated|con the negotiated)' "$log" || true
    tail -n 1 "$work/server.out"
    echo "h3-server <- gtlsclient, $case: ${#paths[@]} bodies intact"
    exit 0
fi

# ---- our h3-client, Debian's gtlsserver ----
gtlsserver=/usr/sbin/gtlsserver
[ -x "$gtlsserver" ] || fail "$gtlsserver is missing (package ngtcp2-server)"
sargs=()
[ "$case" = retry ] && sargs+=(-V)
start_gtlsserver 127.0.0.1 "${quiet[@]}" "${sargs[@]}" --no-quic-dump \
    --no-http-dump -d "$docroot"
urls=()
for p in "${paths[@]}"; do urls+=("https://localhost:$port$p"); done
cargs=(--ca "$work/cert.pem" --sha256)
case "$case" in
chacha20) cargs+=(--ciphersuites TLS_CHACHA20_POLY1305_SHA256) ;;
key_update) cargs+=(--key-update) ;;
resumption) cargs+=(--session "$work/session") ;;
esac
runs=1
[ "$case" = resumption ] && runs=2
for ((r = 1; r <= runs; r++)); do
    rc=0
    timeout -k 5 100 "$prog" "${cargs[@]}" "${urls[@]}" >"$work/client$r.out" \
        2>"$work/client$r.err" || rc=$?
    [ "$rc" = 0 ] || { show "h3-client stdout" "$work/client$r.out"; show "h3-client stderr" "$work/client$r.err"; fail "h3-client run $r exited with $rc"; }
    for p in "${paths[@]}"; do
        expect "$work/client$r.out" "^status 200 $(stat -c %s "$docroot$p") $p\$" \
            "^sha256 $(want_sha "$p") $p\$"
    done
done
log=$work/gtls.log
case "$case" in
retry) expect "$log" '^Sending Retry packet' '^Token was successfully validated' ;;
chacha20) expect "$log" '^Negotiated cipher suite is CHACHA20-POLY1305$' ;;
key_update)
    # the client's packets in phase 1, and response data sent after that
    n=$(grep -a -n -m1 -E 'pkt rx .* type=1RTT k=1$' "$log" | cut -d: -f1) || true
    [ -n "$n" ] || fail "gtlsserver never saw a packet in key phase 1"
    read -r before after < <(stream_frames "$log" tx "$n")
    echo "response STREAM frames: $before before the client's key update, $after after"
    [ "$after" -gt 0 ] || fail "the key update came after the last response data" ;;
resumption)
    expect "$work/client1.out" '^resumed no$'
    expect "$work/client2.out" '^resumed yes$'
    # gtlsserver's side of it: its second handshake sent no certificate
    # (the second field of ngtcp2's debug lines names the connection)
    read -r full again < <(crypto_by_conn "$log" tx) || true
    echo "gtlsserver Handshake CRYPTO: $full bytes, then $again (certificate: $cert_der)"
    [ "${again:-0}" -gt 0 ] && [ $((${full:-0} - again)) -ge "$cert_der" ] ||
        fail "gtlsserver did a full handshake the second time ($full then $again bytes)" ;;
esac
grep -a -m1 '^Negotiated cipher' "$log" || true
echo "h3-client -> gtlsserver, $case: ${#paths[@]} bodies intact"
