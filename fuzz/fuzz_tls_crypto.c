/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TLS shim fed fuzzed CRYPTO data at fuzzed levels, checking the
 * promises tls_shim.h makes about its callbacks: secrets only at Handshake
 * and 1-RTT with the suite's length, a level's write secret before its first
 * CRYPTO data, no secret or CRYPTO data reported from a call that fails, and
 * a failure that sticks.
 *
 * Input: a flags byte, then records until the input ends: level byte (0-2 a
 * level, 3 "drive" with no data), u16 length, that many bytes.  Flags bit 0
 * clear: a server shim reading a ClientHello.  Set: a client shim that has
 * sent its ClientHello reads a server flight; since the shim itself protects
 * Handshake data with the keys libssl derived from the fuzzed ServerHello,
 * fuzzed EncryptedExtensions and Certificate messages reach libssl's parser
 * and the shim's checks.  The peer's transport parameters are decoded by
 * ngtcp2, as the connection does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ngtcp2_compat.h"
#include "tls_shim.h"

typedef struct state {
    int is_server;
    int write_secret[3];
    int reports; /* secrets and CRYPTO data reported by the current call */
} state;

static uint8_t local_tp[2][256]; /* [is_server] */
static size_t local_tplen[2];
static int verbose; /* FUZZ_TLS_VERBOSE=1: how far each input got */

static int on_secret(void *arg, enum sslq_level level, int is_write,
                     const sslq_suite *suite, const uint8_t *secret,
                     size_t secretlen)
{
    state *st = arg;

    (void)secret;
    st->reports++;
    if ((level != SSLQ_LEVEL_HANDSHAKE && level != SSLQ_LEVEL_APP) ||
        suite == NULL || secretlen != suite->secretlen)
        abort();
    if (is_write)
        st->write_secret[level] = 1;
    return 0;
}

static int on_crypto_data(void *arg, enum sslq_level level, const uint8_t *data,
                          size_t len)
{
    state *st = arg;

    (void)data;
    st->reports++;
    if (level > SSLQ_LEVEL_APP || len == 0 ||
        (level != SSLQ_LEVEL_INITIAL && !st->write_secret[level]))
        abort();
    return 0;
}

static int on_peer_transport_params(void *arg, const uint8_t *data, size_t len)
{
    const state *st = arg;
    ngtcp2_transport_params params;
    int rv;

    /* Not counted in reports: a server hands the parameters on while libssl
     * parses the ClientHello (its own depend on them), so a call that then
     * fails has already made this one (tls_shim.c, tp_parse_cb). */
#if SSLQ_NGTCP2_LEGACY
    rv = ngtcp2_decode_transport_params(
        &params,
        st->is_server ? NGTCP2_TRANSPORT_PARAMS_TYPE_CLIENT_HELLO
                      : NGTCP2_TRANSPORT_PARAMS_TYPE_ENCRYPTED_EXTENSIONS,
        data, len);
#else
    (void)st;
    rv = ngtcp2_transport_params_decode(&params, data, len);
#endif
    return rv == 0 ? 0 : SSLQ_TLS_ALERT_ILLEGAL_PARAMETER;
}

static const sslq_tls_callbacks callbacks = {
    on_secret, on_crypto_data, on_peer_transport_params, NULL};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ngtcp2_transport_params params;
    ngtcp2_cid cid = {8, {1, 2, 3, 4, 5, 6, 7, 8}};
    ngtcp2_ssize n;

    (void)argc;
    (void)argv;
    verbose = getenv("FUZZ_TLS_VERBOSE") != NULL;
    fuzz_server_ctx();
    fuzz_client_ctx();
    for (int is_server = 0; is_server < 2; is_server++) {
        ngtcp2_transport_params_default(&params);
        params.initial_max_data = 1 << 20;
        params.initial_max_streams_bidi = 100;
        if (is_server)
            sslq_ngtcp2_params_set_original_dcid(&params, &cid);
        sslq_ngtcp2_params_set_initial_scid(&params, &cid);
        n = sslq_ngtcp2_transport_params_encode(
            local_tp[is_server], sizeof(local_tp[is_server]), is_server,
            &params);
        if (n <= 0)
            abort();
        local_tplen[is_server] = (size_t)n;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    state st;
    SSL *ssl;
    sslq_tls *tls;
    int failed = 0;

    memset(&st, 0, sizeof(st));
    st.is_server = !(fuzz_u8(&r) & 1);
    ssl = SSL_new(st.is_server ? fuzz_server_ctx() : fuzz_client_ctx());
    if (ssl == NULL)
        abort();
    if (!st.is_server)
        SSL_set_tlsext_host_name(ssl, "localhost");
    tls = sslq_tls_new(ssl, st.is_server, &callbacks, &st);
    if (tls == NULL ||
        sslq_tls_set_local_transport_params(tls, local_tp[st.is_server],
                                            local_tplen[st.is_server]) != 0 ||
        (!st.is_server && sslq_tls_start(tls) != 0))
        abort();
    while (r.left > 0) {
        uint8_t level = fuzz_u8(&r) & 3;
        size_t len;
        const uint8_t *d = fuzz_bytes(&r, fuzz_u16(&r), &len);
        int rv;

        if (level == 3)
            len = 0;
        st.reports = 0;
        rv = sslq_tls_provide_data(tls, level == 3 ? SSLQ_LEVEL_INITIAL
                                                   : (enum sslq_level)level,
                                   d, len);
        if (rv != 0 && st.reports != 0)
            abort(); /* a failing call reported something */
        if (failed && rv == 0)
            abort(); /* failure is sticky */
        failed |= rv != 0;
    }
    if (verbose)
        fprintf(stderr, "%s: complete %d alert %d read level %d\n",
                st.is_server ? "server" : "client", sslq_tls_is_complete(tls),
                sslq_tls_get_alert(tls), (int)sslq_tls_get_read_level(tls));
    sslq_tls_free(tls);
    SSL_free(ssl);
    return 0;
}
