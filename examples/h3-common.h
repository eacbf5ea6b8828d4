/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-common: the glue between an nghttp3 connection and OpenSSL 3.5's QUIC
 * stream objects, shared by h3-server and h3-client.
 *
 * An h3_conn owns one nghttp3_conn and the SSL stream objects it carries;
 * the QUIC connection SSL belongs to the caller.  Each h3_stream's app
 * pointer is the program's per-request state, made by the new_app hook (or
 * set by the program) and handed to the free_app hook when the stream ends.
 * OpenSSL's API does not report ACKs, so bytes count as acknowledged to
 * nghttp3 once SSL_write_ex has accepted them: the QUIC stack holds its own
 * copy from then on.  Written for nghttp3 0.8 and 1.x alike.
 *
 * The files of the two examples:
 *   h3-server.c, h3-client.c  the QUIC side of each: connections, polling
 *   h3-files.c, h3-fetch.c    the HTTP side of each: requests, responses
 *   h3-common.c, h3-poll.c    this glue, and the SSL_poll array
 */
#ifndef H3_COMMON_H
#define H3_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nghttp3/nghttp3.h>
#include <openssl/ssl.h>

#define H3_ALPN "\x02h3"
#define H3_MAX_FIELD_SECTION 16384

struct h3_stream {
    SSL *ssl;
    int64_t id;
    int bidi;     /* a request stream (else a unidirectional one) */
    int rdone;    /* nothing more to read: FIN, reset or given up */
    int wdone;    /* nothing more to write */
    int fin_sent; /* the write side ended with a FIN, not a reset */
    int blocked;  /* SSL_write_ex had no room: waiting for W */
    int resume;   /* the program's body reader may continue */
    uint64_t rev; /* what SSL_poll last reported */
    void *app;
};

#define H3_MAX_STREAMS 160 /* per connection, requests and control */

struct h3_conn {
    SSL *ssl;
    nghttp3_conn *h3;
    struct h3_stream *s[H3_MAX_STREAMS];
    size_t n, nbidi;
    uint64_t rev;
    int closing;          /* the program is closing it: only ECD is polled */
    int failed;           /* nghttp3 reported a connection error ... */
    uint64_t err;         /* ... with this HTTP/3 error code */
    struct h3_conn *next; /* the program's list */
    void *(*new_app)(struct h3_stream *s); /* for the peer's requests */
    void (*free_app)(void *app);
};

/* The SSL_poll array; each item names the rev field its reports go to. */
struct h3_poll {
    struct h3_item {
        SSL_POLL_ITEM it;
        uint64_t *rev;
    } * it;
    size_t n, cap;
};

/* Makes the nghttp3 side of c (conn_user_data is c) and opens the control
 * and QPACK streams; cb's begin_headers and reset_stream are supplied here.
 * 0 or -1. */
int h3_conn_init(struct h3_conn *c, SSL *ssl, int server,
                 const nghttp3_callbacks *cb);
struct h3_stream *h3_add_stream(struct h3_conn *c, SSL *ssl);
struct h3_stream *h3_find(struct h3_conn *c, int64_t id);
/* Takes the peer's new streams; past max_bidi requests they are refused. */
void h3_accept(struct h3_conn *c, size_t max_bidi);
/* Handles each stream's rev, then writes what nghttp3 has; -1 on error. */
int h3_step(struct h3_conn *c);
/* Ends and frees every request stream both of whose sides are done; with
 * all, every stream and the nghttp3 connection. */
void h3_reap(struct h3_conn *c, int all);

/* Whether a header field's name is want (nghttp3 hands names lowercase). */
int h3_name_is(nghttp3_rcbuf *name, const char *want);

/* The SSL_poll array (h3-poll.c).  h3_poll_conn adds the connection
 * (events ev, or ECD alone once closing) and what each of its streams
 * waits for. */
int h3_poll_add(struct h3_poll *p, SSL *ssl, uint64_t ev, uint64_t *rev);
int h3_poll_conn(struct h3_poll *p, struct h3_conn *c, uint64_t ev);
/* Waits up to ms, then ORs each report into its rev field. */
int h3_poll_wait(struct h3_poll *p, long ms);

/* A header field for an nghttp3_nv array (nghttp3 copies them). */
#define H3_NV(name, value)                                                     \
    {                                                                          \
        (uint8_t *)(name), (uint8_t *)(value), strlen(name), strlen(value),    \
            NGHTTP3_NV_FLAG_NONE                                               \
    }

#endif /* H3_COMMON_H */
