/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Address-validation tokens: sslq_token_check must never accept a token it
 * did not make.  Each input either checks fuzzed bytes as a token (accepted
 * only if byte-identical to one sslq_token_make produced in this run), or
 * makes a genuine token, flips fuzzed bits or changes the check's address,
 * kind or clock, and requires the verdict RFC 9000 §8.1 asks for.
 *
 * Input: mode, kind, family, address (16), port (2), now (8), lifetime (8),
 * then the token (mode 0), or (mode 1) odcid length, odcid, flip position
 * (2), mask, age (8) and a second address (family, address, port).
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "crypto.h"
#include "fuzz_common.h"
#include "token.h"

#define MADE_MAX 4096

static sslq_token_key *key;
static uint8_t made[MADE_MAX][SSLQ_TOKEN_MAX_LEN];
static size_t madelen[MADE_MAX], nmade;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sslq_token_key_new(&key, NULL) != 0)
        abort();
    return 0;
}

static int was_made(const uint8_t *t, size_t len)
{
    size_t n = nmade < MADE_MAX ? nmade : MADE_MAX;

    for (size_t i = 0; i < n; i++)
        if (madelen[i] == len && memcmp(made[i], t, len) == 0)
            return 1;
    return 0;
}

static void read_addr(fuzz_reader *r, struct sockaddr_storage *ss)
{
    uint8_t family = fuzz_u8(r);
    size_t n;
    const uint8_t *a = fuzz_bytes(r, 16, &n);
    uint16_t port = fuzz_u16(r);
    uint8_t raw[16] = {0};

    memcpy(raw, a, n);
    memset(ss, 0, sizeof(*ss));
    if (family % 3 == 0) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        memcpy(&sin->sin_addr, raw, 4);
    } else if (family % 3 == 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        memcpy(&sin6->sin6_addr, raw, 16);
    } else {
        ss->ss_family = AF_UNIX; /* must be refused, never crash */
    }
}

static int check(int kind, const uint8_t *t, size_t len,
                 const struct sockaddr_storage *peer, uint64_t now,
                 uint64_t lifetime, uint8_t *odcid, size_t *odcidlen)
{
    return sslq_token_check(key, kind, t, len, (const struct sockaddr *)peer,
                            now, lifetime, odcid, odcidlen);
}

/* The same endpoint?  Retry tokens bind address and port, NEW_TOKEN tokens
 * the address only. */
static int same_peer(int kind, const struct sockaddr_storage *a,
                     const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

        return memcmp(&x->sin_addr, &y->sin_addr, 4) == 0 &&
               (kind != SSLQ_TOKEN_KIND_RETRY || x->sin_port == y->sin_port);
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

        return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
               (kind != SSLQ_TOKEN_KIND_RETRY || x->sin6_port == y->sin6_port);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    uint8_t mode = fuzz_u8(&r) & 1;
    int kind = fuzz_u8(&r) & 1 ? SSLQ_TOKEN_KIND_RETRY : SSLQ_TOKEN_KIND_REGULAR;
    struct sockaddr_storage peer, other;
    uint64_t now, lifetime;
    uint8_t odcid[SSLQ_MAX_CID_LEN], tok[SSLQ_TOKEN_MAX_LEN];
    size_t odcidlen = 0, toklen, n;
    const uint8_t *t;

    read_addr(&r, &peer);
    now = fuzz_u64(&r);
    lifetime = fuzz_u64(&r);
    if (mode == 0) {
        t = fuzz_bytes(&r, r.left, &n);
        if (check(kind, t, n, &peer, now, lifetime, odcid, &odcidlen) == 0 &&
            !was_made(t, n))
            abort(); /* a forged token opened */
        return 0;
    }

    /* mode 1: a genuine token, then one change at a time */
    {
        uint8_t cid[SSLQ_MAX_CID_LEN];
        size_t cidlen;
        const uint8_t *c = fuzz_bytes(&r, fuzz_u8(&r) % 21, &cidlen);
        uint16_t pos = fuzz_u16(&r);
        uint8_t mask = fuzz_u8(&r);
        uint64_t age = fuzz_u64(&r);
        int rv;

        memcpy(cid, c, cidlen);
        if (kind == SSLQ_TOKEN_KIND_REGULAR)
            cidlen = 0;
        /* an age within the lifetime (and without wrapping the clock) */
        if (lifetime < UINT64_MAX)
            age %= lifetime + 1;
        if (age > UINT64_MAX - now)
            age = 0;
        rv = sslq_token_make(key, kind, (const struct sockaddr *)&peer,
                             cidlen ? cid : NULL, cidlen, now, tok, &toklen);
        if (rv != 0) {
            if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6)
                abort(); /* a valid address and CID must give a token */
            return 0;
        }
        memcpy(made[nmade % MADE_MAX], tok, toklen);
        madelen[nmade % MADE_MAX] = toklen;
        nmade++;

        /* unchanged, within its lifetime: valid, with the same odcid */
        odcidlen = 0;
        if (check(kind, tok, toklen, &peer, now + age, lifetime, odcid,
                  &odcidlen) != 0)
            abort();
        if (kind == SSLQ_TOKEN_KIND_RETRY &&
            (odcidlen != cidlen || memcmp(odcid, cid, cidlen) != 0))
            abort();
        /* the other kind */
        if (check(kind == SSLQ_TOKEN_KIND_RETRY ? SSLQ_TOKEN_KIND_REGULAR
                                                : SSLQ_TOKEN_KIND_RETRY,
                  tok, toklen, &peer, now, lifetime, odcid, &odcidlen) == 0)
            abort();
        /* expired, or issued in the future */
        if (lifetime < UINT64_MAX - now &&
            check(kind, tok, toklen, &peer, now + lifetime + 1, lifetime,
                  odcid, &odcidlen) == 0)
            abort();
        if (now > 0 && check(kind, tok, toklen, &peer, now - 1, lifetime,
                             odcid, &odcidlen) == 0)
            abort();
        /* another address (fuzzed): valid only if it is the same endpoint */
        read_addr(&r, &other);
        if (check(kind, tok, toklen, &other, now, lifetime, odcid,
                  &odcidlen) == 0 &&
            !same_peer(kind, &peer, &other))
            abort();
        /* any bit flipped, or cut short */
        if (mask != 0) {
            tok[pos % toklen] ^= mask;
            if (check(kind, tok, toklen, &peer, now, lifetime, odcid,
                      &odcidlen) == 0)
                abort();
            tok[pos % toklen] ^= mask;
        }
        if (check(kind, tok, pos % toklen, &peer, now, lifetime, odcid,
                  &odcidlen) == 0)
            abort();
    }
    return 0;
}
