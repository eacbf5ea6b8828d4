# SPDX-License-Identifier: Apache-2.0
# Shell helpers shared by run_pair.sh, run_probe.sh and scripts/cross.sh
# (sourced, not run).

# conf_make_certs DIR: a throwaway CA (ca.pem) and a localhost server
# certificate signed by it (cert.pem, key.pem), valid two days.
conf_make_certs() {
    local d=$1
    cat >"$d/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = sslquic conformance
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
CNF
    openssl req -config "$d/openssl.cnf" -x509 -extensions ca -days 2 \
        -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=sslquic-conformance-ca \
        -keyout "$d/ca.key" -out "$d/ca.pem" 2>"$d/certs.log" &&
    openssl req -config "$d/openssl.cnf" -new \
        -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj /CN=localhost -keyout "$d/key.pem" -out "$d/req.pem" \
        2>>"$d/certs.log" &&
    openssl x509 -req -in "$d/req.pem" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
        -set_serial 2 -days 2 -extfile "$d/openssl.cnf" -extensions leaf \
        -out "$d/cert.pem" 2>>"$d/certs.log" || {
        cat "$d/certs.log" >&2
        return 1
    }
}

# conf_timeout BYTES: seconds one echo case may take (sanitizer builds move
# roughly 10-20 MB/s each way).
conf_timeout() {
    if [ "$1" -ge 10485760 ]; then echo 240; else echo 60; fi
}

# conf_matrix_add PEER CASE RC: one cell of the interop matrix that
# scripts/test.sh prints ("PEER<TAB>CASE<TAB>pass|FAIL" appended to
# $SSLQUIC_MATRIX_FILE); nothing when that is unset or PEER is empty.
conf_matrix_add() {
    [ -n "${SSLQUIC_MATRIX_FILE:-}" ] && [ -n "$1" ] || return 0
    printf '%s\t%s\t%s\n' "$1" "$2" "$([ "$3" -eq 0 ] && echo pass || echo FAIL)" \
        >>"$SSLQUIC_MATRIX_FILE"
}

# conf_read_port PID: sets $port to the port the server PID writes to the
# FIFO open on descriptor 3; empty if PID dies or a minute passes first (the
# one-second slices only notice a server that died before writing it).
conf_read_port() {
    port=
    for _ in $(seq 60); do
        read -r -t 1 -u 3 port && break
        kill -0 "$1" 2>/dev/null || break
    done
}

# conf_run_pair NAME TMO SERVER CLIENT: one server and one client program
# against each other on loopback, the part run_pair.sh and run_mstream.sh
# share.  It reads their option globals: work (empty: a private temp dir,
# removed at exit), server_wrap, client_wrap, server_view, client_view,
# matrix_peer, matrix_case, and the arrays sargs (server arguments besides
# --cert, --key and --port-file) and cargs (client arguments besides --port
# and --cafile).  The server announces its port through a FIFO held open
# here (no sleeps, no polling); each process is bounded by timeout(1) TMO
# seconds and killed at exit.  Prints the tail of both logs; returns 0 iff
# both sides exit 0.
conf_pair_spid= conf_pair_fifo= conf_pair_own_work=
conf_pair_cleanup() {
    local rc=$?
    conf_matrix_add "$matrix_peer" "$matrix_case" "$rc"
    [ -n "$conf_pair_spid" ] && kill "$conf_pair_spid" 2>/dev/null &&
        wait "$conf_pair_spid" 2>/dev/null
    exec 3>&- 2>/dev/null
    [ -n "$conf_pair_fifo" ] && rm -f "$conf_pair_fifo"
    [ -n "$conf_pair_own_work" ] && rm -rf "$conf_pair_own_work"
}
conf_run_pair() {
    local name=$1 tmo=$2 server=$3 client=$4 sv cv tag port crc src
    local -a swrap cwrap
    trap conf_pair_cleanup EXIT
    trap 'exit 130' INT TERM
    if [ -z "$work" ]; then
        work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-conf.XXXXXX") || exit 1
        conf_pair_own_work=$work
    fi
    sv=${server_view:-$work} cv=${client_view:-$work}
    [ -f "$work/ca.pem" ] || conf_make_certs "$work" || exit 1

    tag=$$.$RANDOM
    conf_pair_fifo=$work/port.$tag
    mkfifo "$conf_pair_fifo" || exit 1
    exec 3<>"$conf_pair_fifo" # read-write: neither side's open() ever blocks
    read -ra swrap <<<"$server_wrap"
    read -ra cwrap <<<"$client_wrap"

    timeout -k 5 "$tmo" "${swrap[@]}" "$server" --cert "$sv/cert.pem" \
        --key "$sv/key.pem" --port-file "$sv/port.$tag" "${sargs[@]}" \
        >"$work/server.$tag.log" 2>&1 &
    conf_pair_spid=$!

    conf_read_port "$conf_pair_spid"
    if [ -z "$port" ]; then
        echo "$name: server never reported its port" >&2
        cat "$work/server.$tag.log" >&2
        exit 1
    fi

    timeout -k 5 "$tmo" "${cwrap[@]}" "$client" --port "$port" \
        --cafile "$cv/ca.pem" "${cargs[@]}" >"$work/client.$tag.log" 2>&1
    crc=$?
    # A failed client may leave the server waiting for connections that
    # never come; do not let it run into its timeout.
    [ "$crc" -ne 0 ] && kill "$conf_pair_spid" 2>/dev/null
    wait "$conf_pair_spid"
    src=$?
    conf_pair_spid=

    echo "--- server ($src): $server"
    tail -n 30 "$work/server.$tag.log"
    echo "--- client ($crc): $client"
    tail -n 30 "$work/client.$tag.log"
    rm -f "$work/server.$tag.log" "$work/client.$tag.log"
    [ "$src" -eq 0 ] && [ "$crc" -eq 0 ]
}
