/* SPDX-License-Identifier: Apache-2.0 */
/*
 * threaded-server: a blocking QUIC echo server with one thread per
 * connection, written against OpenSSL 3.5's QUIC API (see echo-server.c for
 * how it builds on OpenSSL 3.0).
 *
 *   threaded-server [-p PORT] [--port-file F] CERT KEY
 *
 * The main thread accepts connections; each one is handed to a thread of
 * its own that reads the client's stream to its end, sends it all back and
 * closes, all in blocking calls.  ALPN "echo".  PORT 0 picks a free port;
 * --port-file writes the bound port to F once the server listens.  SIGTERM
 * or SIGINT: stop accepting, let the connections finish, exit 0.
 */
#include <pthread.h>
#include <signal.h>
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

static volatile sig_atomic_t stop;

/* Connection threads still running; main waits for none before exiting. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static int running;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

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

/* Reads the default stream to its end, then writes every byte back (as
 * echo-server.c does, and for the same reason: a client that sends all
 * before reading would otherwise wait for ever). */
static long echo(SSL *conn)
{
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, n, w;
    long total = -1;

    for (;;) {
        if (cap - len < 65536) {
            unsigned char *p = realloc(buf, cap = cap ? cap * 2 : 1 << 16);

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

/* One connection, start to end, in its own thread.  Several threads may
 * use connections of the same listener at once. */
static void *serve(void *arg)
{
    SSL *conn = arg;
    long n = echo(conn);

    if (n >= 0)
        printf("threaded-server: echoed %ld bytes\n", n);
    else
        ERR_print_errors_fp(stderr);
    fflush(stdout);
    SSL_shutdown(conn);
    SSL_free(conn);
    ERR_clear_error(); /* the error queue is per thread */
    pthread_mutex_lock(&lock);
    if (--running == 0)
        pthread_cond_signal(&idle);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Writes the port to F.tmp, then renames: a reader never sees half of it. */
static int write_port_file(const char *name, int port)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    if ((f = fopen(tmp, "w")) == NULL)
        return 0;
    fprintf(f, "%d\n", port);
    return fclose(f) == 0 && rename(tmp, name) == 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: threaded-server [-p PORT] [--port-file F] CERT KEY\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *port_file = NULL;
    int port = 4433, fd, i, rc = 0;
    struct sockaddr_in6 sa;
    socklen_t salen = sizeof(sa);
    pthread_attr_t attr;
    SSL_CTX *ctx;
    SSL *listener;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
            port_file = argv[++i];
        else
            return usage();
    }
    if (argc - i != 2 || port < 0 || port > 65535)
        return usage();

    ctx = SSL_CTX_new(OSSL_QUIC_server_method());
    if (ctx == NULL ||
        SSL_CTX_use_certificate_chain_file(ctx, argv[i]) <= 0 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[i + 1], SSL_FILETYPE_PEM) <= 0) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);

    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons((unsigned short)port);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
        perror("bind");
        return 1;
    }
    listener = SSL_new_listener(ctx, 0);
    if (listener == NULL || !SSL_set_fd(listener, fd) || !SSL_listen(listener)) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    port = ntohs(sa.sin6_port);
    printf("threaded-server: listening on UDP port %d\n", port);
    fflush(stdout);
    if (port_file != NULL && !write_port_file(port_file, port)) {
        perror(port_file);
        return 1;
    }

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

    while (!stop) {
        /* SSL_accept_connection blocks through signals; SSL_poll on the
         * listener waits at most a second, so SIGTERM is seen in time. */
        SSL_POLL_ITEM item = {SSL_as_poll_descriptor(listener),
                              SSL_POLL_EVENT_IC, 0};
        struct timeval tick = {1, 0};
        size_t ready;
        pthread_t t;
        SSL *conn;

        if (!SSL_poll(&item, 1, sizeof(item), &tick, 0, &ready)) {
            ERR_print_errors_fp(stderr);
            rc = 1;
            break;
        }
        if (ready == 0)
            continue;
        /* A connection is waiting: this blocking call returns at once. */
        if ((conn = SSL_accept_connection(listener, 0)) == NULL) {
            ERR_print_errors_fp(stderr);
            continue;
        }
        pthread_mutex_lock(&lock);
        running++;
        pthread_mutex_unlock(&lock);
        if (pthread_create(&t, &attr, serve, conn) != 0) {
            fprintf(stderr, "threaded-server: no thread for a connection\n");
            SSL_free(conn);
            pthread_mutex_lock(&lock);
            running--;
            pthread_mutex_unlock(&lock);
        }
    }

    /* Connections in progress end on their own; wait for the last one. */
    pthread_mutex_lock(&lock);
    while (running > 0)
        pthread_cond_wait(&idle, &lock);
    pthread_mutex_unlock(&lock);
    pthread_attr_destroy(&attr);
    SSL_free(listener);
    SSL_CTX_free(ctx);
    close(fd);
    printf("threaded-server: stopped\n");
    return rc;
}
