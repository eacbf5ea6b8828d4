/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multi-stream QUIC client written only against OpenSSL 3.5's API, for
 * spoll_server.
 *
 *   mstream_client (--port P | --port-file F) (--cafile F | --insecure)
 *                  [--bytes B] [--bidi N] [--uni M] [--conns K]
 *                  [--conclude ex2|call]
 *
 * Connects (blocking), then goes non-blocking and opens N bidirectional and
 * M unidirectional streams at once, without a default stream.  Each stream
 * carries its own B-byte pattern; a round of SSL_poll writes at most one
 * chunk per writable stream, so all of them are in flight together.  Each
 * stream is concluded (SSL_write_ex2 with CONCLUDE on the last chunk, or
 * SSL_stream_conclude), every bidirectional echo is read to its FIN and
 * checked byte for byte, and the server's M unidirectional replies (stream
 * ID, byte count, FNV-1a digest: 8 bytes big-endian each) must answer each
 * of our unidirectional streams once, say B, and match the digest of what
 * was written.  All echoes are read concurrently:
 * reading them one after the other could starve on connection-level flow
 * control.  --conns runs K such clients at once, each in its own process.
 * Each connection prints one line of the bytes it wrote and the bytes it read
 * back and checked (a failed one too).  Exit 0 only if every byte, count and
 * digest matched.
 */

#include "conformance.h"

#define CHUNK 65536
#define MAX_STREAMS 256
#define REPLY_LEN 24

enum { ST_WRITE, ST_READ, ST_DONE };
enum { K_BIDI, K_UNI_OUT, K_UNI_IN };

struct opts {
    unsigned port, bidi, uni;
    const char *cafile;
    uint64_t bytes;
    int conclude_call;
};

struct cstream {
    SSL *ssl;
    int kind, st;
    unsigned idx;        /* which pattern */
    uint64_t woff, roff; /* bytes written, bytes read */
    uint64_t digest;     /* of what was written (unidirectional only) */
    int answered;        /* the server's reply to it came */
    unsigned char reply[REPLY_LEN];
};

struct client {
    const struct opts *o;
    SSL *conn;
    struct cstream s[MAX_STREAMS];
    unsigned n, replies, unfinished;
    uint64_t sent, checked; /* payload bytes written; read back and checked */
    unsigned char buf[CHUNK];
};

/* Stream i's payload: the shared pattern, shifted far apart per stream. */
static unsigned char pattern(unsigned idx, uint64_t off)
{
    return conf_pattern(off + ((uint64_t)idx << 36));
}

static int fail(const char *who, SSL *ssl, int ret)
{
    fprintf(stderr, "mstream_client: %s failed (SSL_get_error %s)\n", who,
            ssl != NULL ? conf_err_name(SSL_get_error(ssl, ret)) : "-");
    ERR_print_errors_fp(stderr);
    return -1;
}

static int step_write(struct client *c, struct cstream *s)
{
    const struct opts *o = c->o;
    size_t n, w, i;
    int last, ok;

    n = o->bytes - s->woff > CHUNK ? CHUNK : (size_t)(o->bytes - s->woff);
    for (i = 0; i < n; i++)
        c->buf[i] = pattern(s->idx, s->woff + i);
    last = s->woff + n == o->bytes;
    if (n == 0)
        ok = 1, w = 0;
    else if (last && !o->conclude_call)
        ok = SSL_write_ex2(s->ssl, c->buf, n, SSL_WRITE_FLAG_CONCLUDE, &w);
    else
        ok = SSL_write_ex(s->ssl, c->buf, n, &w);
    if (!ok) {
        if (SSL_get_error(s->ssl, 0) == SSL_ERROR_WANT_WRITE)
            return 0;
        return fail("SSL_write_ex", s->ssl, 0);
    }
    if (s->kind == K_UNI_OUT)
        s->digest = conf_fnv1a(s->digest, c->buf, w);
    s->woff += w;
    c->sent += w;
    if (s->woff < o->bytes)
        return 0;
    /* With CONCLUDE a partial write leaves the rest for the next call; the
     * stream is concluded only once all of it went in. */
    if ((n == 0 || o->conclude_call) && !SSL_stream_conclude(s->ssl, 0))
        return fail("SSL_stream_conclude", s->ssl, 0);
    s->st = s->kind == K_BIDI ? ST_READ : ST_DONE;
    return 0;
}

