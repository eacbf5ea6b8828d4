/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-server: a static-file HTTP/3 server on nghttp3, written against
 * OpenSSL 3.5's QUIC API: non-blocking, one thread, everything driven by
 * SSL_poll over the listener, the connections and their streams.
 *
 *   h3-server [-a ADDR] [-p PORT] [--port-file F] [--retry]
 *             [--ciphersuites LIST] [--max-conns N] CERT KEY DOCROOT
 *
 * GET and HEAD; bodies stream from the file in bounded chunks.  Logs one
 * line per request; SIGTERM or SIGINT stops it cleanly.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/quic.h>

#include "h3-common.h"

#define CHUNK 32768
#define MAX_REQS 128 /* concurrent request streams per connection */

struct req {
    struct h3_stream *s;
    char method[16], path[4097], st[8];
    const char *type;
    size_t hdr;
    int status, fd, waiting;
    uint64_t size, sent, unacked;
    unsigned char *buf;
};
static volatile sig_atomic_t stop;
static char root[PATH_MAX];
static unsigned long served, requests;
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

static void *new_req(struct h3_stream *s)
{
    struct req *r = calloc(1, sizeof(*r));

    if (r != NULL) {
        r->s = s;
        r->fd = -1;
    }
    return r;
}

/* Logs a request whose response went out in full, then frees it. */
static void end_req(void *p)
{
    struct req *r = p;
    char *c;

    if (r->s->fin_sent && r->st[0] != '\0') {
        for (c = r->path; *c != '\0'; c++)
            if (!isgraph((unsigned char)*c))
                *c = '?';
        printf("h3-server: request %s %s %d %llu\n", r->method, r->path,
               r->status, (unsigned long long)(r->buf ? r->sent : 0));
        fflush(stdout);
        requests++;
    }
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r);
}

static const char *mime(const char *real)
{
    static const char *const map[] = {
        "html", "text/html", "css", "text/css",      "js",  "text/javascript",
        "png",  "image/png", "svg", "image/svg+xml", "txt", "text/plain",
        NULL};
    const char *dot = strrchr(real, '.');
    int i;

    for (i = 0; dot != NULL && map[i] != NULL; i += 2)
        if (strcmp(dot + 1, map[i]) == 0)
            return map[i + 1];
    return "application/octet-stream";
}

