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