/* A complete reply: which of our streams it answers, and does it match. */
static int check_reply(struct client *c, const struct cstream *s)
{
    uint64_t id = conf_get_be64(s->reply);
    uint64_t count = conf_get_be64(s->reply + 8);
    uint64_t digest = conf_get_be64(s->reply + 16);
    unsigned i;

    for (i = 0; i < c->n; i++) {
        struct cstream *u = &c->s[i];

        if (u->kind != K_UNI_OUT || SSL_get_stream_id(u->ssl) != id)
            continue;
        if (u->answered) {
            fprintf(stderr, "mstream_client: stream %llu answered twice\n",
                    (unsigned long long)id);
            return -1;
        }
        u->answered = 1;
        if (count != c->o->bytes) {
            fprintf(stderr,
                    "mstream_client: server counted %llu bytes on stream "
                    "%llu, not %llu\n",
                    (unsigned long long)count, (unsigned long long)id,
                    (unsigned long long)c->o->bytes);
            return -1;
        }
        if (digest != u->digest) {
            fprintf(stderr,
                    "mstream_client: stream %llu arrived with digest %016llx, "
                    "sent %016llx\n",
                    (unsigned long long)id, (unsigned long long)digest,
                    (unsigned long long)u->digest);
            return -1;
        }
        c->checked += count;
        return 0;
    }
    fprintf(stderr, "mstream_client: reply for unknown stream %llu\n",
            (unsigned long long)id);
    return -1;
}

static int step_read(struct client *c, struct cstream *s)
{
    uint64_t limit = s->kind == K_BIDI ? c->o->bytes : REPLY_LEN;
    size_t n, i;
    int e;

    for (;;) {
        if (!SSL_read_ex(s->ssl, c->buf, sizeof(c->buf), &n)) {
            e = SSL_get_error(s->ssl, 0);
            if (e == SSL_ERROR_WANT_READ)
                return 0;
            if (e != SSL_ERROR_ZERO_RETURN)
                return fail("SSL_read_ex", s->ssl, 0);
            break;
        }
        if (s->roff + n > limit) {
            fprintf(stderr, "mstream_client: stream %llu longer than %llu\n",
                    (unsigned long long)SSL_get_stream_id(s->ssl),
                    (unsigned long long)limit);
            return -1;
        }
        for (i = 0; i < n; i++) {
            if (s->kind == K_UNI_IN) {
                s->reply[s->roff + i] = c->buf[i];
            } else if (c->buf[i] != pattern(s->idx, s->roff + i)) {
                fprintf(stderr,
                        "mstream_client: stream %u: wrong byte at "
                        "offset %llu\n",
                        s->idx, (unsigned long long)(s->roff + i));
                return -1;
            }
        }
        s->roff += n;
        if (s->kind == K_BIDI)
            c->checked += n;
    }
    if (s->roff != limit) {
        fprintf(stderr,
                "mstream_client: stream %llu ended after %llu of "
                "%llu bytes\n",
                (unsigned long long)SSL_get_stream_id(s->ssl),
                (unsigned long long)s->roff, (unsigned long long)limit);
        return -1;
    }
    if (s->kind == K_UNI_IN) {
        if (check_reply(c, s) < 0)
            return -1;
        c->replies++;
    }
    s->st = ST_DONE;
    c->unfinished--;
    return 0;
}

static int add_stream(struct client *c, SSL *ssl, int kind, unsigned idx)
{
    struct cstream *s;

    if (c->n == MAX_STREAMS) {
        SSL_free(ssl);
        fprintf(stderr, "mstream_client: too many streams\n");
        return -1;
    }
    s = &c->s[c->n++];
    memset(s, 0, sizeof(*s));
    s->ssl = ssl;
    s->kind = kind;
    s->idx = idx;
    s->st = kind == K_UNI_IN ? ST_READ : ST_WRITE;
    s->digest = CONF_FNV_INIT;
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
    return 0;
}

