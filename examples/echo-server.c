/* SPDX-License-Identifier: Apache-2.0 */
/*
 * echo-server: a blocking QUIC echo server written against OpenSSL 3.5's
 * QUIC API.  Built with `pkg-config --cflags --libs sslquic-compat` it runs
 * on OpenSSL 3.0; built plainly it runs on OpenSSL 3.5.
 *
 *   echo-server [-p PORT] [-n COUNT] [--no-validate] CERT KEY
 *
 * Serves connections one at a time: reads the client's stream to its end,
 * sends it all back, and closes.  ALPN "echo".  Stops after COUNT connections
 * (default: never).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/quic.h>
#include <openssl/ssl.h>

static const unsigned char alpn[] = {4, 'e', 'c', 'h', 'o'};

static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    if (SSL_select_next_proto((unsigned char **)out, outlen, alpn,
                              sizeof(alpn), in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

static int usage(void)
{
    fprintf(stderr, "usage: echo-server [-p PORT] [-n COUNT] [--no-validate]"
                    " CERT KEY\n");
    return 2;
}

/* Reads the default stream to its end, then writes every byte back.  (Not
 * echoing while reading: a client that sends everything before reading
 * would otherwise fill both directions' buffers and wait for ever.) */
static long echo(SSL *conn)
{
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, n, w;
    long total = -1;

    for (;;) {
        if (cap - len < 65536) {
            unsigned char *p = realloc(buf, cap = cap ? cap * 2 : 1 << 20);

            if (p == NULL)
                goto out;
            buf = p;
        }
        if (!SSL_read_ex(conn, buf + len, cap - len, &n))
            break;
        len += n;
    }
    if (SSL_get_error(conn, 0) != SSL_ERROR_ZERO_RETURN)
        goto out;
    if (!SSL_write_ex2(conn, buf, len, SSL_WRITE_FLAG_CONCLUDE, &w) || w != len)
        goto out;
    total = (long)len;
out:
    free(buf);
    return total;
}

int main(int argc, char **argv)
{
    int port = 4433, count = -1, flags = 0, fd, i, served = 0;
    struct sockaddr_in6 sa;
    SSL_CTX *ctx;
    SSL *listener;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            count = atoi(argv[++i]);
        else if (strcmp(argv[i], "--no-validate") == 0)
            flags = 1;
        else
            return usage();
    }
    if (argc - i != 2 || port <= 0 || port > 65535)
        return usage();

    ctx = SSL_CTX_new(OSSL_QUIC_server_method());
    if (ctx == NULL ||
        SSL_CTX_use_certificate_chain_file(ctx, argv[i]) <= 0 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[i + 1], SSL_FILETYPE_PEM) <= 0) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);

    /* One UDP socket for the listener, on every address (IPv6 and IPv4). */
    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons((unsigned short)port);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("bind");
        return 1;
    }
    listener = SSL_new_listener(ctx, flags ? SSL_LISTENER_FLAG_NO_VALIDATE : 0);
    if (listener == NULL || !SSL_set_fd(listener, fd) || !SSL_listen(listener)) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    printf("echo-server: listening on UDP port %d\n", port);
    fflush(stdout);

    while (count < 0 || served < count) {
        SSL *conn = SSL_accept_connection(listener, 0);
        long n;

        if (conn == NULL) {
            ERR_print_errors_fp(stderr);
            break;
        }
        n = echo(conn);
        if (n >= 0)
            printf("echo-server: echoed %ld bytes\n", n);
        else
            ERR_print_errors_fp(stderr);
        fflush(stdout);
        SSL_shutdown(conn);
        SSL_free(conn);
        served++;
    }
    SSL_free(listener);
    SSL_CTX_free(ctx);
    close(fd);
    return served == count ? 0 : 1;
}
