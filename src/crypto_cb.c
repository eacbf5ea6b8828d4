/* SPDX-License-Identifier: Apache-2.0 */
#include "crypto_cb.h"

#include <string.h>

#include <openssl/crypto.h>

#include "error.h"

/* ---- glue between crypto.h objects and ngtcp2's handles ----------------- */

static void crypto_ctx_init(ngtcp2_crypto_ctx *ctx, const sslq_suite *suite)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->aead.native_handle = (void *)suite->aead;
    ctx->aead.max_overhead = SSLQ_TAG_LEN;
    ctx->md.native_handle = (void *)suite->md;
    ctx->hp.native_handle = (void *)suite->hp;
    ctx->max_encryption = suite->max_encryption;
    ctx->max_decryption_failure = suite->max_decryption_failure;
}

/* The suite behind an ngtcp2_crypto_aead: its EVP_CIPHER is one of the
 * three crypto.c fetched. */
static const sslq_suite *suite_of_aead(const void *aead)
{
    static const uint16_t ids[] = {SSLQ_TLS_AES_128_GCM_SHA256,
                                   SSLQ_TLS_AES_256_GCM_SHA384,
                                   SSLQ_TLS_CHACHA20_POLY1305_SHA256};
    const sslq_suite *suite;
    size_t i;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        suite = sslq_suite_get(ids[i]);
        if (suite && (const void *)suite->aead == aead)
            return suite;
    }
    return NULL;
}

static uint32_t conn_version(ngtcp2_conn *conn)
{
    uint32_t version = ngtcp2_conn_get_negotiated_version(conn);

    return version ? version : ngtcp2_conn_get_client_chosen_version(conn);
}

/* Keys for one direction: an AEAD context, the IV and, unless |hp| is NULL
 * (a key update keeps the header-protection key), an HP context. */
static int direction_new(const sslq_suite *suite, uint32_t version,
                         const uint8_t *secret, size_t secretlen, int encrypt,
                         ngtcp2_crypto_aead_ctx *aead,
                         ngtcp2_crypto_cipher_ctx *hp, uint8_t iv[SSLQ_IV_LEN])
{
    sslq_packet_keys keys;
    EVP_CIPHER_CTX *actx, *hctx = NULL;
    int rv;

    rv = sslq_derive_packet_keys(suite, version, secret, secretlen, &keys);
    if (rv != 0)
        return rv;
    actx = sslq_aead_ctx_new(suite, keys.key, encrypt);
    if (hp)
        hctx = sslq_hp_ctx_new(suite, keys.hp);
    if (!actx || (hp && !hctx)) {
        EVP_CIPHER_CTX_free(actx);
        EVP_CIPHER_CTX_free(hctx);
        OPENSSL_cleanse(&keys, sizeof(keys));
        return SSLQ_ERR_NOMEM;
    }
    aead->native_handle = actx;
    if (hp)
        hp->native_handle = hctx;
    memcpy(iv, keys.iv, SSLQ_IV_LEN);
    OPENSSL_cleanse(&keys, sizeof(keys));
    return 0;
}

static void cipher_ctx_free(ngtcp2_crypto_cipher_ctx *ctx)
{
    EVP_CIPHER_CTX_free(ctx->native_handle);
    ctx->native_handle = NULL;
}

void sslq_crypto_aead_ctx_free(ngtcp2_crypto_aead_ctx *aead_ctx)
{
    if (!aead_ctx)
        return;
    EVP_CIPHER_CTX_free(aead_ctx->native_handle);
    aead_ctx->native_handle = NULL;
}

static int from_ngtcp2(int rv)
{
    switch (rv) {
    case 0:
        return 0;
    case NGTCP2_ERR_NOMEM:
        return SSLQ_ERR_NOMEM;
    case NGTCP2_ERR_NOBUF:
        return SSLQ_ERR_BUFFER;
    case NGTCP2_ERR_INVALID_ARGUMENT:
        return SSLQ_ERR_INVALID_ARGUMENT;
    case NGTCP2_ERR_CALLBACK_FAILURE:
        return SSLQ_ERR_CRYPTO;
    default:
        return SSLQ_ERR_INTERNAL;
    }
}

