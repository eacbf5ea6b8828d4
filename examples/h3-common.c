/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-common: nghttp3 over OpenSSL 3.5 QUIC streams (see h3-common.h): the
 * streams of a connection, moving bytes between them and nghttp3, and
 * freeing them once done.  The SSL_poll array lives in h3-poll.c.
 */
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/quic.h>

#include "h3-common.h"

static int fail(struct h3_conn *c, long long rv)
{
    if (!c->failed)
        c->err = nghttp3_err_infer_quic_app_error_code((int)rv);
    c->failed = 1;
    return -1;
}

struct h3_stream *h3_add_stream(struct h3_conn *c, SSL *ssl)
{
    struct h3_stream *s;
    int type = SSL_get_stream_type(ssl);

    if (c->n == H3_MAX_STREAMS || (s = calloc(1, sizeof(*s))) == NULL)
        return NULL;
    s->ssl = ssl;
    s->id = (int64_t)SSL_get_stream_id(ssl);
    s->bidi = type == SSL_STREAM_TYPE_BIDI;
    s->rdone = type == SSL_STREAM_TYPE_WRITE;
    s->wdone = type == SSL_STREAM_TYPE_READ;
    if (s->bidi && c->new_app != NULL && (s->app = c->new_app(s)) == NULL) {
        free(s);
        return NULL;
    }
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
    c->nbidi += s->bidi;
    return c->s[c->n++] = s;
}

struct h3_stream *h3_find(struct h3_conn *c, int64_t id)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (c->s[i]->id == id)
            return c->s[i];
    return NULL;
}

static void reset(struct h3_stream *s, uint64_t code)
{
    SSL_STREAM_RESET_ARGS args = {code};

    if (!s->wdone)
        (void)SSL_stream_reset(s->ssl, &args, sizeof(args));
    ERR_clear_error();
    s->wdone = 1;
}

static int on_begin(nghttp3_conn *h3, int64_t id, void *cud, void *sud)
{
    struct h3_stream *s = h3_find(cud, id);

    if (s == NULL || s->app == NULL ||
        nghttp3_conn_set_stream_user_data(h3, id, s->app) != 0)
        return NGHTTP3_ERR_CALLBACK_FAILURE;
    return 0;
}

/* nghttp3 abandons a malformed message; what else arrives it discards. */
static int on_reset(nghttp3_conn *h3, int64_t id, uint64_t code, void *cud,
                    void *sud)
{
    struct h3_stream *s = h3_find(cud, id);

    if (s != NULL)
        reset(s, code);
    return 0;
}

int h3_conn_init(struct h3_conn *c, SSL *ssl, int server,
                 const nghttp3_callbacks *cb)
{
    nghttp3_callbacks all = *cb;
    nghttp3_settings set;
    SSL *u[3] = {NULL, NULL, NULL};
    int i, ok;

    c->ssl = ssl;
    all.begin_headers = on_begin;
    all.reset_stream = on_reset;
    nghttp3_settings_default(&set);
    set.max_field_section_size = H3_MAX_FIELD_SECTION;
    ok = (server ? nghttp3_conn_server_new(&c->h3, &all, &set,
                                           nghttp3_mem_default(), c)
                 : nghttp3_conn_client_new(&c->h3, &all, &set,
                                           nghttp3_mem_default(), c)) == 0;
    /* nghttp3 refuses PRIORITY_UPDATE (which browsers send) for request
     * streams above this count; the QUIC layer keeps raising MAX_STREAMS,
     * so the only bound is the protocol's own, 2^60. */
    if (ok && server)
        nghttp3_conn_set_max_client_streams_bidi(c->h3, (uint64_t)1 << 60);
    for (i = 0; i < 3 && ok; i++) { /* control, QPACK encoder, decoder */
        u[i] = SSL_new_stream(ssl, SSL_STREAM_FLAG_UNI);
        if (u[i] == NULL || h3_add_stream(c, u[i]) == NULL) {
            SSL_free(u[i]);
            return -1;
        }
    }
    if (!ok ||
        nghttp3_conn_bind_control_stream(c->h3, SSL_get_stream_id(u[0])) ||
        nghttp3_conn_bind_qpack_streams(c->h3, SSL_get_stream_id(u[1]),
                                        SSL_get_stream_id(u[2])))
        return -1;
    return 0;
}

void h3_accept(struct h3_conn *c, size_t max_bidi)
{
    struct h3_stream *s;
    SSL *ssl;

    while ((ssl = SSL_accept_stream(c->ssl, SSL_ACCEPT_STREAM_NO_BLOCK))) {
        SSL_STREAM_RESET_ARGS a = {NGHTTP3_H3_REQUEST_REJECTED};

        if ((SSL_get_stream_type(ssl) != SSL_STREAM_TYPE_BIDI ||
             c->nbidi < max_bidi) &&
            (s = h3_add_stream(c, ssl)) != NULL) {
            s->rev = SSL_POLL_EVENT_R; /* it may hold data already */
            continue;
        }
        (void)SSL_stream_reset(ssl, &a, sizeof(a));
        SSL_free(ssl);
    }
    ERR_clear_error(); /* an empty queue is no error */
}

