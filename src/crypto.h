/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto — QUIC (RFC 9001, RFC 9369) and TLS 1.3 record protection on
 * libcrypto EVP.
 *
 * This layer knows nothing of ngtcp2 or libssl: it turns secrets into keys
 * and keys into sealed and opened bytes.  crypto_cb.c wires it into ngtcp2's
 * callbacks; tls_shim.c uses it to protect the TLS records it feeds libssl.
 *
 * Algorithms are fetched once (sslq_suite_get) and shared read-only by every
 * thread.  Contexts (EVP_CIPHER_CTX) are made once per key and reused for
 * every packet: nothing here allocates per packet.  A context belongs to one
 * direction and must not be used by two threads at once.
 *
 * Every function returns 0 on success or a negative SSLQ_ERR_* code (see
 * error.h), and never reads or writes outside the lengths it is given.
 */
#ifndef SSLQUIC_CRYPTO_H
#define SSLQUIC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define SSLQ_MAX_SECRET_LEN 48 /* SHA-384 */
#define SSLQ_MAX_KEY_LEN 32
#define SSLQ_IV_LEN 12
#define SSLQ_TAG_LEN 16
#define SSLQ_HP_SAMPLE_LEN 16
#define SSLQ_HP_MASK_LEN 5
#define SSLQ_INITIAL_SECRET_LEN 32
#define SSLQ_STATELESS_RESET_TOKEN_LEN 16
#define SSLQ_MAX_CID_LEN 20

/* QUIC versions the crypto layer can key. */
#define SSLQ_VERSION_V1 0x00000001u
#define SSLQ_VERSION_V2 0x6b3343cfu       /* RFC 9369 */
#define SSLQ_VERSION_V2_DRAFT 0x709a50c4u /* draft-ietf-quic-v2-01, ngtcp2 0.12 */

/* TLS 1.3 cipher suite ids (the two low bytes of SSL_CIPHER_get_id). */
#define SSLQ_TLS_AES_128_GCM_SHA256 0x1301
#define SSLQ_TLS_AES_256_GCM_SHA384 0x1302
#define SSLQ_TLS_CHACHA20_POLY1305_SHA256 0x1303

/* A TLS 1.3 cipher suite's algorithms as QUIC uses them. */
typedef struct sslq_suite {
    uint16_t id;              /* SSLQ_TLS_* */
    const EVP_CIPHER *aead;   /* packet payload protection */
    const EVP_CIPHER *hp;     /* header protection: AES-ECB or ChaCha20 */
    const EVP_MD *md;         /* HKDF hash */
    size_t keylen;            /* AEAD and HP key length */
    size_t secretlen;         /* hash length */
    uint64_t max_encryption;  /* RFC 9001 §6.6 confidentiality limit */
    uint64_t max_decryption_failure; /* RFC 9001 §6.6 integrity limit */
} sslq_suite;

/* The suite with TLS id |id|, or NULL when QUIC cannot use it (AES-128-CCM
 * and anything unknown).  The first call fetches every algorithm. */
const sslq_suite *sslq_suite_get(uint16_t id);

/* HKDF-Extract(salt, ikm) → out (EVP_MD_get_size(md) bytes). */
int sslq_hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t saltlen,
                      const uint8_t *ikm, size_t ikmlen, uint8_t *out);

/* TLS 1.3 HKDF-Expand-Label(secret, "tls13 " + label, "", outlen). */
int sslq_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret,
                           size_t secretlen, const char *label, uint8_t *out,
                           size_t outlen);

/* 1 when |version| is one sslq_initial_secrets can key. */
int sslq_version_is_supported(uint32_t version);

/* The client and server Initial secrets for |dcid| (RFC 9001 §5.2; RFC
 * 9369 §3.3.1 for v2).  SSLQ_ERR_INVALID_ARGUMENT for an unknown version or
 * a CID longer than 20 bytes. */
int sslq_initial_secrets(uint32_t version, const uint8_t *dcid, size_t dcidlen,
                         uint8_t client_secret[SSLQ_INITIAL_SECRET_LEN],
                         uint8_t server_secret[SSLQ_INITIAL_SECRET_LEN]);

/* The AES-128-GCM suite all Initial packets use. */
const sslq_suite *sslq_suite_initial(void);

/* Keying material for one direction of one encryption level. */
typedef struct sslq_packet_keys {
    uint8_t key[SSLQ_MAX_KEY_LEN];
    uint8_t iv[SSLQ_IV_LEN];
    uint8_t hp[SSLQ_MAX_KEY_LEN];
    size_t keylen;
} sslq_packet_keys;

/* "quic key"/"quic iv"/"quic hp" (v1) or "quicv2 key"/… (v2) from |secret|. */
int sslq_derive_packet_keys(const sslq_suite *suite, uint32_t version,
                            const uint8_t *secret, size_t secretlen,
                            sslq_packet_keys *out);

/* The next generation's secret for a key update: "quic ku" / "quicv2 ku". */
int sslq_derive_next_secret(const sslq_suite *suite, uint32_t version,
                            const uint8_t *secret, size_t secretlen,
                            uint8_t *out);

/* TLS 1.3 record keys ("key", "iv") from a traffic secret (RFC 8446 §7.3). */
int sslq_derive_record_keys(const sslq_suite *suite, const uint8_t *secret,
                            size_t secretlen, uint8_t *key,
                            uint8_t iv[SSLQ_IV_LEN]);

