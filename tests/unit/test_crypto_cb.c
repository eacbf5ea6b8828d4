/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_cb.c driven by a real ngtcp2: a client connection keyed by our
 * helpers writes Initial packets that crypto.c, keyed independently, opens;
 * an ngtcp2 server with our callbacks reads them; a Retry made with our
 * encrypt callback carries the tag RFC 9001 §5.8 defines and moves the
 * client to the new DCID; key updates follow RFC 9001 A.5.  Runs against
 * ngtcp2 0.12 and 1.x alike, with each one's QUIC v2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "crypto.h"
#include "crypto_cb.h"
#include "error.h"
#include "ngtcp2_compat.h"

#define TS_START ((ngtcp2_tstamp)1000000000ULL)

/* The ClientHello stand-in the client sends at the Initial level. */
static const uint8_t client_hello[] = "not really a ClientHello, but CRYPTO "
                                      "data all the same";
static const uint8_t client_finished[] = "handshake-level CRYPTO data";

typedef struct peer {
    ngtcp2_conn *conn;
    struct sockaddr_in local, remote;
    ngtcp2_path path;
    /* what recv_crypto_data saw */
    uint8_t crypto[256];
    size_t cryptolen;
    ngtcp2_encryption_level crypto_level;
} peer;

/* ---- callbacks only the test provides ----------------------------------- */