/* ---- Initial keys ------------------------------------------------------- */

typedef struct initial_keys {
    ngtcp2_crypto_aead_ctx rx_aead, tx_aead;
    ngtcp2_crypto_cipher_ctx rx_hp, tx_hp;
    uint8_t rx_iv[SSLQ_IV_LEN], tx_iv[SSLQ_IV_LEN];
} initial_keys;

static void initial_keys_free(initial_keys *k)
{
    sslq_crypto_aead_ctx_free(&k->rx_aead);
    sslq_crypto_aead_ctx_free(&k->tx_aead);
    cipher_ctx_free(&k->rx_hp);
    cipher_ctx_free(&k->tx_hp);
}

static int initial_keys_new(initial_keys *k, int server, uint32_t version,
                            const ngtcp2_cid *dcid)
{
    uint8_t csecret[SSLQ_INITIAL_SECRET_LEN], ssecret[SSLQ_INITIAL_SECRET_LEN];
    const sslq_suite *suite = sslq_suite_initial();
    int rv;

    memset(k, 0, sizeof(*k));
    if (!suite)
        return SSLQ_ERR_CRYPTO;
    rv = sslq_initial_secrets(version, dcid->data, dcid->datalen, csecret,
                              ssecret);
    if (rv == 0)
        rv = direction_new(suite, version, server ? csecret : ssecret,
                           SSLQ_INITIAL_SECRET_LEN, 0, &k->rx_aead, &k->rx_hp,
                           k->rx_iv);
    if (rv == 0)
        rv = direction_new(suite, version, server ? ssecret : csecret,
                           SSLQ_INITIAL_SECRET_LEN, 1, &k->tx_aead, &k->tx_hp,
                           k->tx_iv);
    OPENSSL_cleanse(csecret, sizeof(csecret));
    OPENSSL_cleanse(ssecret, sizeof(ssecret));
    if (rv != 0)
        initial_keys_free(k);
    return rv;
}

int sslq_crypto_install_initial(ngtcp2_conn *conn, uint32_t version,
                                const ngtcp2_cid *dcid)
{
    ngtcp2_crypto_aead retry_aead;
    ngtcp2_crypto_aead_ctx retry_ctx = {NULL};
    ngtcp2_crypto_ctx ctx;
    initial_keys k;
    int server, rv;

    if (!conn || !dcid)
        return SSLQ_ERR_INVALID_ARGUMENT;
    server = ngtcp2_conn_is_server(conn);
    rv = initial_keys_new(&k, server, version, dcid);
    if (rv != 0)
        return rv;
    /* ngtcp2 verifies a Retry with this AEAD before recv_retry runs, and a
     * client accepts one Retry at most, so it is set once. */
    if (!server && !ngtcp2_conn_after_retry(conn)) {
        rv = sslq_crypto_retry_aead(version, &retry_aead, &retry_ctx);
        if (rv != 0) {
            initial_keys_free(&k);
            return rv;
        }
    }
    crypto_ctx_init(&ctx, sslq_suite_initial());
    ngtcp2_conn_set_initial_crypto_ctx(conn, &ctx);
    rv = ngtcp2_conn_install_initial_key(conn, &k.rx_aead, k.rx_iv, &k.rx_hp,
                                         &k.tx_aead, k.tx_iv, &k.tx_hp,
                                         SSLQ_IV_LEN);
    if (rv != 0) {
        initial_keys_free(&k);
        sslq_crypto_aead_ctx_free(&retry_ctx);
        return from_ngtcp2(rv);
    }
    if (retry_ctx.native_handle)
        ngtcp2_conn_set_retry_aead(conn, &retry_aead, &retry_ctx);
    return 0;
}

/* ---- Handshake, 1-RTT and 0-RTT keys ------------------------------------ */

