/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "helper_pki.h"
#include "tls_shim.h"

uint8_t fuzz_u8(fuzz_reader *r)
{
    if (r->left == 0)
        return 0;
    r->left--;
    return *r->p++;
}

uint16_t fuzz_u16(fuzz_reader *r)
{
    uint16_t hi = fuzz_u8(r);

    return (uint16_t)(hi << 8 | fuzz_u8(r));
}

uint64_t fuzz_u64(fuzz_reader *r)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | fuzz_u8(r);
    return v;
}

const uint8_t *fuzz_bytes(fuzz_reader *r, size_t want, size_t *got)
{
    const uint8_t *p = r->p;

    *got = want < r->left ? want : r->left;
    r->p += *got;
    r->left -= *got;
    return p;
}

static sslq_test_pki *pki;

static void need(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz setup failed: %s\n", what);
        abort();
    }
}

/* Takes whatever the client offers first: the fuzzer chooses the ALPN. */
static int select_any_alpn(SSL *ssl, const unsigned char **out,
                           unsigned char *outlen, const unsigned char *in,
                           unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    if (inlen < 2 || in[0] == 0 || in[0] > inlen - 1)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = in + 1;
    *outlen = in[0];
    return SSL_TLSEXT_ERR_OK;
}

static sslq_test_pki *the_pki(void)
{
    if (pki == NULL)
        pki = sslq_test_pki_new(0, 0);
    need(pki != NULL, "certificate");
    return pki;
}

SSL_CTX *fuzz_server_ctx(void)
{
    static SSL_CTX *ctx;

    if (ctx != NULL)
        return ctx;
    ctx = SSL_CTX_new(TLS_server_method());
    need(ctx != NULL, "server SSL_CTX");
    need(sslq_test_pki_use_server(ctx, the_pki()), "server certificate");
    need(sslq_tls_ctx_prepare(ctx) == 0, "sslq_tls_ctx_prepare (server)");
    SSL_CTX_set_alpn_select_cb(ctx, select_any_alpn, NULL);
    return ctx;
}

SSL_CTX *fuzz_client_ctx(void)
{
    static const unsigned char alpn[] = {4, 't', 'e', 's', 't'};
    static SSL_CTX *ctx;

    if (ctx != NULL)
        return ctx;
    ctx = SSL_CTX_new(TLS_client_method());
    need(ctx != NULL, "client SSL_CTX");
    need(sslq_test_pki_trust(ctx, the_pki()->ca), "client trust");
    need(sslq_tls_ctx_prepare(ctx) == 0, "sslq_tls_ctx_prepare (client)");
    need(SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn)) == 0, "ALPN");
    return ctx;
}

#define PN_LEN 4
#define MIN_DGRAM 1200

static size_t put_varint2(uint8_t *p, size_t v)
{
    /* Always the 2-byte form: valid for any value below 16384. */
    p[0] = (uint8_t)(0x40 | v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

size_t fuzz_seal_initial(uint8_t *out, size_t cap, const uint8_t *dcid,
                         size_t dcidlen, const uint8_t *scid, size_t scidlen,
                         const uint8_t *token, size_t tokenlen, uint32_t pn,
                         const uint8_t *payload, size_t payloadlen)
{
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t csecret[SSLQ_INITIAL_SECRET_LEN], ssecret[SSLQ_INITIAL_SECRET_LEN];
    sslq_packet_keys keys;
    EVP_CIPHER_CTX *aead = NULL, *hp = NULL;
    size_t hdrlen, len_off, room, body;
    uint8_t *p = out;

    if (dcidlen > SSLQ_MAX_CID_LEN || scidlen > SSLQ_MAX_CID_LEN ||
        tokenlen > 1000 || cap < 1300)
        return 0;
    *p++ = 0xc0 | (PN_LEN - 1); /* long header, Initial, 4-byte PN */
    *p++ = 0;
    *p++ = 0;
    *p++ = 0;
    *p++ = 1; /* QUIC v1 */
    *p++ = (uint8_t)dcidlen;
    memcpy(p, dcid, dcidlen);
    p += dcidlen;
    *p++ = (uint8_t)scidlen;
    memcpy(p, scid, scidlen);
    p += scidlen;
    p += put_varint2(p, tokenlen);
    if (tokenlen)
        memcpy(p, token, tokenlen);
    p += tokenlen;
    len_off = (size_t)(p - out);
    p += 2; /* Length, filled in below */
    for (int i = PN_LEN - 1; i >= 0; i--)
        *p++ = (uint8_t)(pn >> (8 * i));
    hdrlen = (size_t)(p - out);
    room = cap - hdrlen - SSLQ_TAG_LEN;
    if (payloadlen > room)
        payloadlen = room;
    body = payloadlen;
    if (hdrlen + body + SSLQ_TAG_LEN < MIN_DGRAM)
        body = MIN_DGRAM - hdrlen - SSLQ_TAG_LEN;
    memcpy(p, payload, payloadlen);
    memset(p + payloadlen, 0, body - payloadlen); /* PADDING frames */
    put_varint2(out + len_off, PN_LEN + body + SSLQ_TAG_LEN);

    if (sslq_initial_secrets(SSLQ_VERSION_V1, dcid, dcidlen, csecret,
                             ssecret) != 0 ||
        sslq_derive_packet_keys(suite, SSLQ_VERSION_V1, csecret,
                                sizeof(csecret), &keys) != 0)
        return 0;
    aead = sslq_aead_ctx_new(suite, keys.key, 1);
    hp = sslq_hp_ctx_new(suite, keys.hp);
    body = aead && hp && sslq_packet_protect(aead, keys.iv, hp, out, hdrlen,
                                             pn, body) == 0
               ? hdrlen + body + SSLQ_TAG_LEN
               : 0;
    EVP_CIPHER_CTX_free(aead);
    EVP_CIPHER_CTX_free(hp);
    return body;
}
