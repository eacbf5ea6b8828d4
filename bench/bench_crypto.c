/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_crypto: what QUIC packet protection costs on top of the AEAD.
 *
 * For each suite it times, on 1-RTT short-header packets of one size:
 *   raw_seal        EVP directly: nonce, AAD, encrypt, tag (the floor)
 *   seal_hp         sslq_packet_protect: the same seal plus header protection
 *   raw_open        EVP directly: copy the packet in, nonce, AAD, decrypt, tag
 *   unprotect_open  sslq_packet_unprotect after the same copy
 * with the same key and sizes, interleaved in short rounds so clock drift
 * and frequency scaling hit every column alike.  Each column reports its
 * best round: on a shared machine the slow rounds measure the neighbours.
 *
 *   bench_crypto [--seconds S] [--size N] [--suite aes128|aes256|chacha|all]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"

#define ROUNDS 10
#define DCID_LEN 8
#define PN_LEN 2
#define HDR_LEN (1 + DCID_LEN + PN_LEN)
#define MIN_SIZE 64
#define MAX_SIZE 65527

enum { RAW_SEAL, SEAL_HP, RAW_OPEN, UNPROTECT_OPEN, KINDS };
static const char *const kind_names[KINDS] = {"raw_seal", "seal_hp", "raw_open",
                                              "unprotect_open"};

typedef struct bench {
    const sslq_suite *suite;
    size_t size, payloadlen;
    uint8_t iv[SSLQ_IV_LEN];
    EVP_CIPHER_CTX *seal, *open, *raw_seal, *raw_open, *hp;
    uint8_t hdr[HDR_LEN];
    uint8_t *work, *sealed_raw, *sealed_pkt;
    uint64_t pn;
} bench;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bench_crypto [--seconds S] [--size N] "
            "[--suite aes128|aes256|chacha|all]\n"
            "  --seconds S  time per measurement, 0.01 to 60 (default 0.4)\n"
            "  --size N     packet size in bytes, %d to %d (default 1350)\n"
            "  --suite      which cipher suite (default all)\n",
            MIN_SIZE, MAX_SIZE);
}

static int bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, "bench_crypto: %s '%s'\n", what, arg);
    usage(stderr);
    return 2;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_crypto: %s\n", what);
    exit(1);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *suite_name(uint16_t id)
{
    switch (id) {
    case SSLQ_TLS_AES_128_GCM_SHA256:
        return "AES-128-GCM";
    case SSLQ_TLS_AES_256_GCM_SHA384:
        return "AES-256-GCM";
    default:
        return "ChaCha20-Poly1305";
    }
}

/* The AEAD on its own, the way any QUIC stack would call it. */
static int raw_seal_one(bench *b, uint8_t *pkt, uint64_t pn)
{
    uint8_t nonce[SSLQ_IV_LEN];
    int outl, finl;

    sslq_make_nonce(nonce, b->iv, pn);
    return EVP_EncryptInit_ex(b->raw_seal, NULL, NULL, NULL, nonce) == 1 &&
           EVP_EncryptUpdate(b->raw_seal, NULL, &outl, pkt, HDR_LEN) == 1 &&
           EVP_EncryptUpdate(b->raw_seal, pkt + HDR_LEN, &outl, pkt + HDR_LEN,
                             (int)b->payloadlen) == 1 &&
           EVP_EncryptFinal_ex(b->raw_seal, pkt + HDR_LEN + outl, &finl) == 1 &&
           EVP_CIPHER_CTX_ctrl(b->raw_seal, EVP_CTRL_AEAD_GET_TAG, SSLQ_TAG_LEN,
                               pkt + HDR_LEN + b->payloadlen) == 1;
}