int sslq_crypto_install_key(ngtcp2_conn *conn, ngtcp2_encryption_level level,
                            int is_rx, const sslq_suite *suite,
                            const uint8_t *secret, size_t secretlen)
{
    ngtcp2_crypto_aead_ctx aead = {NULL};
    ngtcp2_crypto_cipher_ctx hp = {NULL};
    uint8_t iv[SSLQ_IV_LEN];
    ngtcp2_crypto_ctx ctx;
    uint32_t version;
    int rv;

    if (!conn || !suite || !secret || secretlen != suite->secretlen)
        return SSLQ_ERR_INVALID_ARGUMENT;
    crypto_ctx_init(&ctx, suite);
    switch (level) {
    case NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE:
    case NGTCP2_ENCRYPTION_LEVEL_1RTT:
        version = conn_version(conn);
        ngtcp2_conn_set_crypto_ctx(conn, &ctx);
        break;
    case NGTCP2_ENCRYPTION_LEVEL_0RTT:
        /* 0-RTT is sent before any negotiation: the client's version. */
        version = ngtcp2_conn_get_client_chosen_version(conn);
        ngtcp2_conn_set_0rtt_crypto_ctx(conn, &ctx);
        break;
    default:
        return SSLQ_ERR_INVALID_ARGUMENT;
    }
    rv = direction_new(suite, version, secret, secretlen, !is_rx, &aead, &hp,
                       iv);
    if (rv != 0)
        return rv;
    switch (level) {
    case NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE:
        rv = is_rx ? ngtcp2_conn_install_rx_handshake_key(conn, &aead, iv,
                                                          SSLQ_IV_LEN, &hp)
                   : ngtcp2_conn_install_tx_handshake_key(conn, &aead, iv,
                                                          SSLQ_IV_LEN, &hp);
        break;
    case NGTCP2_ENCRYPTION_LEVEL_1RTT:
        rv = is_rx ? ngtcp2_conn_install_rx_key(conn, secret, secretlen, &aead,
                                                iv, SSLQ_IV_LEN, &hp)
                   : ngtcp2_conn_install_tx_key(conn, secret, secretlen, &aead,
                                                iv, SSLQ_IV_LEN, &hp);
        break;
    default:
        rv = ngtcp2_conn_install_0rtt_key(conn, &aead, iv, SSLQ_IV_LEN, &hp);
        break;
    }
    OPENSSL_cleanse(iv, sizeof(iv));
    if (rv != 0) {
        sslq_crypto_aead_ctx_free(&aead);
        cipher_ctx_free(&hp);
        return from_ngtcp2(rv);
    }
    return 0;
}

/* ---- Retry -------------------------------------------------------------- */

int sslq_crypto_retry_aead(uint32_t version, ngtcp2_crypto_aead *aead,
                           ngtcp2_crypto_aead_ctx *aead_ctx)
{
    const sslq_suite *suite = sslq_suite_initial(); /* AES-128-GCM too */
    const uint8_t *key, *nonce;
    int rv;

    if (!aead || !aead_ctx)
        return SSLQ_ERR_INVALID_ARGUMENT;
    rv = sslq_retry_key(version, &key, &nonce);
    if (rv != 0)
        return rv;
    if (!suite)
        return SSLQ_ERR_CRYPTO;
    aead->native_handle = (void *)suite->aead;
    aead->max_overhead = SSLQ_TAG_LEN;
    aead_ctx->native_handle = sslq_aead_ctx_new(suite, key, 1);
    return aead_ctx->native_handle ? 0 : SSLQ_ERR_NOMEM;
}

