/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed corpora under <dir>/<target>/: a real ClientHello from a
 * client TLS shim, the server flight a server shim answers it with, the same ClientHello in a protected client Initial (raw,
 * and in the port fuzzer's "sealed" form), encoded transport parameters and
 * token-check inputs.  Run by hand (fuzz/run.sh --seeds) when the input
 * formats change; the output is committed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "ngtcp2_compat.h"
#include "tls_shim.h"

static const char *outdir;

/* What one shim sent, per level. */
typedef struct flight {
    uint8_t data[3][8192];
    size_t len[3];
} flight;

static int on_secret(void *arg, enum sslq_level level, int is_write,
                     const sslq_suite *suite, const uint8_t *secret,
                     size_t secretlen)
{
    return 0;
}

static int on_crypto_data(void *arg, enum sslq_level level, const uint8_t *data,
                          size_t len)
{
    flight *f = arg;

    if (f->len[level] + len > sizeof(f->data[level]))
        return -1;
    memcpy(f->data[level] + f->len[level], data, len);
    f->len[level] += len;
    return 0;
}

static int on_tp(void *arg, const uint8_t *data, size_t len)
{
    return 0;
}

static void put(const char *target, const char *name, const uint8_t *data,
                size_t len)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", outdir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        abort();
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        abort();
}

static size_t encode_params(uint8_t *buf, size_t cap, int is_server)
{
    ngtcp2_transport_params p;
    ngtcp2_cid cid = {8, {0xc1, 0xd2, 3, 4, 5, 6, 7, 8}};
    ngtcp2_ssize n;

    ngtcp2_transport_params_default(&p);
    p.initial_max_data = 1 << 20;
    p.initial_max_stream_data_bidi_local = 1 << 18;
    p.initial_max_stream_data_bidi_remote = 1 << 18;
    p.initial_max_stream_data_uni = 1 << 18;
    p.initial_max_streams_bidi = 100;
    p.initial_max_streams_uni = 3;
    p.max_idle_timeout = 30 * NGTCP2_SECONDS;
    p.active_connection_id_limit = 4;
    sslq_ngtcp2_params_set_initial_scid(&p, &cid);
    if (is_server) {
        sslq_ngtcp2_params_set_original_dcid(&p, &cid);
        p.stateless_reset_token_present = 1;
        memset(p.stateless_reset_token, 0x5a, sizeof(p.stateless_reset_token));
    }
    n = sslq_ngtcp2_transport_params_encode(buf, cap, is_server, &p);
    if (n <= 0)
        abort();
    return (size_t)n;
}

static size_t crypto_frame(uint8_t *out, const uint8_t *data, size_t len,
                           size_t offset)
{
    out[0] = 0x06;
    out[1] = (uint8_t)(0x40 | offset >> 8);
    out[2] = (uint8_t)offset;
    out[3] = (uint8_t)(0x40 | len >> 8);
    out[4] = (uint8_t)len;
    memcpy(out + 5, data, len);
    return 5 + len;
}

/* A port-fuzzer record: hdr, u16 length, bytes. */
static size_t record(uint8_t *out, uint8_t hdr, const uint8_t *data, size_t len)
{
    out[0] = hdr;
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)len;
    if (len)
        memcpy(out + 3, data, len);
    return 3 + len;
}

/* The sealed form: dcidlen, dcid, scidlen, scid, tokenlen, pn, frames. */
static size_t sealed(uint8_t *out, const uint8_t *dcid, uint8_t pn,
                     const uint8_t *frames, size_t len)
{
    static const uint8_t scid[8] = {0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4};
    uint8_t *p = out;

    *p++ = 8;
    memcpy(p, dcid, 8);
    p += 8;
    *p++ = 8;
    memcpy(p, scid, 8);
    p += 8;
    *p++ = 0;
    *p++ = pn;
    memcpy(p, frames, len);
    return (size_t)(p - out) + len;
}

