/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-client: fetches URLs over HTTP/3 (nghttp3), all in parallel on one QUIC
 * connection, written against OpenSSL 3.5's QUIC API.
 *
 *   h3-client [--ca FILE | --insecure] [-o DIR] [--sha256]
 *             [--ciphersuites LIST] [--session FILE] [--key-update] [-q]
 *             URL...
 *
 * This file is the QUIC side: a blocking handshake (with SNI, the name
 * check, ALPN and session resumption), then non-blocking streams driven
 * by SSL_poll.  What goes on each request stream and what is done with
 * the response (saving, hashing, the "status" lines) is in h3-fetch.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/quic.h>
#include <openssl/x509v3.h>

#include "h3-fetch.h"

static struct creq *reqs;
static int nreqs;
static const char *sessfile;

static int usage(void)
{
    fprintf(stderr, "usage: h3-client [--ca FILE | --insecure] [-o DIR]"
                    " [--sha256] [--ciphersuites LIST] [--session FILE]"
                    " [--key-update] [-q] URL...\n");
    return 2;
}

/* https://HOST[:PORT][/path] (HOST may be [v6]): host and port into the
 * buffers; returns the path, NULL if malformed. */
static char *split_url(const char *u, char *host, char *port)
{
    const char *h = u + 8, *e, *p;
    size_t n;

    if (strncmp(u, "https://", 8) != 0)
        return NULL;
    if (*h == '[' && (e = strchr(++h, ']')) != NULL)
        p = e + 1;
    else
        p = e = h + strcspn(h, ":/");
    if (e == h || e - h > 255)
        return NULL;
    snprintf(host, 256, "%.*s", (int)(e - h), h);
    strcpy(port, "443");
    if (*p == ':') {
        n = strspn(++p, "0123456789");
        if (n == 0 || n > 5 || atol(p) > 65535 || atol(p) == 0)
            return NULL;
        snprintf(port, 6, "%.*s", (int)n, p);
        p += n;
    }
    if (*p != '\0' && *p != '/')
        return NULL;
    return strdup(*p == '\0' ? "/" : p);
}

static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    FILE *f = fopen(sessfile, "w");

    if (f == NULL || !PEM_write_SSL_SESSION(f, sess))
        fprintf(stderr, "h3-client: cannot save the session\n");
    if (f != NULL)
        fclose(f);
    return 0; /* not kept */
}

/* Runs every request to its end: 0, or -1 if the connection failed. */
static int run(struct h3_conn *c, int keyupdate)
{
    struct h3_poll p = {0};
    time_t last = time(NULL);
    uint64_t seen = 0;
    int k, left, rc = -1;

    for (;;) {
        for (left = 0, k = 0; k < nreqs; k++)
            left += !reqs[k].gone;
        if (left == 0 || c->failed) {
            rc = c->failed ? -1 : 0;
            break;
        }
        /* once, mid-transfer: after the first MiB of response data */
        if (keyupdate && h3_fetch_received() >= 1048576) {
            keyupdate = 0;
            if (!SSL_key_update(c->ssl, SSL_KEY_UPDATE_REQUESTED))
                break;
        }
        p.n = 0;
        if (!h3_poll_conn(&p, c, SSL_POLL_EVENT_IS | SSL_POLL_EVENT_EC) ||
            !h3_poll_wait(&p, 1000))
            break;
        if (c->rev & SSL_POLL_EVENT_EC) {
            fprintf(stderr, "h3-client: the connection closed early\n");
            break;
        }
        if (c->rev & SSL_POLL_EVENT_IS)
            h3_accept(c, 0); /* the server's control and QPACK streams */
        c->rev = 0;
        (void)h3_step(c);
        h3_reap(c, 0);
        if (h3_fetch_received() != seen) {
            seen = h3_fetch_received();
            last = time(NULL);
        } else if (time(NULL) - last > 60) {
            fprintf(stderr, "h3-client: no progress for 60 s\n");
            break;
        }
    }
    free(p.it);
    return rc;
}

