/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "error.h"
#include "token.h"

#define NONCE_LEN 12
#define TIME_LEN 8
/* kind | nonce | time | odcidlen | odcid | tag */
#define HEAD_LEN (1 + NONCE_LEN)
#define MIN_LEN (HEAD_LEN + TIME_LEN + 1 + SSLQ_TAG_LEN)

struct sslq_token_key {
    EVP_CIPHER_CTX *seal;
    EVP_CIPHER_CTX *open;
};

int sslq_token_key_new(sslq_token_key **out, const uint8_t *secret)
{
    const sslq_suite *suite = sslq_suite_get(SSLQ_TLS_AES_256_GCM_SHA384);
    uint8_t k[SSLQ_TOKEN_KEY_LEN];
    sslq_token_key *key;

    if (suite == NULL)
        return SSLQ_ERR_CRYPTO;
    if (secret != NULL)
        memcpy(k, secret, sizeof(k));
    else if (sslq_random(k, sizeof(k)) != 0)
        return SSLQ_ERR_CRYPTO;
    key = calloc(1, sizeof(*key));
    if (key == NULL)
        return SSLQ_ERR_NOMEM;
    key->seal = sslq_aead_ctx_new(suite, k, 1);
    key->open = sslq_aead_ctx_new(suite, k, 0);
    OPENSSL_cleanse(k, sizeof(k));
    if (key->seal == NULL || key->open == NULL) {
        sslq_token_key_free(key);
        return SSLQ_ERR_NOMEM;
    }
    *out = key;
    return 0;
}

void sslq_token_key_free(sslq_token_key *key)
{
    if (key == NULL)
        return;
    EVP_CIPHER_CTX_free(key->seal);
    EVP_CIPHER_CTX_free(key->open);
    free(key);
}

/* The AAD: kind, then the address the token is bound to (IP and port for
 * Retry tokens, IP only for NEW_TOKEN). */
static int make_aad(int kind, const struct sockaddr *peer, uint8_t *aad,
                    size_t *aadlen)
{
    size_t n = 0;
    const uint8_t *ip, *port;
    size_t iplen;

    if (peer == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (peer->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;
        ip = (const uint8_t *)&sin->sin_addr;
        iplen = 4;
        port = (const uint8_t *)&sin->sin_port;
    } else if (peer->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)peer;
        ip = (const uint8_t *)&sin6->sin6_addr;
        iplen = 16;
        port = (const uint8_t *)&sin6->sin6_port;
    } else {
        return SSLQ_ERR_INVALID_ARGUMENT;
    }
    aad[n++] = (uint8_t)kind;
    aad[n++] = (uint8_t)iplen;
    memcpy(aad + n, ip, iplen);
    n += iplen;
    if (kind == SSLQ_TOKEN_KIND_RETRY) {
        memcpy(aad + n, port, 2);
        n += 2;
    }
    *aadlen = n;
    return 0;
}

static int kind_ok(int kind)
{
    return kind == SSLQ_TOKEN_KIND_RETRY || kind == SSLQ_TOKEN_KIND_REGULAR;
}

int sslq_token_make(sslq_token_key *key, int kind, const struct sockaddr *peer,
                    const uint8_t *odcid, size_t odcidlen, uint64_t now,
                    uint8_t *out, size_t *outlen)
{
    uint8_t aad[1 + 1 + 16 + 2], *p;
    size_t aadlen, ptlen;
    int rv;

    if (key == NULL || out == NULL || outlen == NULL || !kind_ok(kind) ||
        odcidlen > SSLQ_MAX_CID_LEN || (odcidlen > 0 && odcid == NULL) ||
        (kind == SSLQ_TOKEN_KIND_REGULAR && odcidlen != 0))
        return SSLQ_ERR_INVALID_ARGUMENT;
    if ((rv = make_aad(kind, peer, aad, &aadlen)) != 0)
        return rv;
    out[0] = (uint8_t)kind;
    if (sslq_random(out + 1, NONCE_LEN) != 0)
        return SSLQ_ERR_CRYPTO;
    p = out + HEAD_LEN;
    for (int i = 0; i < TIME_LEN; i++)
        p[i] = (uint8_t)(now >> (56 - 8 * i));
    p[TIME_LEN] = (uint8_t)odcidlen;
    if (odcidlen)
        memcpy(p + TIME_LEN + 1, odcid, odcidlen);
    ptlen = TIME_LEN + 1 + odcidlen;
    rv = sslq_aead_seal(key->seal, p, p, ptlen, out + 1, aad, aadlen);
    if (rv != 0)
        return rv;
    *outlen = HEAD_LEN + ptlen + SSLQ_TAG_LEN;
    return 0;
}

int sslq_token_check(sslq_token_key *key, int kind, const uint8_t *token,
                     size_t tokenlen, const struct sockaddr *peer,
                     uint64_t now, uint64_t lifetime, uint8_t *odcid,
                     size_t *odcidlen)
{
    uint8_t aad[1 + 1 + 16 + 2], pt[SSLQ_TOKEN_MAX_LEN];
    size_t aadlen, ptlen, cidlen;
    uint64_t issued = 0;

    if (key == NULL || !kind_ok(kind))
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (token == NULL || tokenlen < MIN_LEN || tokenlen > SSLQ_TOKEN_MAX_LEN ||
        token[0] != kind)
        return SSLQ_ERR_PROTO;
    if (make_aad(kind, peer, aad, &aadlen) != 0)
        return SSLQ_ERR_PROTO;
    ptlen = tokenlen - HEAD_LEN - SSLQ_TAG_LEN;
    if (sslq_aead_open(key->open, pt, token + HEAD_LEN, tokenlen - HEAD_LEN,
                       token + 1, aad, aadlen) != 0)
        return SSLQ_ERR_PROTO;
    for (int i = 0; i < TIME_LEN; i++)
        issued = (issued << 8) | pt[i];
    cidlen = pt[TIME_LEN];
    /* Sealed by us, so consistent; checked all the same, as the key may be
     * shared with other processes. */
    if (cidlen != ptlen - TIME_LEN - 1 ||
        (kind == SSLQ_TOKEN_KIND_REGULAR && cidlen != 0))
        return SSLQ_ERR_PROTO;
    if (issued > now || now - issued > lifetime)
        return SSLQ_ERR_PROTO;
    if (odcid != NULL)
        memcpy(odcid, pt + TIME_LEN + 1, cidlen);
    if (odcidlen != NULL)
        *odcidlen = cidlen;
    return 0;
}
