/* SPDX-License-Identifier: Apache-2.0 */
/*
 * object — what sslquic hangs off an SSL * to make it a QUIC object.
 *
 * Every listener, domain, connection and stream handle is an ordinary SSL
 * made with SSL_new on the application's SSL_CTX; its QUIC state is an
 * sslq_obj in an ex_data slot whose free callback tears the state down when
 * the SSL's last reference goes (so SSL_free, SSL_up_ref and ex_data keep
 * their native meaning).  A connection's SSL is also the one the TLS shim
 * runs the handshake on, so SSL_get0_alpn_selected, SSL_get_servername or
 * SSL_get_verify_result work on it natively.
 *
 * Ownership: the SSL owns its sslq_obj.  Objects reference each other
 * through SSL references (SSL_up_ref): a connection holds its listener, a
 * stream its connection, so freeing handles in any order is safe.  Every
 * object holds a reference on the engine (lock + port) it lives under.
 */
#ifndef SSLQUIC_OBJECT_H
#define SSLQUIC_OBJECT_H

#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "conn.h"
#include "reactor.h"
#include "sslquic/sslquic.h"

typedef enum sslq_obj_kind {
    SSLQ_OBJ_DOMAIN = 1,
    SSLQ_OBJ_LISTENER,
    SSLQ_OBJ_CONN,
    SSLQ_OBJ_STREAM,
} sslq_obj_kind;

typedef struct sslq_obj {
    sslq_obj_kind kind;
    SSL *ssl;
    sslq_engine *eng;
    int blocking;        /* SSL_set_blocking_mode */
    int blocking_set;    /* set explicitly (else follows the BIO) */
    int last_error;      /* SSL_ERROR_* of the last I/O call */
    uint64_t event_mode; /* SSL_VALUE_EVENT_HANDLING_MODE_* */
    BIO *rbio, *wbio;    /* the network BIOs (listener, client connection) */
    size_t aon_done;     /* bytes of an unfinished whole write appended */
} sslq_obj;

struct sslq_conn_obj;

typedef struct sslq_listener_obj {
    sslq_obj base;
    SSL_CTX *ctx;
    uint64_t flags;
    int client_only;     /* made on a client context: never accepts */
    int listening;
    uint64_t max_pending;
    struct sslq_conn_obj *pending; /* not yet accepted (handshaking) */
    struct sslq_conn_obj *ready_head, *ready_tail; /* handshake done */
    size_t npending, nready;
    SSL *domain;         /* the domain it was made from, referenced */
    uint64_t domain_flags; /* its own (domain) or its domain's or context's */
} sslq_listener_obj;

typedef struct sslq_conn_obj {
    sslq_obj base;
    sslq_conn *conn;     /* NULL until the client connects */
    int is_server;
    int accepted;        /* handed to the application */
    int from_listener;   /* made by SSL_new_from_listener */
    SSL *listener;       /* referenced once accepted / made from it */
    struct sockaddr_storage peer; /* client: SSL_set1_initial_peer_addr */
    socklen_t peerlen;
    void (*msg_cb)(int, int, int, const void *, size_t, SSL *, void *);
    sslq_stream *dflt;   /* the default stream, if any */
    uint32_t dflt_mode;
    int incoming_policy;
    uint64_t incoming_aec;
    int dflt_taken;      /* the default stream slot was used once */
    int shutdown_started;
    int dead;            /* closed before acceptance: reap */
    struct sslq_conn_obj *next; /* listener's pending / ready list */
} sslq_conn_obj;

typedef struct sslq_stream_obj {
    sslq_obj base;
    SSL *conn_ssl;       /* referenced */
    sslq_stream *s;
} sslq_stream_obj;



/* The QUIC object of |ssl|, or NULL for NULL or a plain TLS SSL. */
sslq_obj *sslq_obj_get(const SSL *ssl);

/* Attaches |obj| to |ssl| (which then owns it). 0 or SSLQ_ERR_NOMEM. */
int sslq_obj_attach(SSL *ssl, sslq_obj *obj);

/* The connection object of a connection or stream handle, or NULL. */
sslq_conn_obj *sslq_obj_conn(const SSL *ssl);

/* The ex_data index of SSL_CTX marks: the QUIC role of a context. */
enum { SSLQ_CTX_NONE = 0, SSLQ_CTX_CLIENT = 1, SSLQ_CTX_SERVER = 2,
       SSLQ_CTX_CLIENT_THREAD = 3 };
int sslq_ctx_role(const SSL_CTX *ctx);
int sslq_ctx_set_role(SSL_CTX *ctx, int role);
/* The QUIC role of a context (SSLQ_CTX_*), without its domain flags. */
int sslq_ctx_quic_role(const SSL_CTX *ctx);
/* The context's domain flags (SSL_DOMAIN_FLAG_*), and |flags| checked and
 * completed the way SSL_CTX_set_domain_flags takes them: 0 and the result
 * in |*out|, or an SSLQ_R_* reason. */
uint64_t sslq_ctx_domain_flags(const SSL_CTX *ctx);
int sslq_domain_flags_normalize(uint64_t flags, uint64_t *out);

/* Teardown per kind (object.c calls them from the ex_data free callback). */
void sslq_listener_teardown(sslq_listener_obj *l);
void sslq_connobj_teardown(sslq_conn_obj *c);
void sslq_streamobj_teardown(sslq_stream_obj *s);

#endif /* SSLQUIC_OBJECT_H */
