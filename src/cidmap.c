/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "cidmap.h"
#include "crypto.h"
#include "error.h"

#define CIDMAP_INITIAL_SLOTS 64 /* a power of two */

typedef struct cid_slot {
    void *value;  /* NULL: empty; &tombstone: removed */
    uint8_t len;
    uint8_t cid[SSLQ_CIDMAP_MAX_CID_LEN];
} cid_slot;

struct sslq_cidmap {
    cid_slot *slots;
    size_t nslots; /* power of two */
    size_t count;  /* live entries */
    size_t used;   /* live entries + tombstones */
    uint8_t key[16];
};

static char tombstone;
#define TOMBSTONE ((void *)&tombstone)

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                              \
    do {                                                                       \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);              \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                 \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                 \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);              \
    } while (0)

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t sslq_siphash(const uint8_t key[16], const uint8_t *data, size_t len,
                      int c, int d)
{
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    uint64_t last = (uint64_t)len << 56, m;
    size_t i, tail = len & 7;

    for (i = 0; i + 8 <= len; i += 8) {
        m = load_le64(data + i);
        v3 ^= m;
        for (int r = 0; r < c; r++)
            SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    for (size_t j = 0; j < tail; j++)
        last |= (uint64_t)data[i + j] << (8 * j);
    v3 ^= last;
    for (int r = 0; r < c; r++)
        SIPROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int r = 0; r < d; r++)
        SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

static size_t slot_of(const sslq_cidmap *map, const uint8_t *cid,
                      size_t cidlen)
{
    return (size_t)sslq_siphash(map->key, cid, cidlen, 1, 3) &
           (map->nslots - 1);
}

static int slot_matches(const cid_slot *s, const uint8_t *cid, size_t cidlen)
{
    return s->value != NULL && s->value != TOMBSTONE && s->len == cidlen &&
           memcmp(s->cid, cid, cidlen) == 0;
}

static int alloc_slots(sslq_cidmap *map, size_t nslots)
{
    map->slots = calloc(nslots, sizeof(*map->slots));
    if (map->slots == NULL)
        return SSLQ_ERR_NOMEM;
    map->nslots = nslots;
    map->count = map->used = 0;
    return 0;
}

int sslq_cidmap_new(sslq_cidmap **out)
{
    sslq_cidmap *map = calloc(1, sizeof(*map));

    if (map == NULL)
        return SSLQ_ERR_NOMEM;
    if (sslq_random(map->key, sizeof(map->key)) != 0 ||
        alloc_slots(map, CIDMAP_INITIAL_SLOTS) != 0) {
        free(map);
        return SSLQ_ERR_NOMEM;
    }
    *out = map;
    return 0;
}

void sslq_cidmap_free(sslq_cidmap *map)
{
    if (map == NULL)
        return;
    free(map->slots);
    free(map);
}

static void insert_fresh(sslq_cidmap *map, const uint8_t *cid, size_t cidlen,
                         void *value)
{
    size_t i = slot_of(map, cid, cidlen);

    while (map->slots[i].value != NULL && map->slots[i].value != TOMBSTONE)
        i = (i + 1) & (map->nslots - 1);
    if (map->slots[i].value == NULL)
        map->used++;
    map->slots[i].value = value;
    map->slots[i].len = (uint8_t)cidlen;
    memcpy(map->slots[i].cid, cid, cidlen);
    map->count++;
}

/* Rehash into a table sized for the live entries; drops tombstones. */
static int rehash(sslq_cidmap *map, size_t nslots)
{
    cid_slot *old = map->slots;
    size_t oldn = map->nslots;

    if (alloc_slots(map, nslots) != 0) {
        map->slots = old;
        map->nslots = oldn;
        return SSLQ_ERR_NOMEM;
    }
    for (size_t i = 0; i < oldn; i++)
        if (old[i].value != NULL && old[i].value != TOMBSTONE)
            insert_fresh(map, old[i].cid, old[i].len, old[i].value);
    free(old);
    return 0;
}

int sslq_cidmap_add(sslq_cidmap *map, const uint8_t *cid, size_t cidlen,
                    void *value)
{
    if (map == NULL || cid == NULL || value == NULL ||
        cidlen > SSLQ_CIDMAP_MAX_CID_LEN)
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (sslq_cidmap_get(map, cid, cidlen) != NULL)
        return SSLQ_ERR_PROTO;
    if ((map->used + 1) * 2 > map->nslots) {
        size_t n = map->nslots;

        /* Grow when live entries fill the table; otherwise tombstones do,
         * and a same-size rehash clears them. */
        if ((map->count + 1) * 4 > n)
            n *= 2;
        if (rehash(map, n) != 0)
            return SSLQ_ERR_NOMEM;
    }
    insert_fresh(map, cid, cidlen, value);
    return 0;
}

static cid_slot *find(const sslq_cidmap *map, const uint8_t *cid,
                      size_t cidlen)
{
    size_t i;

    if (map == NULL || cid == NULL || cidlen > SSLQ_CIDMAP_MAX_CID_LEN)
        return NULL;
    for (i = slot_of(map, cid, cidlen); map->slots[i].value != NULL;
         i = (i + 1) & (map->nslots - 1))
        if (slot_matches(&map->slots[i], cid, cidlen))
            return &map->slots[i];
    return NULL;
}

void *sslq_cidmap_get(const sslq_cidmap *map, const uint8_t *cid,
                      size_t cidlen)
{
    cid_slot *s = find(map, cid, cidlen);

    return s ? s->value : NULL;
}

int sslq_cidmap_remove(sslq_cidmap *map, const uint8_t *cid, size_t cidlen)
{
    cid_slot *s = find(map, cid, cidlen);

    if (s == NULL)
        return 0;
    s->value = TOMBSTONE;
    map->count--;
    return 1;
}

size_t sslq_cidmap_count(const sslq_cidmap *map)
{
    return map ? map->count : 0;
}
