/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Non-blocking, single-threaded, multi-stream QUIC server driven only by
 * SSL_poll, written only against OpenSSL 3.5's API.
 *
 *   spoll_server --cert F --key F --count N [--port P] [--port-file F]
 *                [--no-validate]
 *
 * One SSL_POLL_ITEM array holds the listener, every connection and every
 * stream that waits for something; nothing else sleeps.  Connections take
 * incoming streams (SSL_INCOMING_STREAM_POLICY_ACCEPT, no default stream):
 * a bidirectional stream is read to its FIN, echoed and concluded; a
 * unidirectional one is read to its FIN and answered on a new server
 * unidirectional stream carrying its stream ID, byte count and FNV-1a digest
 * (three 8-byte big-endian numbers, REPLY_LEN in all).  A
 * connection is finished when the client closes it; it counts as clean if
 * every stream it opened was served.  Exits after N connections, 0 only if
 * all were clean.
 */
#include "conformance.h"

#define READ_CHUNK 65536
#define WRITE_CHUNK 1048576
#define REPLY_LEN 24

enum { ST_READ, ST_WRITE, ST_REPLY, ST_DONE };
enum { K_BIDI, K_UNI_IN, K_UNI_OUT };

struct sstream {
    SSL *ssl;
    int kind, st;
    uint64_t rev;
    unsigned char *buf;
    size_t len, cap, sent;
    uint64_t count;  /* bytes received */
    uint64_t digest; /* of a unidirectional stream's bytes */
};

struct sconn {
    SSL *ssl;
    unsigned id;
    int closing, failed;
    uint64_t rev;
    struct sstream *s;
    size_t n, cap;
};

/* Which object an item of the poll array stands for. */
struct owner {
    size_t conn;
    size_t stream; /* SIZE_MAX: the connection itself */
};

static struct sstream *add_stream(struct sconn *c, SSL *ssl, int kind)
{
    struct sstream *p;

    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        if ((p = realloc(c->s, c->cap * sizeof(*p))) == NULL)
            return NULL;
        c->s = p;
    }
    p = &c->s[c->n++];
    memset(p, 0, sizeof(*p));
    p->ssl = ssl;
    p->kind = kind;
    p->st = kind == K_UNI_OUT ? ST_WRITE : ST_READ;
    p->digest = CONF_FNV_INIT;
    /* A fresh stream may already hold data: step it once without waiting. */
    p->rev = SSL_POLL_EVENT_R | SSL_POLL_EVENT_W;
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
    return p;
}

/* Opens the reply to a finished unidirectional stream; 0 if out of credit. */
static int open_reply(struct sconn *c, size_t i)
{
    SSL *r = SSL_new_stream(c->ssl, SSL_STREAM_FLAG_UNI);
    uint64_t id = SSL_get_stream_id(c->s[i].ssl), count = c->s[i].count;
    uint64_t digest = c->s[i].digest;
    struct sstream *p;

    if (r == NULL) {
        ERR_clear_error();
        return 0;
    }
    if (SSL_get_stream_type(r) != SSL_STREAM_TYPE_WRITE ||
        (p = add_stream(c, r, K_UNI_OUT)) == NULL) {
        SSL_free(r);
        return -1;
    }
    /* c->s may have moved: p is the new entry, index i still names ours. */
    if ((p->buf = malloc(REPLY_LEN)) == NULL)
        return -1;
    conf_put_be64(p->buf, id);
    conf_put_be64(p->buf + 8, count);
    conf_put_be64(p->buf + 16, digest);
    p->len = p->cap = REPLY_LEN;
    c->s[i].st = ST_DONE;
    return 1;
}

