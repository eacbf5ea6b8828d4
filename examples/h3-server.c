/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-server: a static-file HTTP/3 server on nghttp3, written against
 * OpenSSL 3.5's QUIC API: non-blocking, one thread, everything driven by
 * SSL_poll over the listener, the connections and their streams.
 *
 *   h3-server [-a ADDR] [-p PORT] [--port-file F] [--retry]
 *             [--ciphersuites LIST] [--max-conns N] CERT KEY DOCROOT
 *
 * This file is the QUIC side: the listener, the connections and the poll
 * loop.  What a request gets back (GET and HEAD of the files under
 * DOCROOT, bodies streamed in bounded chunks, one log line per request)
 * is the HTTP side, in h3-files.c.  SIGTERM or SIGINT stops it cleanly.
 */
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/quic.h>

#include "h3-files.h"

#define MAX_REQS 128 /* concurrent request streams per connection */

static volatile sig_atomic_t stop;
static unsigned long served;
static struct h3_conn *conns; /* a list through next */

static void on_signal(int sig)
{
    stop = sig;
}

static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    return SSL_select_next_proto((unsigned char **)out, outlen,
                                 (const unsigned char *)H3_ALPN, 3, in,
                                 inlen) == OPENSSL_NPN_NEGOTIATED
               ? SSL_TLSEXT_ERR_OK
               : SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Frees a connection taken off the list, with its streams and requests. */
static void free_conn(struct h3_conn *c)
{
    h3_reap(c, 1);
    SSL_free(c->ssl);
    free(c);
}

/* Takes a new connection into the list; 1, or 0 if refused. */
static int new_conn(SSL *ssl)
{
    struct h3_conn *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        SSL_free(ssl);
        return 0;
    }
    c->new_app = h3_files_new_req;
    c->free_app = h3_files_end_req;
    c->next = conns;
    conns = c;
    c->ssl = ssl;
    if (!SSL_set_incoming_stream_policy(ssl, SSL_INCOMING_STREAM_POLICY_ACCEPT,
                                        0) ||
        !SSL_set_default_stream_mode(ssl, SSL_DEFAULT_STREAM_MODE_NONE))
        c->failed = 1; /* serve() closes it */
    served++;
    printf("h3-server: connection accepted\n");
    fflush(stdout);
    return 1;
}

/* Handles one connection's reports; 1 once it can be freed. */
static int serve(struct h3_conn *c)
{
    SSL_SHUTDOWN_EX_ARGS args = {0, NULL};
    uint64_t rev = c->rev;
    int r;

    c->rev = 0;
    if (!c->closing) {
        /* OpenSSL 3.5 may hand over a connection still in its handshake,
         * before the client allows any stream: HTTP/3 starts after it */
        if (c->h3 == NULL && !c->failed && SSL_do_handshake(c->ssl) == 1) {
            c->failed = h3_conn_init(c, c->ssl, 1, &h3_files_callbacks) != 0;
            rev |= SSL_POLL_EVENT_IS;
        }
        ERR_clear_error();
        if ((rev & SSL_POLL_EVENT_IS) && c->h3 != NULL && !c->failed)
            h3_accept(c, MAX_REQS);
        if (c->h3 != NULL && !c->failed)
            (void)h3_step(c);
        h3_reap(c, 0);
        if (c->failed) { /* an HTTP/3 error: close at once */
            args.quic_error_code = c->err;
            (void)SSL_shutdown_ex(c->ssl, SSL_SHUTDOWN_FLAG_RAPID, &args,
                                  sizeof(args));
            ERR_clear_error();
            return 1;
        }
        if (!(rev & (SSL_POLL_EVENT_EC | SSL_POLL_EVENT_ECD)))
            return 0;
        c->closing = 1;
    }
    r = SSL_shutdown_ex(c->ssl, SSL_SHUTDOWN_FLAG_WAIT_PEER, NULL, 0);
    if (r < 0 && ((r = SSL_get_error(c->ssl, r)) == SSL_ERROR_WANT_READ ||
                  r == SSL_ERROR_WANT_WRITE))
        return 0;
    ERR_clear_error();
    return 1;
}