int main(int argc, char **argv)
{
    static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
    static const uint8_t scid[8] = {0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4};
    static const sslq_tls_callbacks cb = {on_secret, on_crypto_data, on_tp,
                                          NULL};
    static uint8_t buf[16384], frames[4096], rec[4096], pkt[1500];
    static flight cf, sf;
    uint8_t tp[512], stp[512];
    size_t tplen, stplen, n, m, k, chlen;
    const uint8_t *ch = cf.data[SSLQ_LEVEL_INITIAL];
    SSL *ssl, *sssl;
    sslq_tls *tls, *stls;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    mkdir(outdir, 0755);

    /* a real ClientHello, and the server flight answering it */
    ssl = SSL_new(fuzz_client_ctx());
    SSL_set_tlsext_host_name(ssl, "localhost");
    tls = sslq_tls_new(ssl, 0, &cb, &cf);
    tplen = encode_params(tp, sizeof(tp), 0);
    if (tls == NULL || sslq_tls_set_local_transport_params(tls, tp, tplen) ||
        sslq_tls_start(tls) != 0)
        abort();
    chlen = cf.len[SSLQ_LEVEL_INITIAL];
    sssl = SSL_new(fuzz_server_ctx());
    stls = sslq_tls_new(sssl, 1, &cb, &sf);
    stplen = encode_params(stp, sizeof(stp), 1);
    if (chlen == 0 || stls == NULL ||
        sslq_tls_set_local_transport_params(stls, stp, stplen) != 0 ||
        sslq_tls_provide_data(stls, SSLQ_LEVEL_INITIAL, ch, chlen) != 0 ||
        sf.len[SSLQ_LEVEL_INITIAL] == 0 || sf.len[SSLQ_LEVEL_HANDSHAKE] == 0)
        abort();
    sslq_tls_free(stls);
    SSL_free(sssl);
    sslq_tls_free(tls);
    SSL_free(ssl);

    /* fuzz_tls_crypto: flags (bit 0: client), then level, u16 length,
     * bytes */
    buf[0] = 0;
    n = 1 + record(buf + 1, 0, ch, chlen);
    put("fuzz_tls_crypto", "clienthello", buf, n);
    n = 1 + record(buf + 1, 0, ch, 40);
    n += record(buf + n, 0, ch + 40, chlen - 40);
    put("fuzz_tls_crypto", "clienthello_split", buf, n);
    n = 1 + record(buf + 1, 0, ch, chlen);
    n += record(buf + n, 1, (const uint8_t *)"\x14\x00\x00\x20", 4);
    n += record(buf + n, 3, NULL, 0);
    put("fuzz_tls_crypto", "clienthello_then_handshake", buf, n);
    buf[0] = 1;
    n = 1 + record(buf + 1, 0, sf.data[0], sf.len[0]);
    n += record(buf + n, 1, sf.data[1], sf.len[1]);
    put("fuzz_tls_crypto", "client_reads_server_flight", buf, n);
    n = 1 + record(buf + 1, 0, sf.data[0], sf.len[0]);
    n += record(buf + n, 1, sf.data[1], 60);
    n += record(buf + n, 1, sf.data[1] + 60, sf.len[1] - 60);
    put("fuzz_tls_crypto", "client_reads_server_flight_split", buf, n);

    /* fuzz_transport_params: 0 then the encoded parameters, or 1 then
     * (selector, flags, value) triples */
    buf[0] = 0;
    memcpy(buf + 1, tp, tplen);
    put("fuzz_transport_params", "client", buf, 1 + tplen);
    n = encode_params(buf + 1, sizeof(buf) - 1, 1);
    put("fuzz_transport_params", "server", buf, 1 + n);
    {
        static const uint8_t triples[] = {
            1,                                             /* framed */
            0x04, 0x01, 0, 0, 0, 0, 0, 0x10, 0, 0,         /* max_data */
            0x0f, 0x10, 1, 2, 3, 4, 5, 6, 7, 8,            /* initial_scid */
            0x00, 0x10, 9, 9, 9, 9, 9, 9, 9, 9,            /* original_dcid */
            0x20, 0x10, 0, 0, 0, 1, 0, 0, 0, 1,            /* version_info */
            0x21, 0x00,                                    /* grease_quic_bit */
            0x0d, 0x02, 0x01,                              /* preferred_address */
        };
        put("fuzz_transport_params", "framed", triples, sizeof(triples));
    }

    /* fuzz_port_datagram: flags, then records */
    m = crypto_frame(frames, ch, chlen, 0);
    k = sealed(rec, dcid, 0, frames, m);
    buf[0] = 0x00;
    n = 1 + record(buf + 1, 0x04, rec, k);
    put("fuzz_port_datagram", "sealed_clienthello", buf, n);
    buf[0] = 0x01; /* the Retry port */
    put("fuzz_port_datagram", "sealed_clienthello_validate", buf, n);
    /* the ClientHello in two Initials, from two peers (a migration) */
    m = crypto_frame(frames, ch, 100, 0);
    k = sealed(rec, dcid, 0, frames, m);
    buf[0] = 0xa0;
    n = 1 + record(buf + 1, 0x04, rec, k);
    m = crypto_frame(frames, ch + 100, chlen - 100, 100);
    k = sealed(rec, dcid, 1, frames, m);
    n += record(buf + n, 0x0d, rec, k);
    put("fuzz_port_datagram", "sealed_split_two_peers", buf, n);
    /* a protected client Initial as it travels */
    m = crypto_frame(frames, ch, chlen, 0);
    k = fuzz_seal_initial(pkt, sizeof(pkt), dcid, 8, scid, 8, NULL, 0, 0,
                          frames, m);
    if (k == 0)
        abort();
    buf[0] = 0x00;
    n = 1 + record(buf + 1, 0x00, pkt, k);
    put("fuzz_port_datagram", "raw_initial", buf, n);
    buf[0] = 0x01;
    put("fuzz_port_datagram", "raw_initial_validate", buf, n);
    /* an unknown version (Version Negotiation) and a short header for
     * nobody (stateless reset) */
    memset(pkt, 0, 1200);
    memcpy(pkt, "\xc0\x1a\x2a\x3a\x4a\x08", 6);
    memcpy(pkt + 6, dcid, 8);
    buf[0] = 0x00;
    n = 1 + record(buf + 1, 0x00, pkt, 1200);
    memset(pkt, 0x33, 60);
    pkt[0] = 0x41;
    n += record(buf + n, 0x02, pkt, 60);
    put("fuzz_port_datagram", "vn_and_reset", buf, n);

    /* fuzz_token: mode, kind, family, address, port, now, lifetime, ... */
    memset(buf, 0, sizeof(buf));
    n = 0;
    buf[n++] = 1;    /* make a genuine token */
    buf[n++] = 1;    /* Retry */
    buf[n++] = 0;    /* IPv4 */
    memcpy(buf + n, "\xc0\x00\x02\x01", 4);
    n += 16;
    buf[n++] = 0x11; /* port */
    buf[n++] = 0x51;
    n += 7;
    buf[n++] = 0x40; /* now */
    n += 6;
    buf[n++] = 0x0f; /* lifetime */
    buf[n++] = 0xff;
    buf[n++] = 8;    /* odcid */
    memcpy(buf + n, dcid, 8);
    n += 8;
    buf[n++] = 0; /* flip position */
    buf[n++] = 9;
    buf[n++] = 0x80; /* mask */
    n += 8;          /* age */
    buf[n++] = 0;    /* other address: IPv4, same host */
    memcpy(buf + n, "\xc0\x00\x02\x01", 4);
    n += 16;
    buf[n++] = 0x22;
    buf[n++] = 0x22;
    put("fuzz_token", "retry_ipv4", buf, n);
    buf[1] = 0; /* NEW_TOKEN */
    buf[2] = 1; /* IPv6 */
    put("fuzz_token", "new_token_ipv6", buf, n);
    /* mode 0: bytes that look like a token */
    memset(buf, 0, sizeof(buf));
    buf[1] = 1;
    n = 3 + 16 + 2 + 16;
    buf[n++] = 0x52;
    memset(buf + n, 0x11, 12 + 8 + 1 + 8 + 16);
    buf[n + 12 + 8] = 8;
    n += 12 + 8 + 1 + 8 + 16;
    put("fuzz_token", "forged_retry", buf, n);
    return 0;
}