/* Drives one stream as far as it goes: 0 ok (maybe waiting), -1 failed. */
static int step_stream(struct sconn *c, size_t i)
{
    struct sstream *s = &c->s[i];
    unsigned char *p;
    size_t n;
    int e;

    while (s->st == ST_READ) {
        if (s->cap - s->len < READ_CHUNK) {
            /* a unidirectional stream is only counted: reuse its buffer */
            if (s->kind == K_UNI_IN && s->cap > 0) {
                s->len = 0;
                continue;
            }
            s->cap = s->cap ? 2 * s->cap : 4 * READ_CHUNK;
            if ((p = realloc(s->buf, s->cap)) == NULL)
                return -1;
            s->buf = p;
        }
        if (SSL_read_ex(s->ssl, s->buf + s->len, s->cap - s->len, &n)) {
            if (s->kind == K_UNI_IN)
                s->digest = conf_fnv1a(s->digest, s->buf + s->len, n);
            s->len += n;
            s->count += n;
            continue;
        }
        e = SSL_get_error(s->ssl, 0);
        if (e == SSL_ERROR_WANT_READ)
            return 0;
        if (e != SSL_ERROR_ZERO_RETURN) {
            fprintf(stderr,
                    "spoll_server: conn %u stream %llu: SSL_read_ex: %s\n",
                    c->id, (unsigned long long)SSL_get_stream_id(s->ssl),
                    conf_err_name(e));
            return -1;
        }
        s->st = s->kind == K_BIDI ? ST_WRITE : ST_REPLY;
    }
    if (s->st == ST_REPLY)
        return open_reply(c, i) < 0 ? -1 : 0;
    while (s->st == ST_WRITE && s->sent < s->len) {
        n = s->len - s->sent > WRITE_CHUNK ? WRITE_CHUNK : s->len - s->sent;
        if (SSL_write_ex(s->ssl, s->buf + s->sent, n, &n)) {
            s->sent += n;
            continue;
        }
        e = SSL_get_error(s->ssl, 0);
        if (e == SSL_ERROR_WANT_WRITE)
            return 0;
        fprintf(stderr, "spoll_server: conn %u stream %llu: SSL_write_ex: %s\n",
                c->id, (unsigned long long)SSL_get_stream_id(s->ssl),
                conf_err_name(e));
        return -1;
    }
    if (s->st == ST_WRITE) {
        if (!SSL_stream_conclude(s->ssl, 0)) {
            fprintf(stderr,
                    "spoll_server: conn %u: SSL_stream_conclude failed\n",
                    c->id);
            return -1;
        }
        s->st = ST_DONE;
        free(s->buf);
        s->buf = NULL;
    }
    return 0;
}

static int accept_streams(struct sconn *c)
{
    SSL *s;
    int type;

    while ((s = SSL_accept_stream(c->ssl, SSL_ACCEPT_STREAM_NO_BLOCK)) !=
           NULL) {
        type = SSL_get_stream_type(s);
        if ((type != SSL_STREAM_TYPE_BIDI && type != SSL_STREAM_TYPE_READ) ||
            add_stream(c, s,
                       type == SSL_STREAM_TYPE_BIDI ? K_BIDI : K_UNI_IN) ==
                NULL) {
            fprintf(stderr, "spoll_server: conn %u: stream type %d\n", c->id,
                    type);
            SSL_free(s);
            return -1;
        }
    }
    ERR_clear_error(); /* an empty queue is not an error here */
    return 0;
}

static void free_conn(struct sconn *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        SSL_free(c->s[i].ssl);
        free(c->s[i].buf);
    }
    free(c->s);
    SSL_free(c->ssl);
}

/* After the client's close: report, then wait for the drain. 1: finished. */
static int close_conn(struct sconn *c)
{
    unsigned bidi = 0, uni = 0, pending = 0;
    uint64_t bytes = 0;
    SSL_CONN_CLOSE_INFO info;
    size_t i;
    int r;

    if (!c->closing) {
        c->closing = 1;
        for (i = 0; i < c->n; i++) {
            bidi += c->s[i].kind == K_BIDI;
            uni += c->s[i].kind == K_UNI_IN;
            pending += c->s[i].st != ST_DONE;
            if (c->s[i].kind != K_UNI_OUT)
                bytes += c->s[i].count;
        }
        if (pending > 0 || bidi + uni == 0)
            c->failed = 1;
        /* how it ended tells a client's close from a local failure */
        memset(&info, 0, sizeof(info));
        (void)SSL_get_conn_close_info(c->ssl, &info, sizeof(info));
        printf("conn %u: bidi=%u uni=%u bytes=%llu unfinished=%u "
               "close=%s%s/%#llx result=%s\n",
               c->id, bidi, uni, (unsigned long long)bytes, pending,
               info.flags & SSL_CONN_CLOSE_FLAG_LOCAL ? "local" : "peer",
               info.flags & SSL_CONN_CLOSE_FLAG_TRANSPORT ? "-transport" : "",
               (unsigned long long)info.error_code,
               c->failed ? "failed" : "ok");
        fflush(stdout);
    }
    r = SSL_shutdown_ex(c->ssl, SSL_SHUTDOWN_FLAG_WAIT_PEER, NULL, 0);
    if (r == 1)
        return 1;
    if (r < 0) {
        r = SSL_get_error(c->ssl, r);
        if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE) {
            fprintf(stderr, "spoll_server: conn %u: SSL_shutdown_ex: %s\n",
                    c->id, conf_err_name(r));
            ERR_clear_error();
            return 1;
        }
    }
    return 0;
}

