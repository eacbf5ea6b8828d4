/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3_probe: sends hand-built HTTP/3 requests, well-formed or hostile, to
 * h3-server and reports what came back, one line per case.  Written against
 * OpenSSL 3.5's QUIC API (blocking, one stream per case, in order); requests
 * are encoded here byte by byte (QPACK literals, no Huffman) so they can
 * break the rules nghttp3 would enforce, and responses are decoded with
 * nghttp3's QPACK decoder.
 *
 *   h3_probe PORT CASE...
 *
 *   METHOD:PATH  (head:/x, get:/x, delete:/x, get:x ...) prints
 *               "<case> <status> <content-length> <body bytes> <type>"
 *   huge        GET / with a 64 KiB header field
 *   nopath      a request without :path
 *   badpseudo   a request with an unknown pseudo-header
 *   reset       half a HEADERS frame, then RESET_STREAM
 *
 * For the last four it prints "<case> status N", "<case> reset" (the
 * server reset the stream) or "<case> closed" (the connection ended).
 * Exit 0 unless the probe itself could not run.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp3/nghttp3.h>
#include <openssl/err.h>
#include <openssl/quic.h>
#include <openssl/ssl.h>

struct out {
    unsigned char *p;
    size_t n, cap;
};

static void put(struct out *o, const void *d, size_t n)
{
    if (o->n + n > o->cap) {
        o->cap = 2 * (o->n + n);
        if ((o->p = realloc(o->p, o->cap)) == NULL)
            abort();
    }
    memcpy(o->p + o->n, d, n);
    o->n += n;
}

/* A QPACK prefixed integer: |first| holds the pattern bits above it. */
static void qint(struct out *o, unsigned char first, int bits, size_t v)
{
    size_t max = ((size_t)1 << bits) - 1;
    unsigned char b;

    if (v < max) {
        b = (unsigned char)(first | v);
        put(o, &b, 1);
        return;
    }
    b = (unsigned char)(first | max);
    put(o, &b, 1);
    for (v -= max; v >= 128; v >>= 7) {
        b = (unsigned char)(0x80 | (v & 0x7f));
        put(o, &b, 1);
    }
    b = (unsigned char)v;
    put(o, &b, 1);
}

static void varint(struct out *o, uint64_t v)
{
    unsigned char b[4];

    if (v < 64) {
        b[0] = (unsigned char)v;
        put(o, b, 1);
    } else if (v < 16384) {
        b[0] = (unsigned char)(0x40 | (v >> 8));
        b[1] = (unsigned char)v;
        put(o, b, 2);
    } else {
        b[0] = (unsigned char)(0x80 | (v >> 24));
        b[1] = (unsigned char)(v >> 16);
        b[2] = (unsigned char)(v >> 8);
        b[3] = (unsigned char)v;
        put(o, b, 4);
    }
}

/* "Literal field line with literal name", no Huffman (RFC 9204 4.5.6). */
static void field(struct out *o, const char *name, const char *value)
{
    qint(o, 0x20, 3, strlen(name));
    put(o, name, strlen(name));
    qint(o, 0x00, 7, strlen(value));
    put(o, value, strlen(value));
}

/* The HEADERS frame for a list of name, value pairs ending in NULL. */
static void headers(struct out *frame, const char **nv)
{
    struct out fs = {0};
    unsigned char prefix[2] = {0, 0};

    put(&fs, prefix, 2);
    for (; nv[0] != NULL; nv += 2)
        field(&fs, nv[0], nv[1]);
    varint(frame, 1);
    varint(frame, fs.n);
    put(frame, fs.p, fs.n);
    free(fs.p);
}

static uint64_t rvarint(const unsigned char *p, size_t n, size_t *used)
{
    size_t len = (size_t)1 << (p[0] >> 6), i;
    uint64_t v = p[0] & 0x3f;

    if (len > n)
        return *used = 0;
    for (i = 1; i < len; i++)
        v = v << 8 | p[i];
    *used = len;
    return v;
}

/* Status and content-length from one HEADERS payload. */
static void decode(const unsigned char *p, size_t n, int *status, long *clen,
                   char *type)
{
    nghttp3_qpack_decoder *dec = NULL;
    nghttp3_qpack_stream_context *sc = NULL;
    nghttp3_qpack_nv nv;
    nghttp3_vec a, b;
    uint8_t flags;
    nghttp3_ssize r;
    char v[32];

    if (nghttp3_qpack_decoder_new(&dec, 0, 0, nghttp3_mem_default()) != 0 ||
        nghttp3_qpack_stream_context_new(&sc, 0, nghttp3_mem_default()) != 0)
        abort();
    for (;;) {
        r = nghttp3_qpack_decoder_read_request(dec, sc, &nv, &flags, p, n, 1);
        if (r < 0)
            break;
        p += r;
        n -= (size_t)r;
        if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
            a = nghttp3_rcbuf_get_buf(nv.name);
            b = nghttp3_rcbuf_get_buf(nv.value);
            snprintf(v, sizeof(v), "%.*s", (int)b.len, (const char *)b.base);
            if (a.len == 7 && memcmp(a.base, ":status", 7) == 0)
                *status = atoi(v);
            if (a.len == 14 && memcmp(a.base, "content-length", 14) == 0)
                *clen = atol(v);
            if (a.len == 12 && memcmp(a.base, "content-type", 12) == 0)
                snprintf(type, 32, "%s", v);
            nghttp3_rcbuf_decref(nv.name);
            nghttp3_rcbuf_decref(nv.value);
        }
        if ((flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) || r == 0)
            break;
    }
    nghttp3_qpack_stream_context_del(sc);
    nghttp3_qpack_decoder_del(dec);
}