int sslq_crypto_write_retry(uint8_t *dest, size_t destlen, uint32_t version,
                            const ngtcp2_cid *dcid, const ngtcp2_cid *scid,
                            const ngtcp2_cid *odcid, const uint8_t *token,
                            size_t tokenlen, size_t *written)
{
    ngtcp2_crypto_aead aead;
    ngtcp2_crypto_aead_ctx aead_ctx = {NULL};
    ngtcp2_ssize n;
    int rv;

    /* A Retry without a token is meaningless (RFC 9000 §17.2.5.2), and
     * ngtcp2 asserts against one. */
    if (!dest || !dcid || !scid || !odcid || !token || tokenlen == 0 ||
        !written)
        return SSLQ_ERR_INVALID_ARGUMENT;
    /* ngtcp2 picks the Retry nonce from the version it knows: a version
     * only one side knows would get a key and a nonce that do not match. */
    if (!ngtcp2_is_supported_version(version))
        return SSLQ_ERR_INVALID_ARGUMENT;
    rv = sslq_crypto_retry_aead(version, &aead, &aead_ctx);
    if (rv != 0)
        return rv;
    n = ngtcp2_pkt_write_retry(dest, destlen, version, dcid, scid, odcid, token,
                               tokenlen, sslq_crypto_cb_encrypt, &aead,
                               &aead_ctx);
    sslq_crypto_aead_ctx_free(&aead_ctx);
    if (n < 0)
        return from_ngtcp2((int)n);
    *written = (size_t)n;
    return 0;
}

/* ---- the callbacks ------------------------------------------------------ */