/* Serves until a signal; 0, or -1 if polling failed. */
static int serve_all(SSL *lst, size_t maxconns)
{
    const uint64_t ev =
        SSL_POLL_EVENT_IS | SSL_POLL_EVENT_EC | SSL_POLL_EVENT_ECD;
    struct h3_poll p = {0};
    struct h3_conn *c, **pp;
    size_t n = 0;
    SSL *ssl;
    int ok = 1;

    while (!stop && ok) {
        p.n = 0;
        ok = h3_poll_add(&p, lst, n < maxconns ? SSL_POLL_EVENT_IC : 0, NULL);
        for (c = conns; c != NULL && ok; c = c->next)
            ok = h3_poll_conn(&p, c, ev);
        if (ok)
            ok = h3_poll_wait(&p, 200);
        if (!ok)
            break;
        /* the listener's report is item 0: new connections, up to the cap */
        while ((p.it[0].it.revents & SSL_POLL_EVENT_IC) && n < maxconns) {
            ssl = SSL_accept_connection(lst, SSL_ACCEPT_CONNECTION_NO_BLOCK);
            if (ssl == NULL)
                break;
            n += new_conn(ssl);
        }
        ERR_clear_error(); /* an empty accept queue is no error */
        /* then every connection's reports; those finished leave the list */
        for (pp = &conns; (c = *pp) != NULL;) {
            if (!serve(c)) {
                pp = &c->next;
                continue;
            }
            *pp = c->next;
            free_conn(c);
            n--;
        }
    }
    free(p.it);
    return ok ? 0 : -1;
}

/* Writes the bound port to path, whole or not at all: a reader polling for
 * the file never sees half of it, as it appears by a rename.  0 or -1. */
static int write_port_file(const char *path, const struct sockaddr_storage *ss)
{
    /* sin_port and sin6_port sit at the same offset */
    int port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
    char tmp[PATH_MAX];
    FILE *f;
    int ok;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((f = fopen(tmp, "w")) == NULL)
        return -1;
    ok = fprintf(f, "%d\n", port) > 0;
    ok = fclose(f) == 0 && ok;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: h3-server [-a ADDR] [-p PORT] [--port-file F]"
                    " [--retry] [--ciphersuites LIST] [--max-conns N]"
                    " CERT KEY DOCROOT\n");
    return 2;
}

static int number(const char *s, long hi, long *out)
{
    char *end;

    *out = strtol(s, &end, 10);
    return end != s && *end == '\0' && *out >= 0 && *out <= hi;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1", *pf = NULL, *suites = NULL, *port = "4433";
    struct addrinfo hints = {.ai_flags =
                                 AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_DGRAM},
                    *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    struct sigaction sa;
    struct h3_conn *c;
    long v, maxconns = 1000;
    int retry = 0, fd = -1, i, rc = 1;
    SSL_CTX *ctx = NULL;
    SSL *lst = NULL;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(argv[i], "-a") == 0 && next != NULL)
            addr = argv[++i];
        else if (strcmp(argv[i], "-p") == 0 && next && number(next, 65535, &v))
            port = argv[++i];
        else if (strcmp(argv[i], "--port-file") == 0 && next != NULL)
            pf = argv[++i];
        else if (strcmp(argv[i], "--retry") == 0)
            retry = 1;
        else if (strcmp(argv[i], "--ciphersuites") == 0 && next != NULL)
            suites = argv[++i];
        else if (strcmp(argv[i], "--max-conns") == 0 && next &&
                 number(next, 1000000, &maxconns) && maxconns > 0)
            i++;
        else
            return usage();
    }
    if (argc - i != 3 || getaddrinfo(addr, port, &hints, &ai) != 0)
        return usage();
    if (h3_files_set_root(argv[i + 2]) != 0) {
        perror(argv[i + 2]);
        goto out;
    }
    ctx = SSL_CTX_new(OSSL_QUIC_server_method());
    if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, argv[i]) <= 0 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[i + 1], SSL_FILETYPE_PEM) <= 0 ||
        (suites != NULL && !SSL_CTX_set_ciphersuites(ctx, suites)))
        goto out;
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    if ((fd = socket(ai->ai_family, SOCK_DGRAM, 0)) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        perror("h3-server: bind");
        goto out;
    }
    /* Retry only on request: the listener validates addresses by default */
    lst = SSL_new_listener(ctx, retry ? 0 : SSL_LISTENER_FLAG_NO_VALIDATE);
    if (lst == NULL || !SSL_set_fd(lst, fd) || !SSL_set_blocking_mode(lst, 0) ||
        !SSL_listen(lst))
        goto out;
    if (pf != NULL && write_port_file(pf, &ss) != 0) {
        perror(pf);
        goto out;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    rc = serve_all(lst, (size_t)maxconns) == 0 ? 0 : 1;
    printf("h3-server: %lu connections, %lu requests\n", served,
           h3_files_requests());
out:
    if (rc != 0)
        ERR_print_errors_fp(stderr);
    while ((c = conns) != NULL) {
        conns = c->next;
        free_conn(c);
    }
    SSL_free(lst);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return rc;
}
