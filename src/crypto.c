/* SPDX-License-Identifier: Apache-2.0 */
#include "crypto.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "error.h"

/* ---- algorithms, fetched once ------------------------------------------ */

enum { SUITE_AES128, SUITE_AES256, SUITE_CHACHA, SUITE_COUNT };

static struct {
    EVP_CIPHER *aes128gcm, *aes256gcm, *chachapoly;
    EVP_CIPHER *aes128ecb, *aes256ecb, *chacha20;
    EVP_MD *sha256, *sha384;
    EVP_KDF *hkdf;
    EVP_MAC *hmac;
    sslq_suite suites[SUITE_COUNT];
    int usable[SUITE_COUNT];
} algs;

static pthread_once_t algs_once = PTHREAD_ONCE_INIT;

static void suite_init(int slot, uint16_t id, EVP_CIPHER *aead, EVP_CIPHER *hp,
                       EVP_MD *md, size_t keylen, uint64_t max_encryption,
                       uint64_t max_decryption_failure)
{
    sslq_suite *s = &algs.suites[slot];

    s->id = id;
    s->aead = aead;
    s->hp = hp;
    s->md = md;
    s->keylen = keylen;
    s->secretlen = md ? (size_t)EVP_MD_get_size(md) : 0;
    s->max_encryption = max_encryption;
    s->max_decryption_failure = max_decryption_failure;
    /* A provider setup without one algorithm (FIPS has no ChaCha20) loses
     * that suite only. */
    algs.usable[slot] = aead && hp && md && algs.hkdf;
}

static void algs_fetch(void)
{
    algs.aes128gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    algs.aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    algs.chachapoly = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    algs.aes128ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    algs.aes256ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
    algs.chacha20 = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
    algs.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    algs.sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
    algs.hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    algs.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);

    /* RFC 9001 §6.6: AES-GCM may seal 2^23 packets and see 2^52 forgeries;
     * ChaCha20-Poly1305's confidentiality limit exceeds the packet number
     * space, its integrity limit is 2^36. */
    suite_init(SUITE_AES128, SSLQ_TLS_AES_128_GCM_SHA256, algs.aes128gcm,
               algs.aes128ecb, algs.sha256, 16, 1ULL << 23, 1ULL << 52);
    suite_init(SUITE_AES256, SSLQ_TLS_AES_256_GCM_SHA384, algs.aes256gcm,
               algs.aes256ecb, algs.sha384, 32, 1ULL << 23, 1ULL << 52);
    suite_init(SUITE_CHACHA, SSLQ_TLS_CHACHA20_POLY1305_SHA256, algs.chachapoly,
               algs.chacha20, algs.sha256, 32, 1ULL << 62, 1ULL << 36);
}

static void algs_load(void)
{
    pthread_once(&algs_once, algs_fetch);
}

const sslq_suite *sslq_suite_get(uint16_t id)
{
    int slot;

    algs_load();
    switch (id) {
    case SSLQ_TLS_AES_128_GCM_SHA256:
        slot = SUITE_AES128;
        break;
    case SSLQ_TLS_AES_256_GCM_SHA384:
        slot = SUITE_AES256;
        break;
    case SSLQ_TLS_CHACHA20_POLY1305_SHA256:
        slot = SUITE_CHACHA;
        break;
    default: /* AES-128-CCM (0x1304) included: QUIC stacks do not use it */
        return NULL;
    }
    return algs.usable[slot] ? &algs.suites[slot] : NULL;
}

const sslq_suite *sslq_suite_initial(void)
{
    return sslq_suite_get(SSLQ_TLS_AES_128_GCM_SHA256);
}

/* ---- HKDF (RFC 5869) ---------------------------------------------------- */

static int md_len(const EVP_MD *md, size_t *len)
{
    int n = md ? EVP_MD_get_size(md) : 0;

    if (n <= 0 || n > EVP_MAX_MD_SIZE)
        return 0;
    *len = (size_t)n;
    return 1;
}

/* One HKDF step (|mode| EXTRACT_ONLY or EXPAND_ONLY) with the fetched KDF.
 * Empty |salt| or |info| are left out, which is what RFC 5869 makes of
 * them. */