static int raw_open_one(bench *b, uint8_t *pkt, uint64_t pn)
{
    uint8_t nonce[SSLQ_IV_LEN];
    int outl, finl;

    sslq_make_nonce(nonce, b->iv, pn);
    return EVP_DecryptInit_ex(b->raw_open, NULL, NULL, NULL, nonce) == 1 &&
           EVP_DecryptUpdate(b->raw_open, NULL, &outl, pkt, HDR_LEN) == 1 &&
           EVP_CIPHER_CTX_ctrl(b->raw_open, EVP_CTRL_AEAD_SET_TAG, SSLQ_TAG_LEN,
                               pkt + HDR_LEN + b->payloadlen) == 1 &&
           EVP_DecryptUpdate(b->raw_open, pkt + HDR_LEN, &outl, pkt + HDR_LEN,
                             (int)b->payloadlen) == 1 &&
           EVP_DecryptFinal_ex(b->raw_open, pkt + HDR_LEN + outl, &finl) == 1;
}

/* One packet of |kind|; 0 on failure. */
static int run_one(bench *b, int kind)
{
    uint64_t pn, hl_pn;
    size_t hl, pl;

    switch (kind) {
    case RAW_SEAL:
        return raw_seal_one(b, b->work, b->pn++);
    case SEAL_HP:
        /* header protection scrambled the last header: put it back */
        memcpy(b->work, b->hdr, HDR_LEN);
        pn = b->pn++;
        return sslq_packet_protect(b->seal, b->iv, b->hp, b->work, HDR_LEN, pn,
                                   b->payloadlen) == 0;
    case RAW_OPEN:
        memcpy(b->work, b->sealed_raw, b->size);
        return raw_open_one(b, b->work, 0);
    default:
        memcpy(b->work, b->sealed_pkt, b->size);
        return sslq_packet_unprotect(b->open, b->iv, b->hp, b->work, b->size,
                                     1 + DCID_LEN, -1, &hl_pn, &hl, &pl) == 0 &&
               hl_pn == 0;
    }
}

/* Runs |kind| for |seconds| and returns its rate in MB/s. */
static double measure(bench *b, int kind, double seconds)
{
    double start = now(), t;
    unsigned long n = 0;
    int i;

    do {
        for (i = 0; i < 256; i++)
            if (!run_one(b, kind))
                die("a packet failed to seal or open");
        n += 256;
        t = now() - start;
    } while (t < seconds);
    return (double)n * (double)b->size / t / 1e6;
}

static void bench_init(bench *b, const sslq_suite *suite, size_t size)
{
    uint8_t secret[SSLQ_MAX_SECRET_LEN];
    sslq_packet_keys keys;
    size_t i;

    memset(b, 0, sizeof(*b));
    b->suite = suite;
    b->size = size;
    b->payloadlen = size - HDR_LEN - SSLQ_TAG_LEN;
    if (sslq_random(secret, suite->secretlen) != 0 ||
        sslq_derive_packet_keys(suite, SSLQ_VERSION_V1, secret,
                                suite->secretlen, &keys) != 0)
        die("key derivation failed");
    memcpy(b->iv, keys.iv, SSLQ_IV_LEN);
    b->seal = sslq_aead_ctx_new(suite, keys.key, 1);
    b->open = sslq_aead_ctx_new(suite, keys.key, 0);
    b->raw_seal = sslq_aead_ctx_new(suite, keys.key, 1);
    b->raw_open = sslq_aead_ctx_new(suite, keys.key, 0);
    b->hp = sslq_hp_ctx_new(suite, keys.hp);
    b->work = malloc(size);
    b->sealed_raw = malloc(size);
    b->sealed_pkt = malloc(size);
    if (!b->seal || !b->open || !b->raw_seal || !b->raw_open || !b->hp ||
        !b->work || !b->sealed_raw || !b->sealed_pkt)
        die("out of memory");

    b->hdr[0] = 0x40 | (PN_LEN - 1);
    for (i = 0; i < DCID_LEN; i++)
        b->hdr[1 + i] = (uint8_t)(0xa0 + i);
    /* packet number 0 in the header of the packets the open columns use */
    memset(b->work, 0x17, size);
    memcpy(b->work, b->hdr, HDR_LEN);
    memcpy(b->sealed_raw, b->work, size);
    memcpy(b->sealed_pkt, b->work, size);
    if (!raw_seal_one(b, b->sealed_raw, 0) ||
        sslq_packet_protect(b->seal, b->iv, b->hp, b->sealed_pkt, HDR_LEN, 0,
                            b->payloadlen) != 0)
        die("sealing the reference packets failed");
    /* both open columns must succeed before anything is timed */
    if (!run_one(b, RAW_OPEN) || !run_one(b, UNPROTECT_OPEN))
        die("the reference packets do not open");
    OPENSSL_cleanse(&keys, sizeof(keys));
    OPENSSL_cleanse(secret, sizeof(secret));
}