struct server {
    struct conf_server sv;
    struct sconn *c;
    size_t n, cap;
    SSL_POLL_ITEM *items;
    struct owner *own;
    size_t nitems, icap;
    uint64_t lrev;
    unsigned accepted, finished, failed;
};

static int push_item(struct server *S, SSL *ssl, uint64_t events, size_t conn,
                     size_t stream)
{
    void *p;

    if (S->nitems == S->icap) {
        S->icap = S->icap ? 2 * S->icap : 64;
        if ((p = realloc(S->items, S->icap * sizeof(*S->items))) == NULL)
            return 0;
        S->items = p;
        if ((p = realloc(S->own, S->icap * sizeof(*S->own))) == NULL)
            return 0;
        S->own = p;
    }
    memset(&S->items[S->nitems], 0, sizeof(S->items[0]));
    S->items[S->nitems].desc.type = BIO_POLL_DESCRIPTOR_TYPE_SSL;
    S->items[S->nitems].desc.value.ssl = ssl;
    S->items[S->nitems].events = events;
    S->own[S->nitems].conn = conn;
    S->own[S->nitems].stream = stream;
    S->nitems++;
    return 1;
}

/* The poll array for this round: what each object is waiting for. */
static int build_items(struct server *S)
{
    size_t i, j;
    uint64_t ev;
    struct sconn *c;

    S->nitems = 0;
    if (S->accepted < S->sv.count &&
        !push_item(S, S->sv.listener, SSL_POLL_EVENT_IC | SSL_POLL_EVENT_EL,
                   SIZE_MAX, SIZE_MAX))
        return 0;
    for (i = 0; i < S->n; i++) {
        c = &S->c[i];
        /* once closing, only the end of the drain is of interest */
        ev = SSL_POLL_EVENT_ECD;
        if (!c->closing) {
            ev |= SSL_POLL_EVENT_EC | SSL_POLL_EVENT_IS;
            for (j = 0; j < c->n; j++)
                if (c->s[j].st == ST_REPLY)
                    ev |= SSL_POLL_EVENT_OSU;
        }
        if (!push_item(S, c->ssl, ev, i, SIZE_MAX))
            return 0;
        for (j = 0; !c->closing && j < c->n; j++) {
            ev = c->s[j].st == ST_READ    ? SSL_POLL_EVENT_RE
                 : c->s[j].st == ST_WRITE ? SSL_POLL_EVENT_WE
                                          : 0;
            if (ev != 0 && !push_item(S, c->s[j].ssl, ev, i, j))
                return 0;
        }
    }
    return 1;
}

static int accept_conns(struct server *S)
{
    SSL *ssl;
    void *p;

    while (S->accepted < S->sv.count &&
           (ssl = SSL_accept_connection(
                S->sv.listener, SSL_ACCEPT_CONNECTION_NO_BLOCK)) != NULL) {
        if (S->n == S->cap) {
            S->cap = S->cap ? 2 * S->cap : 16;
            if ((p = realloc(S->c, S->cap * sizeof(*S->c))) == NULL) {
                SSL_free(ssl);
                return -1;
            }
            S->c = p;
        }
        memset(&S->c[S->n], 0, sizeof(S->c[0]));
        S->c[S->n].ssl = ssl;
        S->c[S->n].id = ++S->accepted;
        S->c[S->n].rev = SSL_POLL_EVENT_IS;
        S->n++;
        if (!SSL_set_incoming_stream_policy(
                ssl, SSL_INCOMING_STREAM_POLICY_ACCEPT, 0) ||
            !SSL_set_default_stream_mode(ssl, SSL_DEFAULT_STREAM_MODE_NONE)) {
            fprintf(stderr, "spoll_server: conn %u: stream setup failed\n",
                    S->accepted);
            return -1;
        }
        printf("conn %u: accepted\n", S->accepted);
        fflush(stdout);
    }
    ERR_clear_error(); /* an empty accept queue may leave nothing else */
    return 0;
}