static int hkdf(int mode, const EVP_MD *md, const uint8_t *key, size_t keylen,
                const uint8_t *salt, size_t saltlen, const uint8_t *info,
                size_t infolen, uint8_t *out, size_t outlen)
{
    OSSL_PARAM params[6], *p = params;
    EVP_KDF_CTX *kctx;
    int ok;

    if (!algs.hkdf)
        return SSLQ_ERR_CRYPTO;
    kctx = EVP_KDF_CTX_new(algs.hkdf);
    if (!kctx)
        return SSLQ_ERR_NOMEM;
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                            (char *)EVP_MD_get0_name(md), 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key,
                                             keylen);
    if (saltlen)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                 (void *)salt, saltlen);
    if (infolen)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                 (void *)info, infolen);
    *p = OSSL_PARAM_construct_end();
    ok = EVP_KDF_derive(kctx, out, outlen, params) == 1;
    EVP_KDF_CTX_free(kctx);
    return ok ? 0 : SSLQ_ERR_CRYPTO;
}

int sslq_hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t saltlen,
                      const uint8_t *ikm, size_t ikmlen, uint8_t *out)
{
    static const uint8_t empty[1];
    size_t hashlen;

    if (!md_len(md, &hashlen) || !out || (saltlen && !salt) || (ikmlen && !ikm))
        return SSLQ_ERR_INVALID_ARGUMENT;
    algs_load();
    return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, md, ikmlen ? ikm : empty,
                ikmlen, salt, saltlen, NULL, 0, out, hashlen);
}

#define TLS13_LABEL_PREFIX "tls13 "
#define TLS13_LABEL_MAX (255 - (sizeof(TLS13_LABEL_PREFIX) - 1))

int sslq_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret,
                           size_t secretlen, const char *label, uint8_t *out,
                           size_t outlen)
{
    /* struct HkdfLabel { uint16 length; opaque label<7..255>;
     *                    opaque context<0..255>; } with an empty context */
    uint8_t info[2 + 1 + 255 + 1];
    size_t labellen, prefixlen = sizeof(TLS13_LABEL_PREFIX) - 1, n = 0;

    if (!md || !secret || secretlen == 0 || !label || !out || outlen == 0 ||
        outlen > UINT16_MAX)
        return SSLQ_ERR_INVALID_ARGUMENT;
    labellen = strlen(label);
    if (labellen > TLS13_LABEL_MAX)
        return SSLQ_ERR_INVALID_ARGUMENT;
    algs_load();
    info[n++] = (uint8_t)(outlen >> 8);
    info[n++] = (uint8_t)outlen;
    info[n++] = (uint8_t)(prefixlen + labellen);
    memcpy(info + n, TLS13_LABEL_PREFIX, prefixlen);
    n += prefixlen;
    memcpy(info + n, label, labellen);
    n += labellen;
    info[n++] = 0;
    return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, md, secret, secretlen, NULL, 0,
                info, n, out, outlen);
}

/* ---- QUIC versions ------------------------------------------------------ */

typedef struct version_params {
    uint32_t version;
    uint8_t salt[20];
    const char *key_label, *iv_label, *hp_label, *ku_label;
    uint8_t retry_key[16];
    uint8_t retry_nonce[SSLQ_IV_LEN];
} version_params;