static int client_initial(ngtcp2_conn *conn, void *user_data)
{
    (void)user_data;
    if (sslq_crypto_install_initial(conn,
                                    ngtcp2_conn_get_client_chosen_version(conn),
                                    ngtcp2_conn_get_dcid(conn)) != 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    return ngtcp2_conn_submit_crypto_data(conn, NGTCP2_ENCRYPTION_LEVEL_INITIAL,
                                          client_hello, sizeof(client_hello));
}

static int recv_crypto_data(ngtcp2_conn *conn, ngtcp2_encryption_level level,
                            uint64_t offset, const uint8_t *data,
                            size_t datalen, void *user_data)
{
    peer *p = user_data;

    (void)conn;
    if (offset + datalen > sizeof(p->crypto))
        return NGTCP2_ERR_CALLBACK_FAILURE;
    memcpy(p->crypto + offset, data, datalen);
    if (offset + datalen > p->cryptolen)
        p->cryptolen = (size_t)(offset + datalen);
    p->crypto_level = level;
    return 0;
}

static int get_new_connection_id(ngtcp2_conn *conn, ngtcp2_cid *cid,
                                 uint8_t *token, size_t cidlen, void *user_data)
{
    (void)conn;
    (void)user_data;
    cid->datalen = cidlen;
    if (sslq_random(cid->data, cidlen) != 0 ||
        sslq_random(token, NGTCP2_STATELESS_RESET_TOKENLEN) != 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    return 0;
}

static void callbacks_init(ngtcp2_callbacks *cb)
{
    memset(cb, 0, sizeof(*cb));
    sslq_crypto_cb_set(cb);
    cb->client_initial = client_initial;
    cb->recv_crypto_data = recv_crypto_data;
    cb->get_new_connection_id = get_new_connection_id;
}

static void path_init(peer *p, uint16_t local_port, uint16_t remote_port)
{
    memset(&p->local, 0, sizeof(p->local));
    memset(&p->remote, 0, sizeof(p->remote));
    p->local.sin_family = p->remote.sin_family = AF_INET;
    p->local.sin_addr.s_addr = p->remote.sin_addr.s_addr =
        htonl(INADDR_LOOPBACK);
    p->local.sin_port = htons(local_port);
    p->remote.sin_port = htons(remote_port);
    memset(&p->path, 0, sizeof(p->path));
    p->path.local.addr = (ngtcp2_sockaddr *)&p->local;
    p->path.local.addrlen = sizeof(p->local);
    p->path.remote.addr = (ngtcp2_sockaddr *)&p->remote;
    p->path.remote.addrlen = sizeof(p->remote);
}

static void cid_init(ngtcp2_cid *cid, size_t len, uint8_t fill)
{
    memset(cid, 0, sizeof(*cid));
    cid->datalen = len;
    memset(cid->data, fill, len);
}

static void client_settings(ngtcp2_settings *settings)
{
    ngtcp2_settings_default(settings);
    settings->initial_ts = TS_START;
    settings->handshake_timeout = 10 * NGTCP2_SECONDS;
}

static void client_new_with(peer *c, uint32_t version, const ngtcp2_cid *dcid,
                            const ngtcp2_cid *scid,
                            const ngtcp2_settings *settings)
{
    ngtcp2_callbacks cb;
    ngtcp2_transport_params params;

    memset(c, 0, sizeof(*c));
    path_init(c, 40000, 4433);
    callbacks_init(&cb);
    ngtcp2_transport_params_default(&params);
    params.initial_max_data = 1 << 20;
    assert_int_equal(ngtcp2_conn_client_new(&c->conn, dcid, scid, &c->path,
                                            version, &cb, settings, &params,
                                            NULL, c),
                     0);
}

static void client_new(peer *c, uint32_t version, const ngtcp2_cid *dcid,
                       const ngtcp2_cid *scid)
{
    ngtcp2_settings settings;

    client_settings(&settings);
    client_new_with(c, version, dcid, scid, &settings);
}

static void peer_free(peer *p)
{
    if (p->conn)
        ngtcp2_conn_del(p->conn);
    p->conn = NULL;
}

/* ---- reading packets on the test's side --------------------------------- */

static size_t varint(const uint8_t *p, size_t avail, uint64_t *v)
{
    size_t n = (size_t)1 << (p[0] >> 6), i;

    assert_true(n <= avail);
    *v = p[0] & 0x3f;
    for (i = 1; i < n; i++)
        *v = (*v << 8) | p[i];
    return n;
}

/* The fields of a long-header packet the test needs. */
typedef struct long_pkt {
    uint32_t version;
    ngtcp2_cid dcid, scid;
    int initial;
    uint64_t tokenlen;
    size_t pn_offset, len; /* len: the packet, up to its Length's end */
} long_pkt;

static void long_pkt_parse(const uint8_t *pkt, size_t avail, long_pkt *lp)
{
    size_t off = 5;
    uint64_t length;

    memset(lp, 0, sizeof(*lp));
    assert_true(avail > 7 && (pkt[0] & 0x80));
    lp->version = (uint32_t)pkt[1] << 24 | (uint32_t)pkt[2] << 16 |
                  (uint32_t)pkt[3] << 8 | pkt[4];
    lp->dcid.datalen = pkt[off++];
    assert_true(lp->dcid.datalen <= NGTCP2_MAX_CIDLEN);
    memcpy(lp->dcid.data, pkt + off, lp->dcid.datalen);
    off += lp->dcid.datalen;
    lp->scid.datalen = pkt[off++];
    assert_true(lp->scid.datalen <= NGTCP2_MAX_CIDLEN);
    memcpy(lp->scid.data, pkt + off, lp->scid.datalen);
    off += lp->scid.datalen;
    /* Initial is type 0 in v1, type 1 in both flavours of v2 */
    lp->initial =
        (pkt[0] & 0x30) == (lp->version == SSLQ_VERSION_V1 ? 0x00 : 0x10);
    if (lp->initial) {
        off += varint(pkt + off, avail - off, &lp->tokenlen);
        off += (size_t)lp->tokenlen;
    }
    off += varint(pkt + off, avail - off, &length);
    assert_true(off + length <= avail);
    lp->pn_offset = off;
    lp->len = off + (size_t)length;
}

/* Opens |pkt| in place with keys derived from |secret| here, not through
 * the connection, and returns the payload. */
static const uint8_t *open_with_secret(uint8_t *pkt, const long_pkt *lp,
                                       const sslq_suite *suite,
                                       uint32_t version, const uint8_t *secret,
                                       size_t secretlen, size_t *payloadlen)
{
    sslq_packet_keys keys;
    EVP_CIPHER_CTX *aead, *hp;
    size_t hdrlen;
    uint64_t pn;
    int rv;

    assert_int_equal(
        sslq_derive_packet_keys(suite, version, secret, secretlen, &keys), 0);
    aead = sslq_aead_ctx_new(suite, keys.key, 0);
    hp = sslq_hp_ctx_new(suite, keys.hp);
    assert_non_null(aead);
    assert_non_null(hp);
    rv = sslq_packet_unprotect(aead, keys.iv, hp, pkt, lp->len, lp->pn_offset,
                               -1, &pn, &hdrlen, payloadlen);
    EVP_CIPHER_CTX_free(aead);
    EVP_CIPHER_CTX_free(hp);
    assert_int_equal(rv, 0);
    return pkt + hdrlen;
}

/* Finds the CRYPTO frame at offset 0 among PADDING/PING frames and checks
 * it carries |want|. */
static void assert_crypto_frame(const uint8_t *payload, size_t len,
                                const uint8_t *want, size_t wantlen)
{
    size_t off = 0;
    uint64_t offset, datalen;

    while (off < len && (payload[off] == 0x00 || payload[off] == 0x01))
        off++;
    assert_true(off < len);
    assert_int_equal(payload[off], 0x06);
    off++;
    off += varint(payload + off, len - off, &offset);
    off += varint(payload + off, len - off, &datalen);
    assert_int_equal(offset, 0);
    assert_int_equal(datalen, wantlen);
    assert_true(off + datalen <= len);
    assert_memory_equal(payload + off, want, wantlen);
}

static void client_initial_secret(uint32_t version, const ngtcp2_cid *dcid,
                                  uint8_t secret[SSLQ_INITIAL_SECRET_LEN])
{
    uint8_t server[SSLQ_INITIAL_SECRET_LEN];

    assert_int_equal(sslq_initial_secrets(version, dcid->data, dcid->datalen,
                                          secret, server),
                     0);
}

static size_t write_pkt(peer *p, uint8_t *buf, size_t cap, ngtcp2_tstamp ts)
{
    ngtcp2_ssize n = ngtcp2_conn_write_pkt(p->conn, NULL, NULL, buf, cap, ts);

    assert_true(n > 0);
    return (size_t)n;
}

/* The versions under test: v1 and the v2 the linked ngtcp2 speaks. */
static const uint32_t v1 = SSLQ_VERSION_V1;
static const uint32_t v2 = SSLQ_NGTCP2_PROTO_VER_V2;

/* ---- tests -------------------------------------------------------------- */

static void
test_client_initial_opens_with_independently_derived_keys(void **state)
{
    uint32_t version = *(const uint32_t *)*state;
    uint8_t buf[1500], secret[SSLQ_INITIAL_SECRET_LEN];
    const uint8_t *payload;
    ngtcp2_cid dcid, scid;
    size_t n, payloadlen;
    long_pkt lp;
    peer c;

    cid_init(&dcid, 8, 0xd1);
    cid_init(&scid, 8, 0x5c);
    client_new(&c, version, &dcid, &scid);
    n = write_pkt(&c, buf, sizeof(buf), TS_START);
    assert_true(n >= 1200); /* a client Initial fills the datagram */

    long_pkt_parse(buf, n, &lp);
    assert_int_equal(lp.version, version);
    assert_memory_equal(lp.dcid.data, dcid.data, dcid.datalen);
    assert_int_equal(lp.tokenlen, 0);
    client_initial_secret(version, &dcid, secret);
    payload = open_with_secret(buf, &lp, sslq_suite_initial(), version, secret,
                               sizeof(secret), &payloadlen);
    assert_crypto_frame(payload, payloadlen, client_hello,
                        sizeof(client_hello));
    peer_free(&c);
}

/* The other direction of the same wiring: an ngtcp2 server whose Initial
 * keys come from our recv_client_initial decrypts the client's Initial and
 * hands the CRYPTO data up. */
static void
test_server_conn_reads_client_initial_through_callbacks(void **state)
{
    uint32_t version = *(const uint32_t *)*state;
    ngtcp2_cid dcid, scid, server_scid;
    ngtcp2_transport_params params;
    ngtcp2_settings settings;
    ngtcp2_callbacks cb;
    ngtcp2_pkt_info pi;
    ngtcp2_pkt_hd hd;
    uint8_t buf[1500];
    peer c, s;
    size_t n;

    cid_init(&dcid, 12, 0xd2);
    cid_init(&scid, 8, 0x5d);
    cid_init(&server_scid, 8, 0xee);
    client_new(&c, version, &dcid, &scid);
    n = write_pkt(&c, buf, sizeof(buf), TS_START);

    assert_int_equal(ngtcp2_accept(&hd, buf, n), 0);
    memset(&s, 0, sizeof(s));
    path_init(&s, 4433, 40000);
    callbacks_init(&cb);
    ngtcp2_settings_default(&settings);
    settings.initial_ts = TS_START;
    ngtcp2_transport_params_default(&params);
    sslq_ngtcp2_params_set_original_dcid(&params, &hd.dcid);
    assert_int_equal(ngtcp2_conn_server_new(&s.conn, &hd.scid, &server_scid,
                                            &s.path, hd.version, &cb, &settings,
                                            &params, NULL, &s),
                     0);
    memset(&pi, 0, sizeof(pi));
    assert_int_equal(
        ngtcp2_conn_read_pkt(s.conn, &s.path, &pi, buf, n, TS_START + 1), 0);
    assert_int_equal(s.crypto_level, NGTCP2_ENCRYPTION_LEVEL_INITIAL);
    assert_int_equal(s.cryptolen, sizeof(client_hello));
    assert_memory_equal(s.crypto, client_hello, sizeof(client_hello));
    peer_free(&s);
    peer_free(&c);
}

static void test_retry_carries_rfc_tag_and_rekeys_client(void **state)
{
    uint32_t version = *(const uint32_t *)*state;
    static const uint8_t token[] = "retry-token";
    uint8_t buf[1500], retry[256], bad[256], tag[SSLQ_TAG_LEN];
    uint8_t secret[SSLQ_INITIAL_SECRET_LEN];
    const uint8_t *payload;
    ngtcp2_cid odcid, scid, server_scid;
    size_t n, retrylen, payloadlen;
    ngtcp2_pkt_info pi;
    long_pkt lp;
    peer c;

    cid_init(&odcid, 8, 0x0d);
    cid_init(&scid, 8, 0x5e);
    cid_init(&server_scid, 18, 0x77);
    client_new(&c, version, &odcid, &scid);
    write_pkt(&c, buf, sizeof(buf), TS_START);

    /* the server answers with a Retry written through our encrypt */
    assert_int_equal(sslq_crypto_write_retry(retry, sizeof(retry), version,
                                             &scid, &server_scid, &odcid, token,
                                             sizeof(token), &retrylen),
                     0);
    assert_true(retrylen > SSLQ_TAG_LEN);
    assert_int_equal(sslq_retry_tag(version, odcid.data, odcid.datalen, retry,
                                    retrylen - SSLQ_TAG_LEN, tag),
                     0);
    assert_memory_equal(tag, retry + retrylen - SSLQ_TAG_LEN, SSLQ_TAG_LEN);

    /* a Retry whose tag does not verify changes nothing */
    memset(&pi, 0, sizeof(pi));
    memcpy(bad, retry, retrylen);
    bad[retrylen - 1] ^= 0x01;
    ngtcp2_conn_read_pkt(c.conn, &c.path, &pi, bad, retrylen, TS_START + 1);
    assert_int_equal(ngtcp2_conn_get_dcid(c.conn)->datalen, odcid.datalen);
    assert_memory_equal(ngtcp2_conn_get_dcid(c.conn)->data, odcid.data,
                        odcid.datalen);

    /* the genuine one is verified with the Retry AEAD our install_initial
     * set, then recv_retry rekeys Initial for the server's new CID */
    assert_int_equal(ngtcp2_conn_read_pkt(c.conn, &c.path, &pi, retry, retrylen,
                                          TS_START + 2),
                     0);
    assert_true(ngtcp2_conn_after_retry(c.conn));
    n = write_pkt(&c, buf, sizeof(buf), TS_START + 3);
    long_pkt_parse(buf, n, &lp);
    assert_int_equal(lp.dcid.datalen, server_scid.datalen);
    assert_memory_equal(lp.dcid.data, server_scid.data, server_scid.datalen);
    assert_int_equal(lp.tokenlen, sizeof(token));
    client_initial_secret(version, &server_scid, secret);
    payload = open_with_secret(buf, &lp, sslq_suite_initial(), version, secret,
                               sizeof(secret), &payloadlen);
    assert_crypto_frame(payload, payloadlen, client_hello,
                        sizeof(client_hello));
    peer_free(&c);
}

static void test_write_retry_refuses_bad_input(void **state)
{
    static const uint8_t token[] = "t";
    uint8_t retry[256];
    ngtcp2_cid odcid, short_odcid, cid;
    size_t n;

    (void)state;
    cid_init(&odcid, 8, 1);
    cid_init(&short_odcid, 7, 1);
    cid_init(&cid, 8, 2);
    assert_int_equal(sslq_crypto_write_retry(retry, sizeof(retry), v1, &cid,
                                             &cid, &odcid, token, 1, &n),
                     0);
    assert_int_equal(sslq_crypto_write_retry(retry, sizeof(retry), 0x0a0a0a0a,
                                             &cid, &cid, &odcid, token, 1, &n),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_write_retry(retry, 20, v1, &cid, &cid, &odcid,
                                             token, 1, &n),
                     SSLQ_ERR_BUFFER);
    assert_int_equal(sslq_crypto_write_retry(retry, sizeof(retry), v1, &cid,
                                             &cid, &short_odcid, token, 1, &n),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_write_retry(retry, sizeof(retry), v1, &cid,
                                             &cid, &odcid, NULL, 0, &n),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_write_retry(NULL, sizeof(retry), v1, &cid,
                                             &cid, &odcid, token, 1, &n),
                     SSLQ_ERR_INVALID_ARGUMENT);
}

/* RFC 9001 A.5: the 1-RTT secret, and the next one under "quic ku"; RFC
 * 9369 A.5: the next one under "quicv2 ku". */
static const uint8_t rfc_a5_secret[32] =
    "\x9a\xc3\x12\xa7\xf8\x77\x46\x8e\xbe\x69\x42\x27\x48\xad\x00\xa1"
    "\x54\x43\xf1\x82\x03\xa0\x7d\x60\x60\xf6\x88\xf3\x0f\x21\x63\x2b";
static const uint8_t rfc9001_a5_ku[32] =
    "\x12\x23\x50\x47\x55\x03\x6d\x55\x63\x42\xee\x93\x61\xd2\x53\x42"
    "\x1a\x82\x6c\x9e\xcd\xf3\xc7\x14\x86\x84\xb3\x6b\x71\x48\x81\xf9";
static const uint8_t rfc9369_a5_ku[32] =
    "\xc6\x93\x74\xc4\x9e\x3d\x2a\x94\x66\xfa\x68\x9e\x49\xd4\x76\xdb"
    "\x5d\x0d\xfb\xc8\x7d\x32\xce\xea\xa6\x34\x3f\xd0\xae\x4c\x7d\x88";

/* RFC 9001 A.5 (RFC 9369 A.5 for v2): from the ChaCha20 1-RTT secret, a key
 * update yields the published next secret, and the new AEAD seals exactly
 * as keys derived from that secret do. */
static void test_update_key_follows_rfc_a5(void **state)
{
    uint32_t version = *(const uint32_t *)*state;
    const sslq_suite *suite = sslq_suite_get(SSLQ_TLS_CHACHA20_POLY1305_SHA256);
    uint8_t secret[32], rx_secret[32], tx_secret[32];
    uint8_t rx_iv[SSLQ_IV_LEN], tx_iv[SSLQ_IV_LEN], nonce[SSLQ_IV_LEN] = {0};
    uint8_t a[16 + SSLQ_TAG_LEN], b[16 + SSLQ_TAG_LEN];
    ngtcp2_crypto_aead_ctx rx = {NULL}, tx = {NULL};
    EVP_CIPHER_CTX *ref;
    sslq_packet_keys next;
    ngtcp2_cid dcid, scid;
    const uint8_t *ku;
    peer c;

    /* "quicv2 ku" only in RFC 9369; v1 and ngtcp2 0.12's draft v2 use
     * "quic ku" */
    ku = version == SSLQ_VERSION_V2 ? rfc9369_a5_ku : rfc9001_a5_ku;
    memcpy(secret, rfc_a5_secret, sizeof(secret));
    cid_init(&dcid, 8, 0xd3);
    cid_init(&scid, 8, 0x5f);
    client_new(&c, version, &dcid, &scid);
    assert_int_equal(sslq_crypto_install_key(c.conn,
                                             NGTCP2_ENCRYPTION_LEVEL_1RTT, 1,
                                             suite, secret, sizeof(secret)),
                     0);
    assert_int_equal(sslq_crypto_install_key(c.conn,
                                             NGTCP2_ENCRYPTION_LEVEL_1RTT, 0,
                                             suite, secret, sizeof(secret)),
                     0);
    assert_ptr_equal(ngtcp2_conn_get_crypto_ctx(c.conn)->aead.native_handle,
                     suite->aead);

    assert_int_equal(sslq_crypto_cb_update_key(c.conn, rx_secret, tx_secret,
                                               &rx, rx_iv, &tx, tx_iv, secret,
                                               secret, sizeof(secret), NULL),
                     0);
    assert_memory_equal(rx_secret, ku, 32);
    assert_memory_equal(tx_secret, ku, 32);
    assert_int_equal(
        sslq_derive_packet_keys(suite, version, rx_secret, 32, &next), 0);
    assert_memory_equal(rx_iv, next.iv, SSLQ_IV_LEN);
    assert_memory_equal(tx_iv, next.iv, SSLQ_IV_LEN);
    ref = sslq_aead_ctx_new(suite, next.key, 1);
    assert_non_null(ref);
    memset(a, 0x33, 16);
    memset(b, 0x33, 16);
    assert_int_equal(sslq_aead_seal(tx.native_handle, a, a, 16, nonce, NULL, 0),
                     0);
    assert_int_equal(sslq_aead_seal(ref, b, b, 16, nonce, NULL, 0), 0);
    assert_memory_equal(a, b, sizeof(a));
    /* and the receive side opens it */
    assert_int_equal(
        sslq_aead_open(rx.native_handle, a, a, sizeof(a), nonce, NULL, 0), 0);

    EVP_CIPHER_CTX_free(ref);
    sslq_crypto_cb_delete_aead_ctx(c.conn, &rx, NULL);
    sslq_crypto_cb_delete_aead_ctx(c.conn, &tx, NULL);
    assert_null(rx.native_handle);
    peer_free(&c);
}

/* Handshake keys installed from a secret protect what the client sends at
 * that level, under the version's labels, in the suite the secret came
 * with (AES-256-GCM / SHA-384 here). */
static void test_handshake_keys_protect_client_handshake_packets(void **state)
{
    uint32_t version = *(const uint32_t *)*state;
    const sslq_suite *suite = sslq_suite_get(SSLQ_TLS_AES_256_GCM_SHA384);
    uint8_t buf[1500], secret[48];
    const uint8_t *payload;
    ngtcp2_cid dcid, scid;
    size_t n, off, payloadlen;
    long_pkt lp;
    peer c;

    memset(secret, 0x48, sizeof(secret));
    cid_init(&dcid, 8, 0xd4);
    cid_init(&scid, 8, 0x60);
    client_new(&c, version, &dcid, &scid);
    write_pkt(&c, buf, sizeof(buf), TS_START);
    assert_int_equal(sslq_crypto_install_key(c.conn,
                                             NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE,
                                             1, suite, secret, sizeof(secret)),
                     0);
    assert_int_equal(sslq_crypto_install_key(c.conn,
                                             NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE,
                                             0, suite, secret, sizeof(secret)),
                     0);
    assert_int_equal(ngtcp2_conn_submit_crypto_data(
                         c.conn, NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE,
                         client_finished, sizeof(client_finished)),
                     0);
    n = write_pkt(&c, buf, sizeof(buf), TS_START + 1);
    /* the datagram may start with an Initial; the Handshake packet is the
     * other long-header packet in it */
    for (off = 0;; off += lp.len) {
        assert_true(off < n);
        long_pkt_parse(buf + off, n - off, &lp);
        if (!lp.initial)
            break;
    }
    payload = open_with_secret(buf + off, &lp, suite, version, secret,
                               sizeof(secret), &payloadlen);
    assert_crypto_frame(payload, payloadlen, client_finished,
                        sizeof(client_finished));
    peer_free(&c);
}

static void test_install_key_refuses_bad_input(void **state)
{
    const sslq_suite *a128 = sslq_suite_get(SSLQ_TLS_AES_128_GCM_SHA256);
    uint8_t secret[48] = {7};
    ngtcp2_cid dcid, scid;
    peer c;

    (void)state;
    cid_init(&dcid, 8, 0xd5);
    cid_init(&scid, 8, 0x61);
    client_new(&c, v1, &dcid, &scid);
    assert_int_equal(sslq_crypto_install_key(c.conn,
                                             NGTCP2_ENCRYPTION_LEVEL_INITIAL, 1,
                                             a128, secret, 32),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_install_key(c.conn,
                                             NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE,
                                             1, a128, secret, 48),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_install_key(c.conn,
                                             NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE,
                                             1, NULL, secret, 32),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_install_key(c.conn,
                                             NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE,
                                             1, a128, NULL, 32),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_install_key(NULL,
                                             NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE,
                                             1, a128, secret, 32),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_install_initial(c.conn, 0x0a0a0a0a, &dcid),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_crypto_install_initial(c.conn, v1, NULL),
                     SSLQ_ERR_INVALID_ARGUMENT);
    peer_free(&c);
}

/* Compatible version negotiation: the callback installs Initial keys for
 * the other version; the connection owns and later frees them (ASan's leak
 * check holds the delete callbacks to that). */
static void test_version_negotiation_installs_keys_for_new_version(void **state)
{
    ngtcp2_cid dcid, scid;
    peer c;

    (void)state;
    cid_init(&dcid, 8, 0xd6);
    cid_init(&scid, 8, 0x62);
    client_new(&c, v1, &dcid, &scid);
    assert_int_equal(
        sslq_crypto_cb_version_negotiation(c.conn, v2, &dcid, NULL), 0);
    assert_int_equal(
        sslq_crypto_cb_version_negotiation(c.conn, 0x0a0a0a0a, &dcid, NULL),
        NGTCP2_ERR_CALLBACK_FAILURE);
    peer_free(&c);
}

static void
test_callbacks_encrypt_decrypt_and_mask_agree_with_crypto(void **state)
{
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t key[16], hpkey[16], nonce[SSLQ_IV_LEN] = {1}, sample[16] = {2};
    uint8_t buf[32 + SSLQ_TAG_LEN], mask[NGTCP2_HP_SAMPLELEN], want[5];
    ngtcp2_crypto_aead_ctx enc, dec;
    ngtcp2_crypto_cipher_ctx hp;
    ngtcp2_crypto_aead aead;
    ngtcp2_crypto_cipher cipher;
    uint8_t rnd[NGTCP2_PATH_CHALLENGE_DATALEN] = {0}, zero[sizeof(rnd)] = {0};

    (void)state;
    memset(key, 0x4b, sizeof(key));
    memset(hpkey, 0x48, sizeof(hpkey));
    aead.native_handle = (void *)suite->aead;
    aead.max_overhead = SSLQ_TAG_LEN;
    cipher.native_handle = (void *)suite->hp;
    enc.native_handle = sslq_aead_ctx_new(suite, key, 1);
    dec.native_handle = sslq_aead_ctx_new(suite, key, 0);
    hp.native_handle = sslq_hp_ctx_new(suite, hpkey);
    memset(buf, 0x61, 32);
    assert_int_equal(sslq_crypto_cb_encrypt(buf, &aead, &enc, buf, 32, nonce,
                                            sizeof(nonce), buf, 0),
                     0);
    assert_int_equal(sslq_crypto_cb_decrypt(buf, &aead, &dec, buf, sizeof(buf),
                                            nonce, sizeof(nonce), NULL, 0),
                     0);
    buf[0] ^= 1;
    assert_int_equal(sslq_crypto_cb_decrypt(buf, &aead, &dec, buf, sizeof(buf),
                                            nonce, sizeof(nonce), NULL, 0),
                     NGTCP2_ERR_DECRYPT);
    /* a nonce of another length is a bug in the caller, not a forgery */
    assert_int_equal(
        sslq_crypto_cb_encrypt(buf, &aead, &enc, buf, 32, nonce, 8, NULL, 0),
        NGTCP2_ERR_CALLBACK_FAILURE);
    assert_int_equal(sslq_crypto_cb_hp_mask(mask, &cipher, &hp, sample), 0);
    assert_int_equal(sslq_hp_mask(hp.native_handle, want, sample), 0);
    assert_memory_equal(mask, want, sizeof(want));

    assert_int_equal(sslq_crypto_cb_get_path_challenge_data(NULL, rnd, NULL),
                     0);
    assert_memory_not_equal(rnd, zero, sizeof(rnd));

    sslq_crypto_cb_delete_aead_ctx(NULL, &enc, NULL);
    sslq_crypto_cb_delete_aead_ctx(NULL, &dec, NULL);
    sslq_crypto_cb_delete_cipher_ctx(NULL, &hp, NULL);
    assert_null(hp.native_handle);
}

/* ---- ngtcp2_compat.h: the 1.x spelling behaves the same on 0.12 ---------- */

static size_t qlog_bytes;

static void qlog_write(void *user_data, uint32_t flags, const void *data,
                       size_t datalen)
{
    (void)user_data;
    (void)flags;
    (void)data;
    qlog_bytes += datalen;
}

static void test_compat_settings_helpers_reach_the_wire(void **state)
{
    static const uint8_t token[] = "compat-token";
    static const uint32_t versions[] = {SSLQ_VERSION_V1};
    ngtcp2_settings settings;
    ngtcp2_cid dcid, scid;
    const uint8_t *got;
    ngtcp2_pkt_hd hd;
    uint8_t buf[1500];
    size_t n, gotlen;
    long_pkt lp;
    peer c;

    (void)state;
    cid_init(&dcid, 8, 0xd7);
    cid_init(&scid, 8, 0x63);
    client_settings(&settings);
    sslq_ngtcp2_settings_set_token(&settings, token, sizeof(token),
                                   NGTCP2_TOKEN_TYPE_NEW_TOKEN);
    sslq_ngtcp2_settings_set_qlog(&settings, &dcid, qlog_write);
    sslq_ngtcp2_settings_set_available_versions(&settings, versions, 1);
    qlog_bytes = 0;
    client_new_with(&c, v1, &dcid, &scid, &settings);
    n = write_pkt(&c, buf, sizeof(buf), TS_START);
    assert_true(qlog_bytes > 0);

    long_pkt_parse(buf, n, &lp);
    assert_int_equal(lp.tokenlen, sizeof(token));
    assert_int_equal(ngtcp2_accept(&hd, buf, n), 0);
    got = sslq_ngtcp2_pkt_hd_token(&hd, &gotlen);
    assert_int_equal(gotlen, sizeof(token));
    assert_memory_equal(got, token, sizeof(token));
    assert_int_equal(sslq_ngtcp2_conn_scid_count(c.conn), 1);
    assert_true(sslq_ngtcp2_conn_active_dcid_count(c.conn) <= 1);
    peer_free(&c);
}

static void test_compat_close_errors_and_streams_use_1x_names(void **state)
{
    ngtcp2_cid dcid, scid;
    ngtcp2_conn_info info;
    ngtcp2_ccerr ccerr;
    peer c;

    (void)state;
    ngtcp2_ccerr_default(&ccerr);
    assert_int_equal(ccerr.type, NGTCP2_CCERR_TYPE_TRANSPORT);
    assert_int_equal(ccerr.error_code, 0);
    ngtcp2_ccerr_set_application_error(&ccerr, 7, NULL, 0);
    assert_int_equal(ccerr.type, NGTCP2_CCERR_TYPE_APPLICATION);
    assert_int_equal(ccerr.error_code, 7);
    ngtcp2_ccerr_set_tls_alert(&ccerr, 40, NULL, 0);
    assert_int_equal(ccerr.type, NGTCP2_CCERR_TYPE_TRANSPORT);
    assert_int_equal(ccerr.error_code, 0x100 + 40); /* CRYPTO_ERROR */
    ngtcp2_ccerr_set_transport_error(&ccerr, 0xa, NULL, 0);
    assert_int_equal(ccerr.error_code, 0xa);
    ngtcp2_ccerr_set_liberr(&ccerr, NGTCP2_ERR_NOMEM, NULL, 0);
    assert_int_equal(ccerr.type, NGTCP2_CCERR_TYPE_TRANSPORT);
    assert_int_equal(ccerr.error_code, NGTCP2_INTERNAL_ERROR);
    assert_true(NGTCP2_CCERR_TYPE_VERSION_NEGOTIATION !=
                NGTCP2_CCERR_TYPE_IDLE_CLOSE);
    assert_int_equal(NGTCP2_STREAM_DATA_FLAG_0RTT, 0x02);
    assert_int_equal(NGTCP2_DATAGRAM_FLAG_0RTT, 0x01);

    cid_init(&dcid, 8, 0xd8);
    cid_init(&scid, 8, 0x64);
    client_new(&c, v1, &dcid, &scid);
    sslq_ngtcp2_conn_get_ccerr(c.conn, &ccerr);
    assert_int_equal(ccerr.type, NGTCP2_CCERR_TYPE_TRANSPORT);
    assert_int_equal(ccerr.error_code, 0);
    assert_false(ngtcp2_conn_in_closing_period(c.conn));
    assert_false(ngtcp2_conn_in_draining_period(c.conn));
    assert_false(ngtcp2_conn_get_tls_early_data_rejected(c.conn));
    ngtcp2_conn_get_conn_info(c.conn, &info);
    assert_true(info.smoothed_rtt > 0);
    assert_true(info.cwnd > 0);
    /* the 4-argument form; a stream that never existed is no error */
    assert_int_equal(ngtcp2_conn_shutdown_stream(c.conn, 0, 0, 1), 0);
    assert_int_equal(ngtcp2_conn_shutdown_stream_read(c.conn, 0, 0, 1), 0);
    assert_int_equal(ngtcp2_conn_shutdown_stream_write(c.conn, 0, 0, 1), 0);
    peer_free(&c);
}

/* The renamed functions resolve, with their 1.x prototypes. */
static void test_compat_renamed_functions_have_1x_prototypes(void **state)
{
    void (*handshake_completed)(ngtcp2_conn *) =
        ngtcp2_conn_tls_handshake_completed;
    int (*decode_params)(ngtcp2_conn *, const uint8_t *, size_t) =
        ngtcp2_conn_decode_and_set_remote_transport_params;
    int (*early_rejected)(ngtcp2_conn *) = ngtcp2_conn_tls_early_data_rejected;
    int (*install_0rtt)(
        ngtcp2_conn *, const ngtcp2_crypto_aead_ctx *, const uint8_t *, size_t,
        const ngtcp2_crypto_cipher_ctx *) = ngtcp2_conn_install_0rtt_key;
    const ngtcp2_crypto_ctx *(*get_0rtt_ctx)(ngtcp2_conn *) =
        ngtcp2_conn_get_0rtt_crypto_ctx;
    ngtcp2_encryption_level levels[] = {
        NGTCP2_ENCRYPTION_LEVEL_INITIAL, NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE,
        NGTCP2_ENCRYPTION_LEVEL_1RTT, NGTCP2_ENCRYPTION_LEVEL_0RTT};

    (void)state;
    assert_non_null(handshake_completed);
    assert_non_null(decode_params);
    assert_non_null(early_rejected);
    assert_non_null(install_0rtt);
    assert_non_null(get_0rtt_ctx);
    /* numerically the same levels in both (NGTCP2.md §2) */
    for (int i = 0; i < 4; i++)
        assert_int_equal(levels[i], i);
}

#define VERSION_TEST(f, v)                                                     \
    {                                                                          \
#f "/" #v, f, NULL, NULL, (void *)&v                                   \
    }

int main(void)
{
    const struct CMUnitTest tests[] = {
        VERSION_TEST(test_client_initial_opens_with_independently_derived_keys,
                     v1),
        VERSION_TEST(test_client_initial_opens_with_independently_derived_keys,
                     v2),
        VERSION_TEST(test_server_conn_reads_client_initial_through_callbacks,
                     v1),
        VERSION_TEST(test_server_conn_reads_client_initial_through_callbacks,
                     v2),
        VERSION_TEST(test_retry_carries_rfc_tag_and_rekeys_client, v1),
        VERSION_TEST(test_retry_carries_rfc_tag_and_rekeys_client, v2),
        VERSION_TEST(test_update_key_follows_rfc_a5, v1),
        VERSION_TEST(test_update_key_follows_rfc_a5, v2),
        VERSION_TEST(test_handshake_keys_protect_client_handshake_packets, v1),
        VERSION_TEST(test_handshake_keys_protect_client_handshake_packets, v2),
        cmocka_unit_test(test_write_retry_refuses_bad_input),
        cmocka_unit_test(test_install_key_refuses_bad_input),
        cmocka_unit_test(
            test_version_negotiation_installs_keys_for_new_version),
        cmocka_unit_test(
            test_callbacks_encrypt_decrypt_and_mask_agree_with_crypto),
        cmocka_unit_test(test_compat_settings_helpers_reach_the_wire),
        cmocka_unit_test(test_compat_close_errors_and_streams_use_1x_names),
        cmocka_unit_test(test_compat_renamed_functions_have_1x_prototypes),
    };

    return cmocka_run_group_tests_name("crypto_cb", tests, NULL, NULL);
}
