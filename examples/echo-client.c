/* SPDX-License-Identifier: Apache-2.0 */
/*
 * echo-client: a blocking QUIC client written against OpenSSL 3.5's QUIC
 * API (see echo-server.c for how it builds on OpenSSL 3.0).
 *
 *   echo-client [--cafile F | --insecure] [-b BYTES] HOST PORT
 *
 * Sends BYTES bytes of a known pattern (default 1 MiB) on one stream,
 * reads the echo back to its end and checks every byte.  Exit 0 on a
 * perfect echo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/quic.h>
#include <openssl/ssl.h>

static const unsigned char alpn[] = {4, 'e', 'c', 'h', 'o'};

static int usage(void)
{
    fprintf(stderr, "usage: echo-client [--cafile F | --insecure] "
                    "[-b BYTES] HOST PORT\n");
    return 2;
}

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 31 + (i >> 12));
}

/* A UDP socket connected to HOST:PORT, and the peer address for QUIC. */
static int udp_connect(const char *host, const char *port, BIO_ADDR **peer)
{
    struct addrinfo hints, *res, *ai;
    int fd = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_DGRAM, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
        if (fd >= 0) {
            const void *ip = ai->ai_family == AF_INET
                                 ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                                 : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
            unsigned short p = ai->ai_family == AF_INET
                                   ? ((struct sockaddr_in *)ai->ai_addr)->sin_port
                                   : ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port;

            *peer = BIO_ADDR_new();
            BIO_ADDR_rawmake(*peer, ai->ai_family, ip,
                             ai->ai_family == AF_INET ? 4 : 16, p);
        }
    }
    freeaddrinfo(res);
    return fd;
}

int main(int argc, char **argv)
{
    const char *cafile = NULL;
    int insecure = 0, fd, i, ok = 1;
    size_t bytes = 1 << 20, sent = 0, got = 0, n;
    unsigned char *buf = malloc(65536);
    BIO_ADDR *peer = NULL;
    struct timespec t0, t1;
    SSL_CTX *ctx;
    SSL *ssl;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--cafile") == 0 && i + 1 < argc)
            cafile = argv[++i];
        else if (strcmp(argv[i], "--insecure") == 0)
            insecure = 1;
        else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
            bytes = strtoull(argv[++i], NULL, 10);
        else
            return usage();
    }
    if (argc - i != 2 || (cafile == NULL && !insecure))
        return usage();

    ctx = SSL_CTX_new(OSSL_QUIC_client_method());
    if (ctx == NULL || (cafile && !SSL_CTX_load_verify_locations(ctx, cafile, NULL))) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    SSL_CTX_set_verify(ctx, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    fd = udp_connect(argv[i], argv[i + 1], &peer);
    if (fd < 0) {
        fprintf(stderr, "echo-client: cannot reach %s:%s\n", argv[i], argv[i + 1]);
        return 1;
    }
    ssl = SSL_new(ctx);
    if (ssl == NULL || !SSL_set_fd(ssl, fd) ||
        !SSL_set1_initial_peer_addr(ssl, peer) ||
        SSL_set_alpn_protos(ssl, alpn, sizeof(alpn)) != 0 ||
        !SSL_set_tlsext_host_name(ssl, argv[i]) || !SSL_set1_host(ssl, argv[i])) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (SSL_connect(ssl) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    while (sent < bytes) {
        size_t chunk = bytes - sent < 65536 ? bytes - sent : 65536, w;

        for (size_t k = 0; k < chunk; k++)
            buf[k] = pattern(sent + k);
        if (!SSL_write_ex2(ssl, buf, chunk,
                           sent + chunk == bytes ? SSL_WRITE_FLAG_CONCLUDE : 0, &w)) {
            ERR_print_errors_fp(stderr);
            return 1;
        }
        sent += w;
    }
    if (bytes == 0 && !SSL_stream_conclude(ssl, 0))
        return 1;
    while (SSL_read_ex(ssl, buf, 65536, &n)) {
        for (size_t k = 0; k < n; k++)
            if (buf[k] != pattern(got + k))
                ok = 0;
        got += n;
    }
    if (SSL_get_error(ssl, 0) != SSL_ERROR_ZERO_RETURN)
        ok = 0;
    SSL_shutdown(ssl);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("echo-client: %s %zu bytes sent, %zu echoed %s in %.3f s (%s, %s)\n",
           ok && got == bytes ? "OK" : "FAILED", sent, got,
           ok ? "intact" : "CORRUPT",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           SSL_get_version(ssl), SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    BIO_ADDR_free(peer);
    close(fd);
    free(buf);
    return ok && got == bytes ? 0 : 1;
}