static void run_case(SSL *conn, const char *name)
{
    const char *nv[16] = {":method", "GET",        ":scheme",
                          "https",   ":authority", "localhost",
                          ":path",   "/",          NULL};
    static char big[65536 + 1];
    unsigned char buf[65536];
    struct out req = {0}, resp = {0};
    size_t n, off, u1, u2;
    uint64_t type, len;
    long clen = -1, body = 0;
    char ctype[32] = "-";
    int status = 0, hs = 0, e, plain = strchr(name, ':') != NULL;
    char method[16];
    SSL *s = SSL_new_stream(conn, 0);

    if (s == NULL) {
        printf("%s closed\n", name);
        return;
    }
    if (plain) {
        for (n = 0; name[n] != ':' && n < sizeof(method) - 1; n++)
            method[n] = (char)toupper((unsigned char)name[n]);
        method[n] = '\0';
        nv[1] = method;
        nv[7] = strchr(name, ':') + 1;
    } else if (strcmp(name, "huge") == 0) {
        memset(big, 'a', sizeof(big) - 1);
        nv[8] = "x-huge";
        nv[9] = big;
        nv[10] = NULL;
    } else if (strcmp(name, "nopath") == 0) {
        nv[6] = NULL;
    } else if (strcmp(name, "badpseudo") == 0) {
        nv[8] = ":bogus";
        nv[9] = "1";
        nv[10] = NULL;
    }
    headers(&req, nv);
    if (strcmp(name, "reset") == 0) {
        /* a request cut off mid-frame, then abandoned */
        if (!SSL_write_ex(s, req.p, req.n / 2, &n) ||
            !SSL_stream_reset(s, NULL, 0))
            printf("reset failed\n");
        else
            printf("reset sent\n");
        SSL_free(s);
        free(req.p);
        return;
    }
    if (!SSL_write_ex2(s, req.p, req.n, SSL_WRITE_FLAG_CONCLUDE, &n)) {
        printf("%s closed\n", name);
        goto done;
    }
    while (SSL_read_ex(s, buf, sizeof(buf), &n))
        put(&resp, buf, n);
    e = SSL_get_error(s, 0);
    ERR_clear_error();
    if (e != SSL_ERROR_ZERO_RETURN) {
        printf("%s %s\n", name,
               SSL_get_stream_read_state(s) == SSL_STREAM_STATE_RESET_REMOTE
                   ? "reset"
                   : "closed");
        goto done;
    }
    for (off = 0; off < resp.n; off += u1 + u2 + len) {
        type = rvarint(resp.p + off, resp.n - off, &u1);
        len = u1 ? rvarint(resp.p + off + u1, resp.n - off - u1, &u2) : 0;
        if (u1 == 0 || u2 == 0 || len > resp.n - off - u1 - u2)
            break;
        if (type == 1 && !hs++)
            decode(resp.p + off + u1 + u2, len, &status, &clen, ctype);
        else if (type == 0)
            body += (long)len;
    }
    if (plain)
        printf("%s %d %ld %ld %s\n", name, status, clen, body, ctype);
    else
        printf("%s status %d\n", name, status);
done:
    fflush(stdout);
    free(req.p);
    free(resp.p);
    SSL_free(s);
}

int main(int argc, char **argv)
{
    static const unsigned char alpn[] = {2, 'h', '3'};
    struct sockaddr_in sa;
    BIO_ADDR *peer = BIO_ADDR_new();
    SSL_CTX *ctx = SSL_CTX_new(OSSL_QUIC_client_method());
    SSL *conn = ctx != NULL ? SSL_new(ctx) : NULL;
    int fd = socket(AF_INET, SOCK_DGRAM, 0), i;

    if (argc < 3 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: h3_probe PORT CASE...\n");
        return 2;
    }
    alarm(120); /* a server that never answers fails the test, not hangs it */
    memset(&sa, 0, sizeof(sa));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (conn == NULL || peer == NULL || fd < 0 ||
        !BIO_ADDR_rawmake(peer, AF_INET, &sa.sin_addr, 4,
                          htons((unsigned short)atoi(argv[1]))) ||
        SSL_set_alpn_protos(conn, alpn, sizeof(alpn)) != 0 ||
        !SSL_set_tlsext_host_name(conn, "localhost") || !SSL_set_fd(conn, fd) ||
        !SSL_set1_initial_peer_addr(conn, peer) ||
        !SSL_set_default_stream_mode(conn, SSL_DEFAULT_STREAM_MODE_NONE) ||
        !SSL_set_incoming_stream_policy(conn, SSL_INCOMING_STREAM_POLICY_ACCEPT,
                                        0) ||
        SSL_connect(conn) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    for (i = 2; i < argc; i++)
        run_case(conn, argv[i]);
    SSL_shutdown(conn);
    SSL_free(conn);
    SSL_CTX_free(ctx);
    BIO_ADDR_free(peer);
    close(fd);
    return 0;
}