int sslq_crypto_cb_encrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead,
                           const ngtcp2_crypto_aead_ctx *aead_ctx,
                           const uint8_t *plaintext, size_t plaintextlen,
                           const uint8_t *nonce, size_t noncelen,
                           const uint8_t *aad, size_t aadlen)
{
    (void)aead;
    if (noncelen != SSLQ_IV_LEN ||
        sslq_aead_seal(aead_ctx->native_handle, dest, plaintext, plaintextlen,
                       nonce, aad, aadlen) != 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    return 0;
}

int sslq_crypto_cb_decrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead,
                           const ngtcp2_crypto_aead_ctx *aead_ctx,
                           const uint8_t *ciphertext, size_t ciphertextlen,
                           const uint8_t *nonce, size_t noncelen,
                           const uint8_t *aad, size_t aadlen)
{
    int rv;

    (void)aead;
    if (noncelen != SSLQ_IV_LEN)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    rv = sslq_aead_open(aead_ctx->native_handle, dest, ciphertext,
                        ciphertextlen, nonce, aad, aadlen);
    if (rv == SSLQ_ERR_DECRYPT)
        return NGTCP2_ERR_DECRYPT; /* a forgery or garbage: drop the packet */
    return rv == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

int sslq_crypto_cb_hp_mask(uint8_t *dest, const ngtcp2_crypto_cipher *hp,
                           const ngtcp2_crypto_cipher_ctx *hp_ctx,
                           const uint8_t *sample)
{
    (void)hp;
    return sslq_hp_mask(hp_ctx->native_handle, dest, sample) == 0
               ? 0
               : NGTCP2_ERR_CALLBACK_FAILURE;
}

int sslq_crypto_cb_update_key(ngtcp2_conn *conn, uint8_t *rx_secret,
                              uint8_t *tx_secret,
                              ngtcp2_crypto_aead_ctx *rx_aead_ctx,
                              uint8_t *rx_iv,
                              ngtcp2_crypto_aead_ctx *tx_aead_ctx,
                              uint8_t *tx_iv, const uint8_t *current_rx_secret,
                              const uint8_t *current_tx_secret,
                              size_t secretlen, void *user_data)
{
    const ngtcp2_crypto_ctx *ctx = ngtcp2_conn_get_crypto_ctx(conn);
    const sslq_suite *suite = suite_of_aead(ctx->aead.native_handle);
    uint32_t version = conn_version(conn);
    int rv;

    (void)user_data;
    if (!suite)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    rv = sslq_derive_next_secret(suite, version, current_rx_secret, secretlen,
                                 rx_secret);
    if (rv == 0)
        rv = sslq_derive_next_secret(suite, version, current_tx_secret,
                                     secretlen, tx_secret);
    if (rv == 0)
        rv = direction_new(suite, version, rx_secret, secretlen, 0, rx_aead_ctx,
                           NULL, rx_iv);
    if (rv == 0) {
        rv = direction_new(suite, version, tx_secret, secretlen, 1, tx_aead_ctx,
                           NULL, tx_iv);
        if (rv != 0)
            sslq_crypto_aead_ctx_free(rx_aead_ctx);
    }
    return rv == 0 ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
}

void sslq_crypto_cb_delete_aead_ctx(ngtcp2_conn *conn,
                                    ngtcp2_crypto_aead_ctx *aead_ctx,
                                    void *user_data)
{
    (void)conn;
    (void)user_data;
    sslq_crypto_aead_ctx_free(aead_ctx);
}

void sslq_crypto_cb_delete_cipher_ctx(ngtcp2_conn *conn,
                                      ngtcp2_crypto_cipher_ctx *cipher_ctx,
                                      void *user_data)
{
    (void)conn;
    (void)user_data;
    if (cipher_ctx)
        cipher_ctx_free(cipher_ctx);
}

void sslq_crypto_cb_rand(uint8_t *dest, size_t destlen,
                         const ngtcp2_rand_ctx *rand_ctx)
{
    (void)rand_ctx;
    /* ngtcp2 uses these bytes for nothing secret (packet-number skips,
     * padding choices) and gives no way to fail: never leave them
     * uninitialised. */
    if (sslq_random(dest, destlen) != 0)
        memset(dest, 0, destlen);
}

int sslq_crypto_cb_get_path_challenge_data(ngtcp2_conn *conn, uint8_t *data,
                                           void *user_data)
{
    (void)conn;
    (void)user_data;
    return sslq_random(data, NGTCP2_PATH_CHALLENGE_DATALEN) == 0
               ? 0
               : NGTCP2_ERR_CALLBACK_FAILURE;
}

int sslq_crypto_cb_version_negotiation(ngtcp2_conn *conn, uint32_t version,
                                       const ngtcp2_cid *client_dcid,
                                       void *user_data)
{
    initial_keys k;
    int rv;

    (void)user_data;
    if (initial_keys_new(&k, ngtcp2_conn_is_server(conn), version,
                         client_dcid) != 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    rv = ngtcp2_conn_install_vneg_initial_key(conn, version, &k.rx_aead,
                                              k.rx_iv, &k.rx_hp, &k.tx_aead,
                                              k.tx_iv, &k.tx_hp, SSLQ_IV_LEN);
    if (rv != 0) {
        initial_keys_free(&k);
        return NGTCP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
}

int sslq_crypto_cb_recv_retry(ngtcp2_conn *conn, const ngtcp2_pkt_hd *hd,
                              void *user_data)
{
    (void)user_data;
    /* The server's new SCID is the DCID every later Initial carries, and
     * the Initial keys follow it (RFC 9001 §5.2). */
    return sslq_crypto_install_initial(
               conn, ngtcp2_conn_get_client_chosen_version(conn), &hd->scid) ==
                   0
               ? 0
               : NGTCP2_ERR_CALLBACK_FAILURE;
}

int sslq_crypto_cb_recv_client_initial(ngtcp2_conn *conn,
                                       const ngtcp2_cid *dcid, void *user_data)
{
    (void)user_data;
    return sslq_crypto_install_initial(
               conn, ngtcp2_conn_get_client_chosen_version(conn), dcid) == 0
               ? 0
               : NGTCP2_ERR_CALLBACK_FAILURE;
}

void sslq_crypto_cb_set(ngtcp2_callbacks *cb)
{
    cb->encrypt = sslq_crypto_cb_encrypt;
    cb->decrypt = sslq_crypto_cb_decrypt;
    cb->hp_mask = sslq_crypto_cb_hp_mask;
    cb->update_key = sslq_crypto_cb_update_key;
    cb->delete_crypto_aead_ctx = sslq_crypto_cb_delete_aead_ctx;
    cb->delete_crypto_cipher_ctx = sslq_crypto_cb_delete_cipher_ctx;
    cb->rand = sslq_crypto_cb_rand;
    cb->get_path_challenge_data = sslq_crypto_cb_get_path_challenge_data;
    cb->version_negotiation = sslq_crypto_cb_version_negotiation;
    cb->recv_retry = sslq_crypto_cb_recv_retry;
    cb->recv_client_initial = sslq_crypto_cb_recv_client_initial;
}