/* Handles what one connection's items reported; 1 when it is finished. */
static int serve_conn(struct sconn *c)
{
    size_t j;
    uint64_t rev = c->rev;

    c->rev = 0;
    if (c->closing)
        return rev != 0 ? close_conn(c) : 0;
    for (j = 0; !c->failed && j < c->n; j++) {
        if (c->s[j].rev == 0)
            continue;
        c->s[j].rev = 0;
        if (step_stream(c, j) < 0)
            c->failed = 1;
    }
    if (!c->failed && (rev & SSL_POLL_EVENT_IS) && accept_streams(c) < 0)
        c->failed = 1;
    /* streams just accepted or opened: step them now, they may be ready */
    for (j = 0; !c->failed && j < c->n; j++) {
        if (c->s[j].rev == 0)
            continue;
        c->s[j].rev = 0;
        if (step_stream(c, j) < 0)
            c->failed = 1;
    }
    if (!c->failed && (rev & SSL_POLL_EVENT_OSU))
        for (j = 0; j < c->n; j++)
            if (c->s[j].st == ST_REPLY && step_stream(c, j) < 0)
                c->failed = 1;
    if (c->failed) {
        /* nothing the client waits for will come: close now */
        fprintf(stderr, "spoll_server: conn %u failed\n", c->id);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    if (rev & (SSL_POLL_EVENT_EC | SSL_POLL_EVENT_ECD))
        return close_conn(c);
    return 0;
}

int main(int argc, char **argv)
{
    struct server S;
    struct timeval tmo = {1, 0};
    size_t i, nres;
    struct owner *o;
    int rc;

    memset(&S, 0, sizeof(S));
    rc = conf_server_start(&S.sv, argc, argv, "spoll_server", 0);
    while (rc == 0 && S.finished < S.sv.count) {
        if (!build_items(&S)) {
            fprintf(stderr, "spoll_server: out of memory\n");
            rc = 1;
            break;
        }
        if (!SSL_poll(S.items, S.nitems, sizeof(S.items[0]), &tmo, 0, &nres)) {
            fprintf(stderr, "spoll_server: SSL_poll failed\n");
            ERR_print_errors_fp(stderr);
            rc = 1;
            break;
        }
        /* Hand every report to its object before acting: acting may add
         * streams or free connections, which moves the arrays. */
        for (i = 0; i < S.nitems; i++) {
            o = &S.own[i];
            if (S.items[i].revents & SSL_POLL_EVENT_F) {
                fprintf(stderr, "spoll_server: SSL_poll item %zu failed\n", i);
                rc = 1;
            }
            if (o->conn == SIZE_MAX)
                S.lrev = S.items[i].revents;
            else if (o->stream == SIZE_MAX)
                S.c[o->conn].rev |= S.items[i].revents;
            else
                S.c[o->conn].s[o->stream].rev |= S.items[i].revents;
        }
        if (S.lrev & SSL_POLL_EVENT_EL) {
            fprintf(stderr, "spoll_server: listener failed\n");
            rc = 1;
        }
        if (rc != 0)
            break;
        if ((S.lrev & SSL_POLL_EVENT_IC) && accept_conns(&S) < 0) {
            rc = 1;
            break;
        }
        S.lrev = 0;
        for (i = 0; i < S.n; i++) {
            if (S.c[i].rev == 0) {
                size_t j;
                int any = 0;

                for (j = 0; j < S.c[i].n && !any; j++)
                    any = S.c[i].s[j].rev != 0;
                if (!any)
                    continue;
            }
            if (!serve_conn(&S.c[i]))
                continue;
            if (S.c[i].failed)
                S.failed++;
            S.finished++;
            free_conn(&S.c[i]);
            S.c[i--] = S.c[--S.n];
        }
    }
    if (rc == 0) {
        printf("done: %u ok, %u failed\n", S.sv.count - S.failed, S.failed);
        rc = S.failed == 0 ? 0 : 1;
    }
    for (i = 0; i < S.n; i++)
        free_conn(&S.c[i]);
    free(S.c);
    free(S.items);
    free(S.own);
    conf_server_end(&S.sv);
    return rc;
}