static int accept_replies(struct client *c)
{
    SSL *s;

    while ((s = SSL_accept_stream(c->conn, SSL_ACCEPT_STREAM_NO_BLOCK)) !=
           NULL) {
        if (SSL_get_stream_type(s) != SSL_STREAM_TYPE_READ) {
            fprintf(stderr, "mstream_client: server opened stream type %d\n",
                    SSL_get_stream_type(s));
            SSL_free(s);
            return -1;
        }
        if (add_stream(c, s, K_UNI_IN, 0) < 0)
            return -1;
    }
    ERR_clear_error();
    return 0;
}

/* SSL_poll until every stream is done. */
static int exchange(struct client *c)
{
    SSL_POLL_ITEM items[MAX_STREAMS + 1];
    struct cstream *map[MAX_STREAMS + 1];
    struct timeval tmo = {1, 0};
    size_t k, ni, nres;
    unsigned i;
    int r;

    while (c->unfinished > 0) {
        memset(items, 0, sizeof(items));
        items[0].desc.type = BIO_POLL_DESCRIPTOR_TYPE_SSL;
        items[0].desc.value.ssl = c->conn;
        items[0].events = SSL_POLL_EVENT_EC;
        if (c->replies < c->o->uni)
            items[0].events |= SSL_POLL_EVENT_ISU;
        map[0] = NULL;
        ni = 1;
        for (i = 0; i < c->n; i++) {
            if (c->s[i].st == ST_DONE)
                continue;
            items[ni].desc.type = BIO_POLL_DESCRIPTOR_TYPE_SSL;
            items[ni].desc.value.ssl = c->s[i].ssl;
            items[ni].events =
                c->s[i].st == ST_WRITE ? SSL_POLL_EVENT_WE : SSL_POLL_EVENT_RE;
            map[ni++] = &c->s[i];
        }
        if (!SSL_poll(items, ni, sizeof(items[0]), &tmo, 0, &nres))
            return fail("SSL_poll", NULL, 0);
        for (k = 1; k < ni; k++) {
            if (items[k].revents &
                (SSL_POLL_EVENT_F | SSL_POLL_EVENT_ER | SSL_POLL_EVENT_EW)) {
                fprintf(stderr, "mstream_client: stream %llu: revents %#llx\n",
                        (unsigned long long)SSL_get_stream_id(map[k]->ssl),
                        (unsigned long long)items[k].revents);
                return -1;
            }
            if (items[k].revents == 0)
                continue;
            r = map[k]->st == ST_WRITE ? step_write(c, map[k])
                                       : step_read(c, map[k]);
            if (r < 0)
                return -1;
        }
        if (items[0].revents & (SSL_POLL_EVENT_F | SSL_POLL_EVENT_EC)) {
            fprintf(stderr,
                    "mstream_client: connection ended early "
                    "(revents %#llx)\n",
                    (unsigned long long)items[0].revents);
            return -1;
        }
        if ((items[0].revents & SSL_POLL_EVENT_ISU) && accept_replies(c) < 0)
            return -1;
    }
    if (c->replies != c->o->uni) {
        fprintf(stderr, "mstream_client: %u replies for %u streams\n",
                c->replies, c->o->uni);
        return -1;
    }
    return 0;
}

