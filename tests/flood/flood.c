/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flood: genuine client Initials (a real ClientHello from libssl through
 * sslquic's client layers) aimed at one server, each sent from a fresh
 * source address in 127.0.0.0/8 that never answers — what a server sees
 * when someone floods it with spoofed source addresses.
 *
 *   flood --port P [--seconds T] [--sources N] [--rate R] [--alpn NAME]
 *
 * Sources cycle through N addresses 127.x.y.z (z never 0 or 255); each
 * Initial comes from a new socket, closed right after, so replies are lost.
 * --rate caps Initials per second (0: as fast as one core makes them).
 * --alpn sets the protocol offered (default "sslq-echo", the conformance
 * programs'; "h3" for an HTTP/3 server).
 * Prints one line: initials, datagrams and bytes sent.  Exit 0, or 2 on a
 * usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "port.h"
#include "tls_shim.h"

#define SEC 1000000000ULL

static unsigned char alpn[256] = {9,   's', 's', 'l', 'q',
                                  '-', 'e', 'c', 'h', 'o'};
static size_t alpnlen = 10;

static int usage(void)
{
    fprintf(stderr, "usage: flood --port P [--seconds T] [--sources N] "
                    "[--rate R] [--alpn NAME]\n");
    return 2;
}

static int parse(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && *out <= max;
}

/* The i-th of the source addresses: 127.a.b.c with c in 1..254. */
static void source_addr(struct sockaddr_in *a, unsigned long i)
{
    unsigned long c = 1 + i % 254, b = (i / 254) % 256, x = 1 + (i / 65024) % 254;

    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl((127u << 24) | ((unsigned)x << 16) |
                               ((unsigned)b << 8) | (unsigned)c);
}

/* One Initial flight from |src| to |dst|; adds what was sent to |st|.
 * 0, or -1 if the source could not be used. */
static int one_initial(SSL_CTX *ctx, const struct sockaddr_in *src,
                       const struct sockaddr_in *dst, sslq_port_stats *st)
{
    sslq_port_config cfg;
    sslq_port_stats s;
    sslq_port *port = NULL;
    sslq_udp *udp = NULL;
    sslq_conn *conn = NULL;
    SSL *ssl = NULL;
    int fd, rv = -1;

    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (const struct sockaddr *)src, sizeof(*src)) != 0 ||
        sslq_udp_new_fd(&udp, fd, SSLQ_UDP_OWN_FD) != 0) {
        close(fd);
        return -1;
    }
    sslq_port_config_default(&cfg);
    if (sslq_port_new(&port, udp, &cfg, NULL, NULL) != 0)
        return -1; /* the port took the endpoint, even on failure */
    ssl = SSL_new(ctx);
    if (ssl == NULL)
        goto out;
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set_alpn_protos(ssl, alpn, (unsigned)alpnlen);
    if (sslq_port_connect(port, ssl, (const struct sockaddr *)dst,
                          sizeof(*dst), &conn, sslq_now()) != 0)
        goto out;
    sslq_port_tick(port, sslq_now());
    sslq_port_get_stats(port, &s);
    st->tx_dgrams += s.tx_dgrams;
    rv = 0;
out:
    sslq_port_free(port);
    SSL_free(ssl);
    return rv;
}

int main(int argc, char **argv)
{
    unsigned long port = 0, seconds = 5, sources = 1000, rate = 0, i;
    struct sockaddr_in dst, src;
    sslq_port_stats st;
    uint64_t start, deadline, now;
    unsigned long sent = 0, failed = 0;
    SSL_CTX *ctx;

    for (int a = 1; a < argc; a++) {
        unsigned long *v = NULL, max = 0;

        if (strcmp(argv[a], "--alpn") == 0) {
            size_t len = a + 1 < argc ? strlen(argv[a + 1]) : 0;

            if (len == 0 || len > 255)
                return usage();
            alpn[0] = (unsigned char)len;
            memcpy(alpn + 1, argv[++a], len);
            alpnlen = len + 1;
            continue;
        }
        if (strcmp(argv[a], "--port") == 0)
            v = &port, max = 65535;
        else if (strcmp(argv[a], "--seconds") == 0)
            v = &seconds, max = 3600;
        else if (strcmp(argv[a], "--sources") == 0)
            v = &sources, max = 254ul * 256 * 254;
        else if (strcmp(argv[a], "--rate") == 0)
            v = &rate, max = 1000000;
        if (v == NULL || a + 1 >= argc || !parse(argv[++a], max, v))
            return usage();
    }
    if (port == 0 || sources == 0)
        return usage();

    memset(&dst, 0, sizeof(dst));
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || sslq_tls_ctx_prepare(ctx) != 0) {
        fprintf(stderr, "flood: no client context\n");
        return 1;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);

    memset(&st, 0, sizeof(st));
    start = sslq_now();
    deadline = start + seconds * SEC;
    for (i = 0; (now = sslq_now()) < deadline; i++) {
        if (rate > 0 && sent * SEC > (now - start) * rate) {
            struct timespec ts = {0, 200000};

            nanosleep(&ts, NULL);
            continue;
        }
        source_addr(&src, i % sources);
        if (one_initial(ctx, &src, &dst, &st) == 0)
            sent++;
        else
            failed++;
    }
    printf("flood: initials=%lu datagrams=%llu failed=%lu sources=%lu "
           "seconds=%lu\n",
           sent, (unsigned long long)st.tx_dgrams, failed,
           sources < sent ? sources : sent, seconds);
    SSL_CTX_free(ctx);
    return 0;
}
