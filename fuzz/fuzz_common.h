/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common — what the libFuzzer targets share: an input reader, a server
 * SSL_CTX with a throwaway in-memory certificate (made once per process),
 * and a builder for protected client Initial packets so that fuzzed frames
 * get past packet decryption.  Process-lifetime state only; the fuzz targets
 * and the seed generator own nothing else from here.
 */
#ifndef SSLQUIC_FUZZ_COMMON_H
#define SSLQUIC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/* libFuzzer's entry points (declared for -Wmissing-prototypes). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a fuzz input front to back; reads past the end give zeros / empty
 * slices, so a target never has to bounds-check. */
typedef struct fuzz_reader {
    const uint8_t *p;
    size_t left;
} fuzz_reader;

uint8_t fuzz_u8(fuzz_reader *r);
uint16_t fuzz_u16(fuzz_reader *r);
uint64_t fuzz_u64(fuzz_reader *r);
/* Up to |want| bytes; *got says how many there were. */
const uint8_t *fuzz_bytes(fuzz_reader *r, size_t want, size_t *got);

/* The server SSL_CTX (certificate for "localhost", any ALPN accepted),
 * prepared with sslq_tls_ctx_prepare.  Aborts on failure: a fuzzer that
 * cannot set up must not report a clean run. */
SSL_CTX *fuzz_server_ctx(void);
/* A client SSL_CTX trusting that certificate, prepared, ALPN "test". */
SSL_CTX *fuzz_client_ctx(void);

/*
 * A protected QUIC v1 client Initial in |out| (|cap| >= 1300): header with
 * the given CIDs (each at most 20 bytes) and token, a 4-byte packet number
 * |pn|, |payload| (frames) padded with PADDING to a 1200-byte datagram,
 * sealed with the client Initial keys of |dcid|.  A payload too long for
 * |cap| is cut.  Returns the packet length, 0 on failure.
 */
size_t fuzz_seal_initial(uint8_t *out, size_t cap, const uint8_t *dcid,
                         size_t dcidlen, const uint8_t *scid, size_t scidlen,
                         const uint8_t *token, size_t tokenlen, uint32_t pn,
                         const uint8_t *payload, size_t payloadlen);

#endif /* SSLQUIC_FUZZ_COMMON_H */
