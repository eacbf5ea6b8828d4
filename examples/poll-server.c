/* SPDX-License-Identifier: Apache-2.0 */
/*
 * poll-server: a non-blocking, single-threaded QUIC echo server driven by
 * SSL_poll, written against OpenSSL 3.5's QUIC API (see echo-server.c for
 * how it builds on OpenSSL 3.0).
 *
 *   poll-server [-p PORT] [--port-file F] CERT KEY
 *
 * Any number of connections, each with any number of bidirectional streams:
 * each stream is read to its end, sent back and concluded.  ALPN "echo".
 * PORT 0: any free port; --port-file F: the port, once listening, in F.
 * SIGTERM or SIGINT: exit 0.  The listener, every connection and every
 * stream are one object each in a table; each round asks SSL_poll about all
 * of them at once, then moves each ready one as far as it goes unblocked.
 */
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

/* "echo", and "sslq-echo": sslquic's conformance clients speak the same. */
static const unsigned char alpn[] = {4, 'e', 'c', 'h', 'o',
                                     9, 's', 's', 'l', 'q', '-',
                                     'e', 'c', 'h', 'o'};

enum kind { LISTENER, CONN, STREAM };

struct obj {
    enum kind kind;
    SSL *ssl;               /* NULL once freed; dropped after the round */
    SSL *conn;              /* a stream's connection */
    unsigned char *buf;     /* a stream's bytes, kept until its end */
    size_t len, cap, sent;
    int echoing;            /* the peer's FIN arrived: now sending back */
};

static struct obj *objs;
static size_t nobjs, capobjs;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = sig;
}

static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    return SSL_select_next_proto((unsigned char **)out, outlen, alpn,
                                 sizeof(alpn), in, inlen) ==
                   OPENSSL_NPN_NEGOTIATED ? SSL_TLSEXT_ERR_OK
                                          : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int add(enum kind kind, SSL *ssl, SSL *conn)
{
    size_t cap = nobjs < capobjs ? capobjs : 2 * capobjs + 64;
    struct obj *p = realloc(objs, cap * sizeof(*p));

    if (p == NULL)
        return 0;
    objs = p;
    capobjs = cap;
    objs[nobjs++] = (struct obj){.kind = kind, .ssl = ssl, .conn = conn};
    return 1;
}

static void drop(struct obj *o)
{
    SSL_free(o->ssl);
    free(o->buf);
    o->ssl = NULL;
    o->buf = NULL;
}

static void accept_conns(SSL *listener)
{
    SSL *conn;

    while ((conn = SSL_accept_connection(listener,
                                         SSL_ACCEPT_CONNECTION_NO_BLOCK))) {
        /* No default stream: each client stream is SSL_accept_stream's. */
        if (!SSL_set_default_stream_mode(conn, SSL_DEFAULT_STREAM_MODE_NONE) ||
            !SSL_set_incoming_stream_policy(
                conn, SSL_INCOMING_STREAM_POLICY_ACCEPT, 0) ||
            !add(CONN, conn, NULL))
            SSL_free(conn);
    }
    ERR_clear_error(); /* an empty queue is not an error */
}

static void accept_streams(SSL *conn)
{
    SSL *s;

    while ((s = SSL_accept_stream(conn, SSL_ACCEPT_STREAM_NO_BLOCK))) {
        /* Writes take what the buffer has room for, not all or nothing. */
        SSL_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE);
        /* A unidirectional stream cannot be echoed on: refuse it. */
        if (SSL_get_stream_type(s) != SSL_STREAM_TYPE_BIDI ||
            !add(STREAM, s, conn))
            SSL_free(s);
    }
    ERR_clear_error();
}

/* Reads a stream to its end, then echoes it; done or failed: freed. */
static void serve_stream(struct obj *o)
{
    size_t n;
    int e;

    while (!o->echoing) {
        if (o->cap - o->len < 65536) {
            unsigned char *p = realloc(o->buf, o->cap = o->cap ? 2 * o->cap
                                                               : 65536 * 4);
            if (p == NULL)
                goto done;
            o->buf = p;
        }
        if (SSL_read_ex(o->ssl, o->buf + o->len, o->cap - o->len, &n)) {
            o->len += n;
            continue;
        }
        e = SSL_get_error(o->ssl, 0);
        if (e == SSL_ERROR_WANT_READ)
            return; /* more will come: SSL_poll says when */
        if (e != SSL_ERROR_ZERO_RETURN)
            goto done; /* reset by the peer, or the connection failed */
        o->echoing = 1; /* the FIN: now send it all back */
    }
    while (o->sent < o->len) {
        if (!SSL_write_ex(o->ssl, o->buf + o->sent, o->len - o->sent, &n)) {
            if (SSL_get_error(o->ssl, 0) == SSL_ERROR_WANT_WRITE)
                return;
            goto done;
        }
        o->sent += n;
    }
    /* Freeing a concluded stream does not cut it short: sslquic and OpenSSL
     * both finish delivering what was written. */
    SSL_stream_conclude(o->ssl, 0);
done:
    ERR_clear_error();
    drop(o);
}