/* nonce = iv XOR left-padded big-endian |counter| (packet number or TLS
 * record sequence number). */
void sslq_make_nonce(uint8_t nonce[SSLQ_IV_LEN], const uint8_t iv[SSLQ_IV_LEN],
                     uint64_t counter);

/* An AEAD context keyed with |key| (suite->keylen bytes) for sealing
 * (|encrypt| = 1) or opening (0).  NULL when out of memory. */
EVP_CIPHER_CTX *sslq_aead_ctx_new(const sslq_suite *suite, const uint8_t *key,
                                  int encrypt);
/* Same, for an AEAD given directly (Retry uses AES-128-GCM). */
EVP_CIPHER_CTX *sslq_aead_ctx_new_cipher(const EVP_CIPHER *aead,
                                         const uint8_t *key, int encrypt);

/* Seal |ptlen| bytes into |dest| (ptlen + SSLQ_TAG_LEN bytes; may equal
 * |pt|). */
int sslq_aead_seal(EVP_CIPHER_CTX *ctx, uint8_t *dest, const uint8_t *pt,
                   size_t ptlen, const uint8_t nonce[SSLQ_IV_LEN],
                   const uint8_t *aad, size_t aadlen);

/* Open |ctlen| bytes (payload and tag) into |dest| (ctlen - SSLQ_TAG_LEN
 * bytes; may equal |ct|).  SSLQ_ERR_DECRYPT when authentication fails or
 * ctlen < SSLQ_TAG_LEN. */
int sslq_aead_open(EVP_CIPHER_CTX *ctx, uint8_t *dest, const uint8_t *ct,
                   size_t ctlen, const uint8_t nonce[SSLQ_IV_LEN],
                   const uint8_t *aad, size_t aadlen);

/* A header-protection context keyed with |hpkey| (suite->keylen bytes). */
EVP_CIPHER_CTX *sslq_hp_ctx_new(const sslq_suite *suite, const uint8_t *hpkey);

/* The 5-byte header-protection mask for a 16-byte |sample| (RFC 9001 §5.4). */
int sslq_hp_mask(EVP_CIPHER_CTX *hp, uint8_t mask[SSLQ_HP_MASK_LEN],
                 const uint8_t sample[SSLQ_HP_SAMPLE_LEN]);

/*
 * Whole-packet protection, built from the same calls ngtcp2 makes through
 * crypto_cb.c; used by tests, benchmarks and the fuzzers.
 *
 * sslq_packet_protect: |pkt| holds a header of |hdrlen| bytes whose packet
 * number (1–4 bytes, length from the low bits of the first byte) ends the
 * header, then |payloadlen| bytes of plaintext and room for the tag.  Seals
 * in place and applies header protection.  SSLQ_ERR_INVALID_ARGUMENT when
 * the packet is too short to sample.
 */
int sslq_packet_protect(EVP_CIPHER_CTX *aead, const uint8_t iv[SSLQ_IV_LEN],
                        EVP_CIPHER_CTX *hp, uint8_t *pkt, size_t hdrlen,
                        uint64_t pn, size_t payloadlen);

/*
 * sslq_packet_unprotect: removes header protection and opens the packet of
 * |pktlen| bytes in place, the packet number field starting at |pn_offset|.
 * Decodes the full packet number against |largest_pn| (RFC 9000 A.3).  On
 * success *hdrlen is the unprotected header length and *payloadlen the
 * plaintext length (payload at pkt + *hdrlen).  SSLQ_ERR_INVALID_ARGUMENT for
 * a packet too short to sample, SSLQ_ERR_DECRYPT when it fails to open.
 */
int sslq_packet_unprotect(EVP_CIPHER_CTX *aead, const uint8_t iv[SSLQ_IV_LEN],
                          EVP_CIPHER_CTX *hp, uint8_t *pkt, size_t pktlen,
                          size_t pn_offset, int64_t largest_pn, uint64_t *pn,
                          size_t *hdrlen, size_t *payloadlen);

/* Retry integrity (RFC 9001 §5.8, RFC 9369 §3.3.3): the AES-128-GCM key and
 * nonce for |version|; SSLQ_ERR_INVALID_ARGUMENT for an unknown version. */
int sslq_retry_key(uint32_t version, const uint8_t **key, const uint8_t **nonce);

/* The Retry integrity tag of |retry| (the Retry packet without its tag) sent
 * in answer to a client whose first DCID was |odcid|. */
int sslq_retry_tag(uint32_t version, const uint8_t *odcid, size_t odcidlen,
                   const uint8_t *retry, size_t retrylen,
                   uint8_t tag[SSLQ_TAG_LEN]);

/* A stateless reset token for |cid|: a keyed hash under the 32-byte
 * |static_key| (RFC 9000 §10.3.2), so any process holding the key recomputes
 * it and nobody else can. */
int sslq_stateless_reset_token(const uint8_t static_key[32], const uint8_t *cid,
                               size_t cidlen,
                               uint8_t token[SSLQ_STATELESS_RESET_TOKEN_LEN]);

/* |len| bytes from the CSPRNG. */
int sslq_random(uint8_t *buf, size_t len);

#endif /* SSLQUIC_CRYPTO_H */