static const version_params versions[] = {
    {SSLQ_VERSION_V1,
     {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
     "quic key",
     "quic iv",
     "quic hp",
     "quic ku",
     {0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54,
      0xe3, 0x68, 0xc8, 0x4e},
     {0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb}},
    {SSLQ_VERSION_V2,
     {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
      0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
     "quicv2 key",
     "quicv2 iv",
     "quicv2 hp",
     "quicv2 ku",
     {0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce,
      0xad, 0x7c, 0xcc, 0x92},
     {0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a}},
    /* The draft ngtcp2 0.12 speaks.  Its key update keeps "quic ku", as
     * ngtcp2 0.12's own crypto helper does: interoperating with the only
     * stack on that version matters more than the draft's wording. */
    {SSLQ_VERSION_V2_DRAFT,
     {0xa7, 0x07, 0xc2, 0x03, 0xa5, 0x9b, 0x47, 0x18, 0x4a, 0x1d,
      0x62, 0xca, 0x57, 0x04, 0x06, 0xea, 0x7a, 0xe3, 0xe5, 0xd3},
     "quicv2 key",
     "quicv2 iv",
     "quicv2 hp",
     "quic ku",
     {0xba, 0x85, 0x8d, 0xc7, 0xb4, 0x3d, 0xe5, 0xdb, 0xf8, 0x76, 0x17, 0xff,
      0x4a, 0xb2, 0x53, 0xdb},
     {0x14, 0x1b, 0x99, 0xc2, 0x39, 0xb0, 0x3e, 0x78, 0x5d, 0x6a, 0x2e, 0x9f}},
};

static const version_params *version_find(uint32_t version)
{
    size_t i;

    for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
        if (versions[i].version == version)
            return &versions[i];
    return NULL;
}

int sslq_version_is_supported(uint32_t version)
{
    return version_find(version) != NULL;
}

int sslq_initial_secrets(uint32_t version, const uint8_t *dcid, size_t dcidlen,
                         uint8_t client_secret[SSLQ_INITIAL_SECRET_LEN],
                         uint8_t server_secret[SSLQ_INITIAL_SECRET_LEN])
{
    const version_params *v = version_find(version);
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t initial[SSLQ_INITIAL_SECRET_LEN];
    int rv;

    if (!v || dcidlen > SSLQ_MAX_CID_LEN || (dcidlen && !dcid) ||
        !client_secret || !server_secret)
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (!suite)
        return SSLQ_ERR_CRYPTO;
    rv = sslq_hkdf_extract(suite->md, v->salt, sizeof(v->salt), dcid, dcidlen,
                           initial);
    if (rv == 0)
        rv = sslq_hkdf_expand_label(suite->md, initial, sizeof(initial),
                                    "client in", client_secret,
                                    SSLQ_INITIAL_SECRET_LEN);
    if (rv == 0)
        rv = sslq_hkdf_expand_label(suite->md, initial, sizeof(initial),
                                    "server in", server_secret,
                                    SSLQ_INITIAL_SECRET_LEN);
    OPENSSL_cleanse(initial, sizeof(initial));
    return rv;
}

int sslq_derive_packet_keys(const sslq_suite *suite, uint32_t version,
                            const uint8_t *secret, size_t secretlen,
                            sslq_packet_keys *out)
{
    const version_params *v = version_find(version);
    int rv;

    if (!suite || !v || !secret || !out || secretlen != suite->secretlen)
        return SSLQ_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    out->keylen = suite->keylen;
    rv = sslq_hkdf_expand_label(suite->md, secret, secretlen, v->key_label,
                                out->key, suite->keylen);
    if (rv == 0)
        rv = sslq_hkdf_expand_label(suite->md, secret, secretlen, v->iv_label,
                                    out->iv, SSLQ_IV_LEN);
    if (rv == 0)
        rv = sslq_hkdf_expand_label(suite->md, secret, secretlen, v->hp_label,
                                    out->hp, suite->keylen);
    if (rv != 0)
        OPENSSL_cleanse(out, sizeof(*out));
    return rv;
}

int sslq_derive_next_secret(const sslq_suite *suite, uint32_t version,
                            const uint8_t *secret, size_t secretlen,
                            uint8_t *out)
{
    const version_params *v = version_find(version);

    if (!suite || !v || !secret || !out || secretlen != suite->secretlen)
        return SSLQ_ERR_INVALID_ARGUMENT;
    return sslq_hkdf_expand_label(suite->md, secret, secretlen, v->ku_label,
                                  out, secretlen);
}

int sslq_derive_record_keys(const sslq_suite *suite, const uint8_t *secret,
                            size_t secretlen, uint8_t *key,
                            uint8_t iv[SSLQ_IV_LEN])
{
    int rv;

    if (!suite || !secret || !key || !iv || secretlen != suite->secretlen)
        return SSLQ_ERR_INVALID_ARGUMENT;
    rv = sslq_hkdf_expand_label(suite->md, secret, secretlen, "key", key,
                                suite->keylen);
    if (rv == 0)
        rv = sslq_hkdf_expand_label(suite->md, secret, secretlen, "iv", iv,
                                    SSLQ_IV_LEN);
    return rv;
}

void sslq_make_nonce(uint8_t nonce[SSLQ_IV_LEN], const uint8_t iv[SSLQ_IV_LEN],
                     uint64_t counter)
{
    int i;

    memcpy(nonce, iv, SSLQ_IV_LEN);
    for (i = 0; i < 8; i++)
        nonce[SSLQ_IV_LEN - 1 - i] ^= (uint8_t)(counter >> (8 * i));
}

/* ---- AEAD --------------------------------------------------------------- */

EVP_CIPHER_CTX *sslq_aead_ctx_new_cipher(const EVP_CIPHER *aead,
                                         const uint8_t *key, int encrypt)
{
    EVP_CIPHER_CTX *ctx;

    if (!aead || !key)
        return NULL;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return NULL;
    /* GCM and ChaCha20-Poly1305 both default to the 12-byte nonce QUIC and
     * TLS 1.3 use, so only the key is set here and the nonce per packet. */
    if (EVP_CipherInit_ex(ctx, aead, NULL, key, NULL, encrypt ? 1 : 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

EVP_CIPHER_CTX *sslq_aead_ctx_new(const sslq_suite *suite, const uint8_t *key,
                                  int encrypt)
{
    return suite ? sslq_aead_ctx_new_cipher(suite->aead, key, encrypt) : NULL;
}

typedef struct span {
    const uint8_t *p;
    size_t len;
} span;

/* One AEAD operation on a keyed context: set the nonce, feed the AAD pieces,
 * then the text.  |tag| is written when sealing and checked when opening. */
static int aead_run(EVP_CIPHER_CTX *ctx, int encrypt, uint8_t *dest,
                    const uint8_t *src, size_t len,
                    const uint8_t nonce[SSLQ_IV_LEN], const span *aad,
                    size_t naad, uint8_t *tag)
{
    int outl = 0, finl = 0;
    size_t i;

    if (len > INT_MAX - SSLQ_TAG_LEN)
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (EVP_CIPHER_CTX_is_encrypting(ctx) != encrypt)
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, encrypt) != 1)
        return SSLQ_ERR_CRYPTO;
    for (i = 0; i < naad; i++) {
        if (aad[i].len > INT_MAX)
            return SSLQ_ERR_INVALID_ARGUMENT;
        if (aad[i].len &&
            EVP_CipherUpdate(ctx, NULL, &outl, aad[i].p, (int)aad[i].len) != 1)
            return SSLQ_ERR_CRYPTO;
    }
    if (!encrypt &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SSLQ_TAG_LEN, tag) != 1)
        return SSLQ_ERR_CRYPTO;
    outl = 0;
    if (len && EVP_CipherUpdate(ctx, dest, &outl, src, (int)len) != 1)
        return encrypt ? SSLQ_ERR_CRYPTO : SSLQ_ERR_DECRYPT;
    if (EVP_CipherFinal_ex(ctx, dest + outl, &finl) != 1)
        return encrypt ? SSLQ_ERR_CRYPTO : SSLQ_ERR_DECRYPT;
    if ((size_t)outl + (size_t)finl != len)
        return SSLQ_ERR_CRYPTO;
    if (encrypt &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SSLQ_TAG_LEN, tag) != 1)
        return SSLQ_ERR_CRYPTO;
    return 0;
}

int sslq_aead_seal(EVP_CIPHER_CTX *ctx, uint8_t *dest, const uint8_t *pt,
                   size_t ptlen, const uint8_t nonce[SSLQ_IV_LEN],
                   const uint8_t *aad, size_t aadlen)
{
    span a = {aad, aadlen};

    if (!ctx || !dest || (ptlen && !pt) || !nonce || (aadlen && !aad))
        return SSLQ_ERR_INVALID_ARGUMENT;
    return aead_run(ctx, 1, dest, pt, ptlen, nonce, &a, 1, dest + ptlen);
}

int sslq_aead_open(EVP_CIPHER_CTX *ctx, uint8_t *dest, const uint8_t *ct,
                   size_t ctlen, const uint8_t nonce[SSLQ_IV_LEN],
                   const uint8_t *aad, size_t aadlen)
{
    uint8_t tag[SSLQ_TAG_LEN];
    span a = {aad, aadlen};
    size_t ptlen;
    int rv;

    if (!ctx || !dest || !ct || !nonce || (aadlen && !aad))
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (ctlen < SSLQ_TAG_LEN)
        return SSLQ_ERR_DECRYPT;
    ptlen = ctlen - SSLQ_TAG_LEN;
    /* Copy the tag out first: a |dest| overlapping |ct| at an offset could
     * overwrite it before it is checked. */
    memcpy(tag, ct + ptlen, SSLQ_TAG_LEN);
    rv = aead_run(ctx, 0, dest, ct, ptlen, nonce, &a, 1, tag);
    if (rv != 0 && ptlen)
        OPENSSL_cleanse(dest, ptlen); /* never hand out unauthenticated text */
    return rv;
}

/* ---- header protection -------------------------------------------------- */

EVP_CIPHER_CTX *sslq_hp_ctx_new(const sslq_suite *suite, const uint8_t *hpkey)
{
    EVP_CIPHER_CTX *ctx;

    if (!suite || !hpkey)
        return NULL;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return NULL;
    if (EVP_EncryptInit_ex(ctx, suite->hp, NULL, hpkey, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int sslq_hp_mask(EVP_CIPHER_CTX *hp, uint8_t mask[SSLQ_HP_MASK_LEN],
                 const uint8_t sample[SSLQ_HP_SAMPLE_LEN])
{
    static const uint8_t zeros[SSLQ_HP_MASK_LEN];
    uint8_t out[2 * SSLQ_HP_SAMPLE_LEN];
    int outl = 0;

    if (!hp || !mask || !sample)
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (EVP_CIPHER_get_nid(EVP_CIPHER_CTX_get0_cipher(hp)) == NID_chacha20) {
        /* RFC 9001 §5.4.4: counter = sample[0..3] little-endian, nonce =
         * sample[4..15] -- exactly the 16-byte IV EVP_chacha20 takes. */
        if (EVP_EncryptInit_ex(hp, NULL, NULL, NULL, sample) != 1 ||
            EVP_EncryptUpdate(hp, out, &outl, zeros, sizeof(zeros)) != 1 ||
            outl != SSLQ_HP_MASK_LEN)
            return SSLQ_ERR_CRYPTO;
    } else if (EVP_EncryptUpdate(hp, out, &outl, sample, SSLQ_HP_SAMPLE_LEN) !=
                   1 ||
               outl != SSLQ_HP_SAMPLE_LEN) {
        return SSLQ_ERR_CRYPTO;
    }
    memcpy(mask, out, SSLQ_HP_MASK_LEN);
    return 0;
}

/* ---- whole packets ------------------------------------------------------ */

#define PKT_LONG_HEADER 0x80
#define PKT_PN_LEN_MASK 0x03

static void hp_apply(uint8_t *pkt, size_t pn_offset, size_t pnlen,
                     const uint8_t mask[SSLQ_HP_MASK_LEN])
{
    size_t i;

    for (i = 0; i < pnlen; i++)
        pkt[pn_offset + i] ^= mask[1 + i];
}

static uint8_t hp_first_byte_bits(uint8_t first)
{
    /* Long headers protect 4 bits (reserved + PN length), short headers 5
     * (reserved, key phase and PN length). */
    return (first & PKT_LONG_HEADER) ? 0x0f : 0x1f;
}

int sslq_packet_protect(EVP_CIPHER_CTX *aead, const uint8_t iv[SSLQ_IV_LEN],
                        EVP_CIPHER_CTX *hp, uint8_t *pkt, size_t hdrlen,
                        uint64_t pn, size_t payloadlen)
{
    uint8_t nonce[SSLQ_IV_LEN], mask[SSLQ_HP_MASK_LEN];
    size_t pnlen, pn_offset;
    int rv;

    if (!aead || !iv || !hp || !pkt || hdrlen == 0 ||
        payloadlen > INT_MAX - SSLQ_TAG_LEN)
        return SSLQ_ERR_INVALID_ARGUMENT;
    pnlen = (size_t)(pkt[0] & PKT_PN_LEN_MASK) + 1;
    if (hdrlen < 1 + pnlen)
        return SSLQ_ERR_INVALID_ARGUMENT;
    pn_offset = hdrlen - pnlen;
    /* The sample starts 4 bytes after the packet number field begins, as
     * if the packet number were 4 bytes long (RFC 9001 §5.4.2). */
    if (pn_offset + 4 + SSLQ_HP_SAMPLE_LEN > hdrlen + payloadlen + SSLQ_TAG_LEN)
        return SSLQ_ERR_INVALID_ARGUMENT;
    sslq_make_nonce(nonce, iv, pn);
    rv = sslq_aead_seal(aead, pkt + hdrlen, pkt + hdrlen, payloadlen, nonce,
                        pkt, hdrlen);
    if (rv != 0)
        return rv;
    rv = sslq_hp_mask(hp, mask, pkt + pn_offset + 4);
    if (rv != 0)
        return rv;
    pkt[0] ^= mask[0] & hp_first_byte_bits(pkt[0]);
    hp_apply(pkt, pn_offset, pnlen, mask);
    return 0;
}

/* RFC 9000 Appendix A.3. */
static uint64_t pn_decode(int64_t largest_pn, uint64_t truncated, size_t bits)
{
    uint64_t expected = (uint64_t)(largest_pn + 1);
    uint64_t win = 1ULL << bits, hwin = win / 2, cand;

    cand = (expected & ~(win - 1)) | truncated;
    if (cand + hwin <= expected && cand < (1ULL << 62) - win)
        return cand + win;
    if (cand > expected + hwin && cand >= win)
        return cand - win;
    return cand;
}

int sslq_packet_unprotect(EVP_CIPHER_CTX *aead, const uint8_t iv[SSLQ_IV_LEN],
                          EVP_CIPHER_CTX *hp, uint8_t *pkt, size_t pktlen,
                          size_t pn_offset, int64_t largest_pn, uint64_t *pn,
                          size_t *hdrlen, size_t *payloadlen)
{
    uint8_t nonce[SSLQ_IV_LEN], mask[SSLQ_HP_MASK_LEN];
    uint64_t truncated = 0, full;
    size_t pnlen, hlen, i;
    int rv;

    if (!aead || !iv || !hp || !pkt || !pn || !hdrlen || !payloadlen ||
        largest_pn < -1 || largest_pn >= (int64_t)(1ULL << 62))
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (pn_offset == 0 || pn_offset > pktlen ||
        pktlen - pn_offset < 4 + SSLQ_HP_SAMPLE_LEN || pktlen > INT_MAX)
        return SSLQ_ERR_INVALID_ARGUMENT;
    rv = sslq_hp_mask(hp, mask, pkt + pn_offset + 4);
    if (rv != 0)
        return rv;
    pkt[0] ^= mask[0] & hp_first_byte_bits(pkt[0]);
    pnlen = (size_t)(pkt[0] & PKT_PN_LEN_MASK) + 1;
    hp_apply(pkt, pn_offset, pnlen, mask);
    for (i = 0; i < pnlen; i++)
        truncated = (truncated << 8) | pkt[pn_offset + i];
    hlen = pn_offset + pnlen;
    full = pn_decode(largest_pn, truncated, pnlen * 8);
    sslq_make_nonce(nonce, iv, full);
    /* pktlen - hlen >= 4 + 16 - pnlen >= SSLQ_TAG_LEN: the tag fits. */
    rv = sslq_aead_open(aead, pkt + hlen, pkt + hlen, pktlen - hlen, nonce, pkt,
                        hlen);
    if (rv != 0)
        return rv;
    *pn = full;
    *hdrlen = hlen;
    *payloadlen = pktlen - hlen - SSLQ_TAG_LEN;
    return 0;
}

/* ---- Retry, stateless reset, randomness --------------------------------- */

int sslq_retry_key(uint32_t version, const uint8_t **key, const uint8_t **nonce)
{
    const version_params *v = version_find(version);

    if (!v || !key || !nonce)
        return SSLQ_ERR_INVALID_ARGUMENT;
    *key = v->retry_key;
    *nonce = v->retry_nonce;
    return 0;
}

int sslq_retry_tag(uint32_t version, const uint8_t *odcid, size_t odcidlen,
                   const uint8_t *retry, size_t retrylen,
                   uint8_t tag[SSLQ_TAG_LEN])
{
    const version_params *v = version_find(version);
    uint8_t odcid_len_byte = (uint8_t)odcidlen;
    EVP_CIPHER_CTX *ctx;
    span pseudo[3];
    int rv;

    if (!v || odcidlen > SSLQ_MAX_CID_LEN || (odcidlen && !odcid) || !retry ||
        retrylen == 0 || !tag)
        return SSLQ_ERR_INVALID_ARGUMENT;
    algs_load();
    ctx = sslq_aead_ctx_new_cipher(algs.aes128gcm, v->retry_key, 1);
    if (!ctx)
        return algs.aes128gcm ? SSLQ_ERR_NOMEM : SSLQ_ERR_CRYPTO;
    /* The Retry pseudo-packet (RFC 9001 §5.8) is AAD only, fed piecewise
     * rather than copied together. */
    pseudo[0] = (span){&odcid_len_byte, 1};
    pseudo[1] = (span){odcid, odcidlen};
    pseudo[2] = (span){retry, retrylen};
    rv = aead_run(ctx, 1, tag, NULL, 0, v->retry_nonce, pseudo, 3, tag);
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

int sslq_stateless_reset_token(const uint8_t static_key[32], const uint8_t *cid,
                               size_t cidlen,
                               uint8_t token[SSLQ_STATELESS_RESET_TOKEN_LEN])
{
    /* A label keeps this use of the static key apart from any other. */
    static const char label[] = "sslquic stateless reset";
    uint8_t full[EVP_MAX_MD_SIZE];
    OSSL_PARAM params[2];
    size_t hashlen, outlen = 0;
    EVP_MAC_CTX *mac;
    int ok;

    if (!static_key || (cidlen && !cid) || cidlen > SSLQ_MAX_CID_LEN || !token)
        return SSLQ_ERR_INVALID_ARGUMENT;
    algs_load();
    if (!algs.hmac || !md_len(algs.sha256, &hashlen))
        return SSLQ_ERR_CRYPTO;
    mac = EVP_MAC_CTX_new(algs.hmac);
    if (!mac)
        return SSLQ_ERR_NOMEM;
    params[0] = OSSL_PARAM_construct_utf8_string(
        OSSL_MAC_PARAM_DIGEST, (char *)EVP_MD_get0_name(algs.sha256), 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = EVP_MAC_init(mac, static_key, 32, params) == 1 &&
         EVP_MAC_update(mac, (const uint8_t *)label, sizeof(label) - 1) == 1 &&
         (cidlen == 0 || EVP_MAC_update(mac, cid, cidlen) == 1) &&
         EVP_MAC_final(mac, full, &outlen, sizeof(full)) == 1 &&
         outlen == hashlen;
    EVP_MAC_CTX_free(mac);
    if (ok)
        memcpy(token, full, SSLQ_STATELESS_RESET_TOKEN_LEN);
    OPENSSL_cleanse(full, sizeof(full));
    return ok ? 0 : SSLQ_ERR_CRYPTO;
}

int sslq_random(uint8_t *buf, size_t len)
{
    size_t chunk;

    if (!buf && len)
        return SSLQ_ERR_INVALID_ARGUMENT;
    while (len) {
        chunk = len > INT_MAX ? INT_MAX : len;
        if (RAND_bytes(buf, (int)chunk) != 1)
            return SSLQ_ERR_CRYPTO;
        buf += chunk;
        len -= chunk;
    }
    return 0;
}