/* Builds the connection: SNI, name check, ALPN, session, peer address. */
static SSL *connect_to(SSL_CTX *ctx, const char *host, const char *port,
                       int *fd)
{
    BIO_ADDRINFO *ai = NULL;
    SSL_SESSION *sess = NULL;
    SSL *conn = SSL_new(ctx);
    FILE *f;
    int ok = conn != NULL &&
             BIO_lookup_ex(host, port, BIO_LOOKUP_CLIENT, AF_UNSPEC, SOCK_DGRAM,
                           0, &ai) &&
             (*fd = socket(BIO_ADDRINFO_family(ai), SOCK_DGRAM, 0)) >= 0;

    if (ok && sessfile != NULL && (f = fopen(sessfile, "r")) != NULL) {
        sess = PEM_read_SSL_SESSION(f, NULL, NULL, NULL);
        fclose(f);
        ok = sess == NULL || SSL_set_session(conn, sess);
    }
    ok =
        ok && SSL_set_alpn_protos(conn, (const unsigned char *)H3_ALPN, 3) == 0;
    ok = ok && SSL_set_fd(conn, *fd) &&
         SSL_set1_initial_peer_addr(conn, BIO_ADDRINFO_address(ai));
    ok = ok && SSL_set_default_stream_mode(conn, SSL_DEFAULT_STREAM_MODE_NONE);
    ok = ok && SSL_set_incoming_stream_policy(
                   conn, SSL_INCOMING_STREAM_POLICY_ACCEPT, 0);
    /* an address is checked as one; a name goes in SNI and is checked */
    if (ok && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(conn), host) != 1)
        ok = SSL_set_tlsext_host_name(conn, host) && SSL_set1_host(conn, host);
    ok = ok && SSL_connect(conn) == 1;
    SSL_SESSION_free(sess);
    BIO_ADDRINFO_free(ai);
    if (!ok) {
        fprintf(stderr, "h3-client: cannot connect to %s port %s\n", host,
                port);
        SSL_free(conn);
        return NULL;
    }
    return conn;
}

int main(int argc, char **argv)
{
    const char *ca = NULL, *dir = NULL, *suites = NULL;
    int insecure = 0, sha = 0, keyupdate = 0, quiet = 0, fd = -1, i, k;
    int rc = 1;
    char host[256], port[8], h0[256], p0[8], auth[300];
    struct h3_conn c = {0};
    SSL_CTX *ctx = NULL;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(argv[i], "--ca") == 0 && next != NULL)
            ca = argv[++i];
        else if (strcmp(argv[i], "--insecure") == 0)
            insecure = 1;
        else if (strcmp(argv[i], "-o") == 0 && next != NULL)
            dir = argv[++i];
        else if (strcmp(argv[i], "--sha256") == 0)
            sha = 1;
        else if (strcmp(argv[i], "--ciphersuites") == 0 && next != NULL)
            suites = argv[++i];
        else if (strcmp(argv[i], "--session") == 0 && next != NULL)
            sessfile = argv[++i];
        else if (strcmp(argv[i], "--key-update") == 0)
            keyupdate = 1;
        else if (strcmp(argv[i], "-q") == 0)
            quiet = 1;
        else
            return usage();
    }
    if (i >= argc || (ca != NULL && insecure) ||
        (reqs = calloc((size_t)(argc - i), sizeof(*reqs))) == NULL)
        return usage();
    for (; i < argc; i++, nreqs++) { /* one host:port for all */
        reqs[nreqs].clen = -1;
        if ((reqs[nreqs].path = split_url(argv[i], host, port)) == NULL ||
            (nreqs > 0 && (strcmp(host, h0) != 0 || strcmp(port, p0) != 0))) {
            for (k = 0; k <= nreqs; k++)
                free(reqs[k].path);
            free(reqs);
            return usage();
        }
        strcpy(h0, host);
        strcpy(p0, port);
    }
    snprintf(auth, sizeof(auth), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
             port);

    ctx = SSL_CTX_new(OSSL_QUIC_client_method());
    if (ctx == NULL ||
        (suites != NULL && !SSL_CTX_set_ciphersuites(ctx, suites)) ||
        (ca != NULL && !SSL_CTX_load_verify_locations(ctx, ca, NULL)) ||
        (ca == NULL && !insecure && !SSL_CTX_set_default_verify_paths(ctx)))
        goto out;
    SSL_CTX_set_verify(ctx, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    if (sessfile != NULL) {
        SSL_CTX_set_session_cache_mode(
            ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, new_session);
    }
    if ((c.ssl = connect_to(ctx, host, port, &fd)) == NULL)
        goto out;
    if (sessfile != NULL)
        printf("resumed %s\n", SSL_session_reused(c.ssl) ? "yes" : "no");
    c.free_app = h3_fetch_gone;
    if (!SSL_set_blocking_mode(c.ssl, 0) ||
        h3_conn_init(&c, c.ssl, 0, &h3_fetch_callbacks))
        goto out;
    for (k = 0; k < nreqs; k++)
        if (h3_fetch_submit(&c, &reqs[k], dir, sha, auth) != 0)
            goto out;
    rc = run(&c, keyupdate) == 0 ? 0 : 1;
out:
    if (rc != 0 && !quiet)
        ERR_print_errors_fp(stderr);
    h3_reap(&c, 1); /* before the requests its streams point to */
    for (k = 0; k < nreqs; k++)
        if (h3_fetch_report(&reqs[k]) != 0)
            rc = 1;
    free(reqs);
    if (c.ssl != NULL && rc == 0 && SSL_set_blocking_mode(c.ssl, 1))
        for (k = 0; k < 50 && SSL_shutdown(c.ssl) == 0; k++)
            ;
    ERR_clear_error();
    SSL_free(c.ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    return rc;
}
