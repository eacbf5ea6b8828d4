/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cidmap — the port's connection-ID → connection map.
 *
 * Every datagram that reaches a port is routed by its destination CID through
 * this map, and clients choose some of the keys (the DCID of their first
 * Initial), so the hash is keyed with a per-map random secret (SipHash-1-3):
 * nobody outside can aim packets at one bucket.  Open addressing with linear
 * probing keeps a lookup to a few cache lines; the table doubles at 50 % load
 * and never shrinks below its initial size.
 *
 * The map stores borrowed pointers; it owns nothing but its table.  One port
 * owns one map and calls it under the port lock.
 */
#ifndef SSLQUIC_CIDMAP_H
#define SSLQUIC_CIDMAP_H

#include <stddef.h>
#include <stdint.h>

#define SSLQ_CIDMAP_MAX_CID_LEN 20

typedef struct sslq_cidmap sslq_cidmap;

/* A new empty map.  0 or SSLQ_ERR_NOMEM. */
int sslq_cidmap_new(sslq_cidmap **out);
void sslq_cidmap_free(sslq_cidmap *map);

/* Adds cid → value.  SSLQ_ERR_INVALID_ARGUMENT for a CID longer than 20
 * bytes or a NULL value, SSLQ_ERR_PROTO when the CID is already mapped,
 * SSLQ_ERR_NOMEM when the table cannot grow. */
int sslq_cidmap_add(sslq_cidmap *map, const uint8_t *cid, size_t cidlen,
                    void *value);

/* The value mapped to |cid|, or NULL. */
void *sslq_cidmap_get(const sslq_cidmap *map, const uint8_t *cid,
                      size_t cidlen);

/* Removes |cid|; 1 when it was there, 0 when not. */
int sslq_cidmap_remove(sslq_cidmap *map, const uint8_t *cid, size_t cidlen);

size_t sslq_cidmap_count(const sslq_cidmap *map);

/* SipHash-c-d of |data| under a 16-byte |key| (c compression rounds, d
 * finalisation rounds: the map uses 1-3; 2-4 is the reference function the
 * tests check against the published vectors).  libcrypto offers SipHash only
 * through EVP_MAC, whose per-call context set-up costs more than the hash of
 * a 20-byte CID, hence this small inline version. */
uint64_t sslq_siphash(const uint8_t key[16], const uint8_t *data, size_t len,
                      int c, int d);

#endif /* SSLQUIC_CIDMAP_H */