static int h3_read(struct h3_conn *c, struct h3_stream *s)
{
    unsigned char buf[16384];
    nghttp3_ssize rv = 0;
    size_t n;
    int e;

    while (!s->rdone && rv >= 0) {
        if (SSL_read_ex(s->ssl, buf, sizeof(buf), &n)) {
            rv = nghttp3_conn_read_stream(c->h3, s->id, buf, n, 0);
            continue;
        }
        e = SSL_get_error(s->ssl, 0);
        ERR_clear_error();
        if (e == SSL_ERROR_WANT_READ)
            break;
        s->rdone = 1;
        if (e == SSL_ERROR_ZERO_RETURN) {
            rv = nghttp3_conn_read_stream(c->h3, s->id, NULL, 0, 1);
        } else if (!s->bidi) { /* the peer's control or QPACK stream */
            rv = nghttp3_conn_close_stream(c->h3, s->id, NGHTTP3_H3_NO_ERROR);
        } else { /* the peer cancelled the request: drop the response */
            (void)nghttp3_conn_shutdown_stream_read(c->h3, s->id);
            reset(s, NGHTTP3_H3_REQUEST_CANCELLED);
        }
    }
    return rv < 0 ? fail(c, rv) : 0;
}

/* Writes the vectors nghttp3 offered for s, adding what went in to *done:
 * 1 if all of it did, 0 if the stream had no room (the rest is offered
 * again later: partial writes are on), -1 if s cannot take data. */
static int write_vecs(struct h3_stream *s, const nghttp3_vec *vec,
                      nghttp3_ssize nv, size_t *done)
{
    nghttp3_ssize i;
    size_t off, w;

    if (s->wdone)
        return -1;
    for (i = 0; i < nv; i++) {
        for (off = 0; off < vec[i].len; off += w) {
            if (!SSL_write_ex(s->ssl, vec[i].base + off, vec[i].len - off, &w))
                return SSL_get_error(s->ssl, 0) == SSL_ERROR_WANT_WRITE ? 0
                                                                        : -1;
            *done += w;
        }
    }
    return 1;
}

/* Moves what nghttp3 has to send into the streams. */
static int h3_write(struct h3_conn *c)
{
    nghttp3_vec vec[16];
    struct h3_stream *s;
    nghttp3_ssize nv;
    int64_t id;
    size_t done;
    int fin, r;

    while (!c->failed) {
        nv = nghttp3_conn_writev_stream(c->h3, &id, &fin, vec, 16);
        if (nv < 0)
            return fail(c, nv);
        if (id < 0)
            break;
        if ((s = h3_find(c, id)) == NULL)
            return fail(c, NGHTTP3_ERR_CALLBACK_FAILURE);
        done = 0;
        r = write_vecs(s, vec, nv, &done);
        if (r == 1 && fin && !SSL_stream_conclude(s->ssl, 0))
            r = -1;
        else if (r == 1 && fin)
            s->wdone = s->fin_sent = 1;
        /* no ACKs from this API: what SSL_write_ex took counts as acked */
        if (nghttp3_conn_add_write_offset(c->h3, id, done) != 0 ||
            nghttp3_conn_add_ack_offset(c->h3, id, done) != 0)
            return fail(c, NGHTTP3_ERR_CALLBACK_FAILURE);
        if (r == 0) {
            nghttp3_conn_block_stream(c->h3, id);
            s->blocked = 1;
        } else if (r < 0) { /* reset, STOP_SENDING, or the connection died */
            ERR_clear_error();
            nghttp3_conn_shutdown_stream_write(c->h3, id);
            s->wdone = 1;
            if (!s->bidi)
                return fail(c, NGHTTP3_ERR_CALLBACK_FAILURE);
        }
        if (s->resume) {
            s->resume = 0;
            (void)nghttp3_conn_resume_stream(c->h3, id);
        }
    }
    return c->failed ? -1 : 0;
}

int h3_step(struct h3_conn *c)
{
    struct h3_stream *s;
    size_t i;

    for (i = 0; i < c->n && !c->failed; i++) {
        s = c->s[i];
        if ((s->rev & SSL_POLL_EVENT_WE) && s->blocked) {
            s->blocked = 0;
            if (nghttp3_conn_unblock_stream(c->h3, s->id) != 0)
                return fail(c, NGHTTP3_ERR_CALLBACK_FAILURE);
        }
        if (s->rev & SSL_POLL_EVENT_RE)
            (void)h3_read(c, s);
        s->rev = 0;
    }
    return c->failed ? -1 : h3_write(c);
}

void h3_reap(struct h3_conn *c, int all)
{
    struct h3_stream *s;
    size_t i;

    for (i = c->n; i-- > 0;) {
        s = c->s[i];
        if (!all && !(s->bidi && s->rdone && s->wdone))
            continue;
        (void)nghttp3_conn_close_stream(c->h3, s->id, NGHTTP3_H3_NO_ERROR);
        if (s->app != NULL && c->free_app != NULL)
            c->free_app(s->app);
        c->nbidi -= s->bidi;
        SSL_free(s->ssl);
        free(s);
        c->s[i] = c->s[--c->n];
    }
    if (all)
        nghttp3_conn_del(c->h3); /* NULL-safe; the caller frees c next */
}

int h3_name_is(nghttp3_rcbuf *name, const char *want)
{
    nghttp3_vec n = nghttp3_rcbuf_get_buf(name);

    return n.len == strlen(want) && memcmp(n.base, want, n.len) == 0;
}