static void bench_free(bench *b)
{
    EVP_CIPHER_CTX_free(b->seal);
    EVP_CIPHER_CTX_free(b->open);
    EVP_CIPHER_CTX_free(b->raw_seal);
    EVP_CIPHER_CTX_free(b->raw_open);
    EVP_CIPHER_CTX_free(b->hp);
    free(b->work);
    free(b->sealed_raw);
    free(b->sealed_pkt);
}

static void bench_suite(uint16_t id, size_t size, double seconds)
{
    double mbps[KINDS] = {0}, rate;
    const sslq_suite *suite = sslq_suite_get(id);
    int round, kind;
    bench b;

    if (!suite) {
        printf("%-18s unavailable in this libcrypto\n", suite_name(id));
        return;
    }
    bench_init(&b, suite, size);
    for (round = 0; round < ROUNDS; round++) {
        for (kind = 0; kind < KINDS; kind++) {
            rate = measure(&b, kind, seconds / ROUNDS);
            if (rate > mbps[kind])
                mbps[kind] = rate;
        }
    }
    printf("%-18s %13.1f %13.1f %13.1f %15.1f\n", suite_name(id),
           mbps[RAW_SEAL], mbps[SEAL_HP], mbps[RAW_OPEN], mbps[UNPROTECT_OPEN]);
    printf("ratio seal_hp/raw_aead %s %.2f\n", suite_name(id),
           mbps[SEAL_HP] / mbps[RAW_SEAL]);
    printf("ratio unprotect_open/raw_aead %s %.2f\n", suite_name(id),
           mbps[UNPROTECT_OPEN] / mbps[RAW_OPEN]);
    bench_free(&b);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && *out >= lo && *out <= hi;
}

static int parse_size(const char *s, size_t *out)
{
    unsigned long v;
    char *end;

    if (*s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < MIN_SIZE || v > MAX_SIZE)
        return 0;
    *out = v;
    return 1;
}

int main(int argc, char **argv)
{
    static const uint16_t all[] = {SSLQ_TLS_AES_128_GCM_SHA256,
                                   SSLQ_TLS_AES_256_GCM_SHA384,
                                   SSLQ_TLS_CHACHA20_POLY1305_SHA256};
    double seconds = 0.4;
    size_t size = 1350, i;
    int only = -1, a;

    for (a = 1; a < argc; a++) {
        const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        }
        if (strcmp(arg, "--seconds") && strcmp(arg, "--size") &&
            strcmp(arg, "--suite"))
            return bad_usage("unknown option", arg);
        if (!val)
            return bad_usage("missing value for", arg);
        if (!strcmp(arg, "--seconds")) {
            if (!parse_double(val, 0.01, 60, &seconds))
                return bad_usage("bad --seconds", val);
        } else if (!strcmp(arg, "--size")) {
            if (!parse_size(val, &size))
                return bad_usage("bad --size", val);
        } else if (!strcmp(val, "aes128")) {
            only = 0;
        } else if (!strcmp(val, "aes256")) {
            only = 1;
        } else if (!strcmp(val, "chacha")) {
            only = 2;
        } else if (strcmp(val, "all")) {
            return bad_usage("bad --suite", val);
        }
        a++;
    }

    printf("bench_crypto: %zu-byte 1-RTT packets (short header, %d-byte DCID, "
           "%d-byte packet number), %.2f s per column, best of %d rounds, "
           "%s\n",
           size, DCID_LEN, PN_LEN, seconds, ROUNDS,
           OpenSSL_version(OPENSSL_VERSION));
    printf("%-18s %13s %13s %13s %15s   (MB/s)\n", "suite", kind_names[0],
           kind_names[1], kind_names[2], kind_names[3]);
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (only < 0 || (size_t)only == i)
            bench_suite(all[i], size, seconds);
    return 0;
}