/* The connection is ending: free it and every stream still open on it. */
static void close_conn(struct obj *c)
{
    for (size_t i = 0; i < nobjs; i++)
        if (objs[i].ssl != NULL && objs[i].conn == c->ssl)
            drop(&objs[i]);
    drop(c);
}

/* Says where the server listens: on stdout, and in F if asked (written to
 * F.tmp, then renamed, so that a reader never sees half of it). */
static int announce(int port, const char *name)
{
    char tmp[4096];
    FILE *f;

    printf("poll-server: listening on UDP port %d\n", port);
    fflush(stdout);
    if (name == NULL)
        return 1;
    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    if ((f = fopen(tmp, "w")) == NULL)
        return 0;
    fprintf(f, "%d\n", port);
    return fclose(f) == 0 && rename(tmp, name) == 0;
}

int main(int argc, char **argv)
{
    const char *port_file = NULL;
    int port = 4433, fd, i, rc = 0;
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
    socklen_t salen = sizeof(sa);
    SSL_POLL_ITEM *items = NULL;
    SSL_CTX *ctx;
    SSL *listener;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
            port_file = argv[++i];
        else
            break;
    }
    if (argc - i != 2 || port < 0 || port > 65535) {
        fprintf(stderr, "usage: poll-server [-p PORT] [--port-file F] CERT KEY\n");
        return 2;
    }

    ctx = SSL_CTX_new(OSSL_QUIC_server_method());
    if (ctx == NULL ||
        SSL_CTX_use_certificate_chain_file(ctx, argv[i]) <= 0 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[i + 1], SSL_FILETYPE_PEM) <= 0) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);

    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    sa.sin6_port = htons((unsigned short)port);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
        perror("bind");
        return 1;
    }
    listener = SSL_new_listener(ctx, 0);
    if (listener == NULL || !SSL_set_fd(listener, fd) ||
        !SSL_set_blocking_mode(listener, 0) || !SSL_listen(listener) ||
        !add(LISTENER, listener, NULL)) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    if (!announce(ntohs(sa.sin6_port), port_file)) {
        perror(port_file);
        return 1;
    }

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    while (!stop) {
        /* A signal does not cut SSL_poll short: wake each second to look. */
        struct timeval tick = {1, 0};
        size_t n = nobjs, ready;
        void *p = realloc(items, n * sizeof(*items));

        if (p == NULL) {
            rc = 1;
            break;
        }
        items = p;
        /* The listener waits for connections, a connection for streams or
         * its end, a stream for data (or reset), then room (or STOP). */
        for (size_t k = 0; k < n; k++) {
            items[k].desc = SSL_as_poll_descriptor(objs[k].ssl);
            items[k].events =
                objs[k].kind == LISTENER ? SSL_POLL_EVENT_IC | SSL_POLL_EVENT_EL
                : objs[k].kind == CONN   ? SSL_POLL_EVENT_IS | SSL_POLL_EVENT_EC |
                                             SSL_POLL_EVENT_ECD
                : objs[k].echoing        ? SSL_POLL_EVENT_WE
                                         : SSL_POLL_EVENT_RE;
            items[k].revents = 0;
        }
        if (!SSL_poll(items, n, sizeof(*items), &tick, 0, &ready)) {
            ERR_print_errors_fp(stderr);
            rc = 1;
            break;
        }
        /* New objects go to the end of the table and wait for the next
         * round; freed ones stay in place, NULL, until the round is over. */
        for (size_t k = 0; k < n; k++) {
            uint64_t ev = items[k].revents;

            if (ev == 0 || objs[k].ssl == NULL)
                continue;
            if (objs[k].kind == LISTENER && (ev & SSL_POLL_EVENT_EL))
                stop = rc = 1; /* the socket failed */
            else if (objs[k].kind == LISTENER)
                accept_conns(objs[k].ssl);
            else if (objs[k].kind == CONN &&
                     (ev & (SSL_POLL_EVENT_EC | SSL_POLL_EVENT_ECD)))
                close_conn(&objs[k]);
            else if (objs[k].kind == CONN)
                accept_streams(objs[k].ssl);
            else
                serve_stream(&objs[k]);
        }
        for (size_t k = 0; k < nobjs; k++)
            if (objs[k].ssl == NULL)
                objs[k--] = objs[--nobjs];
    }

    for (size_t k = 0; k < nobjs; k++)
        if (objs[k].kind == CONN && objs[k].ssl != NULL)
            close_conn(&objs[k]); /* its streams first, then itself */
    SSL_free(listener);
    free(objs);
    free(items);
    SSL_CTX_free(ctx);
    close(fd);
    printf("poll-server: stopped\n");
    return rc;
}
