/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The peer's transport parameters (extension 0x39) as the TLS shim hands
 * them to ngtcp2: the input decoded as a client's and as a server's.  What
 * decodes must survive a round trip: encode(decode(encode(p))) is
 * encode(p) byte for byte, or sslquic would send parameters it did not mean.
 *
 * ngtcp2 is the system library, built without coverage instrumentation, so
 * libFuzzer cannot see which of its branches an input takes.  To make up for
 * part of that, an input whose first byte is odd is taken as a list of
 * parameters (id selector, flags, value) that this target frames as RFC 9000
 * §18 wants, so that most inputs get past the framing to the per-parameter
 * checks; an even first byte means the rest is decoded as it is.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ngtcp2_compat.h"

static int decode(ngtcp2_transport_params *p, int from_server,
                  const uint8_t *data, size_t len)
{
    memset(p, 0, sizeof(*p));
#if SSLQ_NGTCP2_LEGACY
    return ngtcp2_decode_transport_params(
        p,
        from_server ? NGTCP2_TRANSPORT_PARAMS_TYPE_ENCRYPTED_EXTENSIONS
                    : NGTCP2_TRANSPORT_PARAMS_TYPE_CLIENT_HELLO,
        data, len);
#else
    (void)from_server;
    return ngtcp2_transport_params_decode(p, data, len);
#endif
}

static void round_trip(const ngtcp2_transport_params *p, int from_server)
{
    static uint8_t a[4096], b[4096];
    ngtcp2_transport_params again;
    ngtcp2_ssize na, nb;

    na = sslq_ngtcp2_transport_params_encode(a, sizeof(a), from_server, p);
    if (na < 0)
        return; /* e.g. a value ngtcp2 will not encode: not sent */
    if (decode(&again, from_server, a, (size_t)na) != 0)
        abort(); /* ngtcp2 encoded what it cannot decode */
    nb = sslq_ngtcp2_transport_params_encode(b, sizeof(b), from_server,
                                             &again);
    if (nb != na || memcmp(a, b, (size_t)na) != 0)
        abort();
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;

    v &= 0x3fffffffffffffffULL;
    for (size_t i = n; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
    p[0] |= (uint8_t)((n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3) << 6);
    return n;
}

/* selector: 0-31 the ids of RFC 9000 §18.2 and around; 32-47 one of
 * version_information (RFC 9368), grease_quic_bit (RFC 9287) and a few
 * draft-era ids; above, a random 16-bit id.  flags: bit 0 the value is a
 * varint of a fuzzed u64, else raw bytes (length in bits 1-7). */
static size_t frame_params(fuzz_reader *r, uint8_t *out, size_t cap)
{
    static const uint64_t known[] = {0x11,     0x2ab2,   0xff73db,
                                     0xff02de1a, 0x0f739bbc1b666d05ULL};
    size_t n = 0;

    while (r->left > 0 && cap - n > 8 + 8 + 128) {
        uint8_t sel = fuzz_u8(r), flags = fuzz_u8(r);
        uint64_t id = sel < 32   ? sel
                      : sel < 48 ? known[sel % 5]
                                 : fuzz_u16(r);
        uint8_t val[128];
        size_t vlen, got;

        if (flags & 1) {
            vlen = put_varint(val, fuzz_u64(r));
        } else {
            memcpy(val, fuzz_bytes(r, flags >> 1, &got), got);
            vlen = got;
        }
        n += put_varint(out + n, id);
        n += put_varint(out + n, vlen);
        memcpy(out + n, val, vlen);
        n += vlen;
    }
    return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t framed[8192];
    ngtcp2_transport_params params;

    if (size > 0 && (data[0] & 1)) {
        fuzz_reader r = {data + 1, size - 1};

        size = frame_params(&r, framed, sizeof(framed));
        data = framed;
    } else if (size > 0) {
        data++;
        size--;
    }
    for (int from_server = 0; from_server < 2; from_server++)
        if (decode(&params, from_server, data, size) == 0)
            round_trip(&params, from_server);
    return 0;
}
