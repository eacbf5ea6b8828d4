/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token — address-validation tokens (RFC 9000 §8.1).
 *
 * A port hands clients two kinds of token, both sealed with AES-256-GCM under
 * a key only the port knows, so a client can carry them but neither read nor
 * forge them:
 *   - a Retry token, valid for seconds, bound to the client's address and
 *     port and carrying the original DCID the server must echo in its
 *     transport parameters;
 *   - a NEW_TOKEN token, valid for hours, bound to the client's IP address
 *     only (clients change port between connections).
 * A token = kind (1) | nonce (12) | sealed{ issued-at (8) | odcid-len (1) |
 * odcid } | tag (16).  The kind byte and the bound address are the AAD, so a
 * token of one kind, or from another address, never opens as valid.
 *
 * One sslq_token_key per port, used under the port lock (its two cipher
 * contexts are not shared between threads).
 */
#ifndef SSLQUIC_TOKEN_H
#define SSLQUIC_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SSLQ_TOKEN_KIND_RETRY 0x52   /* 'R' */
#define SSLQ_TOKEN_KIND_REGULAR 0x4e /* 'N': NEW_TOKEN */
#define SSLQ_TOKEN_MAX_LEN (1 + 12 + 8 + 1 + 20 + 16)
#define SSLQ_TOKEN_KEY_LEN 32

typedef struct sslq_token_key sslq_token_key;

/* A key made from |secret| (SSLQ_TOKEN_KEY_LEN bytes: share it between
 * processes serving one address), or from the CSPRNG when |secret| is NULL.
 * 0, SSLQ_ERR_NOMEM or SSLQ_ERR_CRYPTO. */
int sslq_token_key_new(sslq_token_key **out, const uint8_t *secret);
void sslq_token_key_free(sslq_token_key *key);

/* Makes a token of |kind| for |peer| into |out| (at least SSLQ_TOKEN_MAX_LEN
 * bytes); |odcid| only for Retry tokens (NULL, 0 otherwise).  |now| is in
 * nanoseconds on any clock the caller also uses to check.  Sets *outlen.
 * SSLQ_ERR_INVALID_ARGUMENT for an unknown kind, an address family other
 * than IPv4/IPv6, or a CID longer than 20 bytes. */
int sslq_token_make(sslq_token_key *key, int kind, const struct sockaddr *peer,
                    const uint8_t *odcid, size_t odcidlen, uint64_t now,
                    uint8_t *out, size_t *outlen);

/* Checks |token| of |kind| from |peer|: it must open under the key, be bound
 * to that address, and have been issued no more than |lifetime| ns before
 * |now| (nor after it).  For a Retry token the original DCID is copied to
 * |odcid| (20 bytes of room) and its length to *odcidlen; both may be NULL
 * for NEW_TOKEN tokens.  0 when valid, SSLQ_ERR_PROTO for any token that is
 * not: malformed, forged, expired, from another address or of the other
 * kind (RFC 9000 §8.1.3 gives them all the same answer). */
int sslq_token_check(sslq_token_key *key, int kind, const uint8_t *token,
                     size_t tokenlen, const struct sockaddr *peer,
                     uint64_t now, uint64_t lifetime, uint8_t *odcid,
                     size_t *odcidlen);

#endif /* SSLQUIC_TOKEN_H */