static int run_one(const struct opts *o)
{
    SSL_CTX *ctx = conf_client_ctx(o->cafile);
    struct client *c = calloc(1, sizeof(*c));
    SSL *s;
    unsigned i;
    int fd = -1, rc = 1, r, tries, kind;

    if (ctx == NULL || c == NULL ||
        (c->conn = conf_client_conn(ctx, o->port, &fd)) == NULL) {
        fail("setup", NULL, 0);
        goto out;
    }
    c->o = o;
    if (!SSL_set_default_stream_mode(c->conn, SSL_DEFAULT_STREAM_MODE_NONE) ||
        !SSL_set_incoming_stream_policy(c->conn,
                                        SSL_INCOMING_STREAM_POLICY_ACCEPT, 0)) {
        fail("stream setup", c->conn, 0);
        goto out;
    }
    if ((r = SSL_connect(c->conn)) != 1) {
        fail("SSL_connect", c->conn, r);
        fprintf(stderr, "mstream_client: verify result %ld\n",
                SSL_get_verify_result(c->conn));
        goto out;
    }
    if (!SSL_set_blocking_mode(c->conn, 0)) {
        fail("SSL_set_blocking_mode", c->conn, 0);
        goto out;
    }
    for (i = 0; i < o->bidi + o->uni; i++) {
        kind = i < o->bidi ? K_BIDI : K_UNI_OUT;
        s = SSL_new_stream(c->conn, kind == K_BIDI ? 0 : SSL_STREAM_FLAG_UNI);
        if (s == NULL) {
            fail("SSL_new_stream", c->conn, 0);
            goto out;
        }
        if (SSL_get_stream_type(s) != (kind == K_BIDI
                                           ? (int)SSL_STREAM_TYPE_BIDI
                                           : (int)SSL_STREAM_TYPE_WRITE)) {
            fprintf(stderr, "mstream_client: new stream has type %d\n",
                    SSL_get_stream_type(s));
            SSL_free(s);
            goto out;
        }
        if (add_stream(c, s, kind, i) < 0)
            goto out;
    }
    c->unfinished = o->bidi + o->uni;
    if (exchange(c) != 0)
        goto out;
    if (!SSL_set_blocking_mode(c->conn, 1)) {
        fail("SSL_set_blocking_mode", c->conn, 0);
        goto out;
    }
    for (tries = 0; tries < 100; tries++) {
        if ((r = SSL_shutdown(c->conn)) == 1)
            break;
        if (r < 0) {
            fail("SSL_shutdown", c->conn, r);
            goto out;
        }
    }
    rc = r == 1 ? 0 : 1;
out:
    if (c != NULL) {
        printf("conn: sent=%llu checked=%llu expected=%llu result=%s\n",
               (unsigned long long)c->sent, (unsigned long long)c->checked,
               (unsigned long long)((uint64_t)(o->bidi + o->uni) * o->bytes),
               rc == 0 ? "ok" : "failed");
        fflush(stdout);
        for (i = 0; i < c->n; i++)
            SSL_free(c->s[i].ssl);
        SSL_free(c->conn);
    }
    free(c);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int run_child(const void *o)
{
    return run_one(o);
}

int main(int argc, char **argv)
{
    struct opts o = {0, 6, 2, NULL, 1048576, 0};
    unsigned conns = 1, failed;
    int a, insecure = 0;

    for (a = 1; a < argc; a++) {
        if (conf_arg_is(argv[a], "--insecure"))
            insecure = 1;
        else if (a + 1 >= argc)
            break;
        else if (conf_arg_is(argv[a], "--port"))
            o.port = (unsigned)strtoul(argv[++a], NULL, 10);
        else if (conf_arg_is(argv[a], "--port-file")) {
            if (!conf_read_port_file(argv[++a], &o.port))
                break;
        } else if (conf_arg_is(argv[a], "--cafile"))
            o.cafile = argv[++a];
        else if (conf_arg_is(argv[a], "--bytes"))
            o.bytes = strtoull(argv[++a], NULL, 10);
        else if (conf_arg_is(argv[a], "--bidi"))
            o.bidi = (unsigned)strtoul(argv[++a], NULL, 10);
        else if (conf_arg_is(argv[a], "--uni"))
            o.uni = (unsigned)strtoul(argv[++a], NULL, 10);
        else if (conf_arg_is(argv[a], "--conns"))
            conns = (unsigned)strtoul(argv[++a], NULL, 10);
        else if (conf_arg_is(argv[a], "--conclude"))
            o.conclude_call = conf_arg_is(argv[++a], "call");
        else
            break;
    }
    if (a < argc || o.port == 0 || (o.cafile == NULL) == !insecure ||
        conns == 0 || o.bidi + o.uni == 0 || 2 * o.uni + o.bidi > MAX_STREAMS) {
        fprintf(stderr, "usage: mstream_client (--port P | --port-file F) "
                        "(--cafile F | --insecure) [--bytes B] [--bidi N] "
                        "[--uni M] [--conns K] [--conclude ex2|call]\n");
        return 2;
    }

    if (conns == 1)
        failed = run_one(&o) != 0;
    else
        failed = conf_run_forked(conns, run_child, &o, "mstream_client");
    printf("clients: %u bidi=%u uni=%u bytes=%llu ok=%u failed=%u\n", conns,
           o.bidi, o.uni, (unsigned long long)o.bytes, conns - failed, failed);
    return failed == 0 ? 0 : 1;
}