/* Opens the file for r->path: 200, or the status refusing it. */
static int resolve(struct req *r)
{
    char dec[4200], full[PATH_MAX + 4200], real[PATH_MAX];
    const char *p = r->path;
    size_t j = 0, rl = strlen(root);
    struct stat st;
    unsigned v;

    for (; *p != '\0' && *p != '?' && *p != '#'; p++) {
        v = (unsigned char)*p;
        if (v == '%') {
            if (!isxdigit((unsigned char)p[1]) ||
                !isxdigit((unsigned char)p[2]))
                return 400;
            sscanf(p + 1, "%2x", &v);
            p += 2;
        }
        if (v == 0 || j >= sizeof(dec) - 16)
            return 400;
        dec[j++] = (char)v;
    }
    strcpy(dec + j, dec[j - 1] == '/' ? "index.html" : "");
    /* realpath resolves "..", "%2e%2e" (decoded above) and symlinks alike:
     * whatever lands outside the root is refused */
    snprintf(full, sizeof(full), "%s%s", root, dec);
    if (realpath(full, real) == NULL)
        return errno == ENOENT || errno == ENOTDIR ? 404 : 403;
    if (strncmp(real, root, rl) != 0 || real[rl] != '/')
        return 403;
    if ((r->fd = open(real, O_RDONLY | O_CLOEXEC)) < 0 ||
        fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 404;
    r->size = (uint64_t)st.st_size;
    r->type = mime(real);
    return 200;
}

static nghttp3_ssize read_body(nghttp3_conn *h3, int64_t id, nghttp3_vec *vec,
                               size_t veccnt, uint32_t *pflags, void *cud,
                               void *sud)
{
    struct req *r = sud;
    uint64_t want = r->size - r->sent < CHUNK ? r->size - r->sent : CHUNK;
    ssize_t n;

    if (r->unacked > 0) { /* nghttp3 may still point into the chunk */
        r->waiting = 1;
        return NGHTTP3_ERR_WOULDBLOCK;
    }
    n = want > 0 ? pread(r->fd, r->buf, want, (off_t)r->sent) : 0;
    if (n <= 0 || r->sent + (uint64_t)n >= r->size)
        *pflags |= NGHTTP3_DATA_FLAG_EOF; /* a shrunk file ends early */
    if (n <= 0)
        return 0;
    r->sent += (uint64_t)n;
    r->unacked = (uint64_t)n;
    vec[0].base = r->buf;
    vec[0].len = (size_t)n;
    return 1;
}

static int on_acked(nghttp3_conn *h3, int64_t id, uint64_t n, void *cud,
                    void *sud)
{
    struct req *r = sud;

    r->unacked -= n < r->unacked ? n : r->unacked;
    if (r->unacked == 0 && r->waiting) {
        r->waiting = 0;
        r->s->resume = 1;
    }
    return 0;
}

static int on_header(nghttp3_conn *h3, int64_t id, int32_t token,
                     nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
                     void *cud, void *sud)
{
    struct req *r = sud;
    nghttp3_vec n = nghttp3_rcbuf_get_buf(name);
    nghttp3_vec v = nghttp3_rcbuf_get_buf(value);

    if ((r->hdr += n.len + v.len + 32) > H3_MAX_FIELD_SECTION)
        r->status = 431;
    else if (n.len == 7 && memcmp(n.base, ":method", 7) == 0)
        snprintf(r->method, sizeof(r->method), "%.*s", (int)v.len, v.base);
    else if (n.len == 5 && memcmp(n.base, ":path", 5) == 0 &&
             v.len >= sizeof(r->path))
        r->status = 414;
    else if (n.len == 5 && memcmp(n.base, ":path", 5) == 0)
        snprintf(r->path, sizeof(r->path), "%.*s", (int)v.len, v.base);
    return 0;
}

/* The whole request is known: answer it. */
static int on_headers_end(nghttp3_conn *h3, int64_t id, int fin, void *cud,
                          void *sud)
{
    struct req *r = sud;
    nghttp3_data_reader dr = {read_body};
    int head = strcmp(r->method, "HEAD") == 0;
    char len[24];

    if (r->status == 0 && (r->method[0] == '\0' || r->path[0] != '/'))
        r->status = 400;
    if (r->status == 0 && !head && strcmp(r->method, "GET") != 0)
        r->status = 405;
    if (r->status == 0)
        r->status = resolve(r);
    if (r->status != 200)
        r->size = 0;
    if (r->size > 0 && !head && (r->buf = malloc(CHUNK)) == NULL)
        return NGHTTP3_ERR_CALLBACK_FAILURE;
    snprintf(r->st, sizeof(r->st), "%d", r->status);
    snprintf(len, sizeof(len), "%llu", (unsigned long long)r->size);
    {
        const char *type = r->status != 200 ? "text/plain" : r->type;
        nghttp3_nv nv[] = {H3_NV(":status", r->st),
                           H3_NV("content-length", len),
                           H3_NV("content-type", type)};

        return nghttp3_conn_submit_response(h3, id, nv, 3, r->buf ? &dr : NULL);
    }
}

static const nghttp3_callbacks callbacks = {.acked_stream_data = on_acked,
                                            .recv_header = on_header,
                                            .end_headers = on_headers_end};

/* Takes a new connection into the list; 1, or 0 if refused. */
static int new_conn(SSL *ssl)
{
    struct h3_conn *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        SSL_free(ssl);
        return 0;
    }
    c->new_app = new_req;
    c->free_app = end_req;
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
            c->failed = h3_conn_init(c, c->ssl, 1, &callbacks) != 0;
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
        if (!ok || !(ok = h3_poll_wait(&p, 200)))
            break;
        while (
            (p.it[0].it.revents & SSL_POLL_EVENT_IC) && n < maxconns &&
            (ssl = SSL_accept_connection(lst, SSL_ACCEPT_CONNECTION_NO_BLOCK)))
            n += new_conn(ssl);
        ERR_clear_error(); /* an empty accept queue is no error */
        for (pp = &conns; (c = *pp) != NULL;) {
            if (!serve(c)) {
                pp = &c->next;
                continue;
            }
            *pp = c->next;
            h3_reap(c, 1);
            SSL_free(c->ssl);
            free(c);
            n--;
        }
    }
    free(p.it);
    return ok ? 0 : -1;
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
    char tmp[PATH_MAX];
    FILE *f;

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
    if (realpath(argv[i + 2], root) == NULL) {
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
    if (pf != NULL) { /* the port, whole or not at all: via a rename */
        snprintf(tmp, sizeof(tmp), "%s.tmp", pf);
        /* sin_port and sin6_port sit at the same offset */
        if ((f = fopen(tmp, "w")) == NULL ||
            fprintf(f, "%d\n", ntohs(((struct sockaddr_in *)&ss)->sin_port)) <
                0 ||
            fclose(f) != 0 || rename(tmp, pf) != 0) {
            perror(pf);
            goto out;
        }
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    rc = serve_all(lst, (size_t)maxconns) == 0 ? 0 : 1;
    printf("h3-server: %lu connections, %lu requests\n", served, requests);
out:
    if (rc != 0)
        ERR_print_errors_fp(stderr);
    while ((c = conns) != NULL) {
        conns = c->next;
        h3_reap(c, 1);
        SSL_free(c->ssl);
        free(c);
    }
    SSL_free(lst);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return rc;
}
