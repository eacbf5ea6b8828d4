/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn_api — the public calls on connections and streams: creating and
 * connecting client connections, the default stream, reading and writing,
 * stream objects, shutdown and close information.
 *
 * Every call resolves its SSL to an object, takes the engine lock, does its
 * work on conn.c's connection and streams, and either returns or waits
 * (blocking mode) through reactor.c until the work can go on.  Failures set
 * the object's SSL_get_error code and, for real errors, an ERR reason.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <openssl/err.h>

#include "error.h"
#include "impl.h"

/* ---- objects ---------------------------------------------------------------- */

sslq_conn_obj *sslq_connobj_new(SSL *ssl, sslq_engine *eng, int is_server)
{
    sslq_conn_obj *co = calloc(1, sizeof(*co));

    if (co == NULL)
        return NULL;
    co->base.kind = SSLQ_OBJ_CONN;
    /* INHERIT (from the domain/listener): OpenSSL 3.5 reports 0 too. */
    co->base.event_mode = SSL_VALUE_EVENT_HANDLING_MODE_INHERIT;
    co->is_server = is_server;
    co->dflt_mode = SSL_DEFAULT_STREAM_MODE_AUTO_BIDI;
    co->incoming_policy = SSL_INCOMING_STREAM_POLICY_AUTO;
    if (eng != NULL) {
        sslq_engine_up(eng);
        co->base.eng = eng;
    } else if (sslq_engine_new(&co->base.eng) != 0) {
        free(co);
        return NULL;
    }
    if (sslq_obj_attach(ssl, &co->base) != 0) {
        sslq_engine_down(co->base.eng);
        free(co);
        return NULL;
    }
    return co;
}

void sslq_connobj_teardown(sslq_conn_obj *co)
{
    sslq_engine *eng = co->base.eng;
    sslq_port *port = sslq_engine_port(eng);
    SSL *listener = co->listener;

    /* A standalone client owns its engine: its assist thread goes first. */
    if (!co->from_listener && !co->is_server)
        sslq_engine_stop_assist(eng);
    sslq_engine_lock(eng);
    if (co->conn != NULL && port != NULL) {
        /* Freed without a shutdown: tell the peer at once rather than let
         * it wait for the idle timeout. */
        if (sslq_conn_state(co->conn) < SSLQ_CONN_CLOSING) {
            sslq_conn_close(co->conn, 1, 0, NULL, sslq_now());
            sslq_port_conn_touch(port, co->conn);
            sslq_port_flush(port, sslq_now());
        }
        sslq_port_conn_free(port, co->conn);
        co->conn = NULL;
    }
    sslq_engine_unlock(eng);
    sslq_obj_release_bios(&co->base);
    sslq_engine_down(eng);
    free(co);
    if (listener != NULL)
        SSL_free(listener);
}

void sslq_streamobj_teardown(sslq_stream_obj *so)
{
    sslq_engine *eng = so->base.eng;
    sslq_conn_obj *co = sslq_obj_conn(so->conn_ssl);

    sslq_engine_lock(eng);
    if (so->s != NULL && co != NULL && co->conn != NULL) {
        /* OpenSSL 3.5: a stream freed before it was concluded is reset
         * (RESET_STREAM 0), one freed unread gets STOP_SENDING 0. */
        if (so->s->send_part == SSLQ_PART_OPEN && !so->s->fin_wanted)
            sslq_stream_reset(so->s, 0);
        sslq_stream_release(so->s, 0);
        if (sslq_engine_port(eng) != NULL)
            sslq_port_conn_touch(sslq_engine_port(eng), co->conn);
    }
    sslq_engine_unlock(eng);
    sslq_engine_down(eng);
    SSL_free(so->conn_ssl);
    free(so);
}

/* A handle for |s| on |co|'s connection. */
static SSL *stream_handle_new(sslq_conn_obj *co, sslq_stream *s)
{
    SSL *ssl = SSL_new(SSL_get_SSL_CTX(co->base.ssl));
    sslq_stream_obj *so = calloc(1, sizeof(*so));

    if (ssl == NULL || so == NULL || !SSL_up_ref(co->base.ssl)) {
        SSL_free(ssl);
        free(so);
        return NULL;
    }
    so->base.kind = SSLQ_OBJ_STREAM;
    so->base.event_mode = SSL_VALUE_EVENT_HANDLING_MODE_INHERIT;
    so->base.blocking = co->base.blocking;
    so->base.blocking_set = 1;
    so->conn_ssl = co->base.ssl;
    so->s = s;
    sslq_engine_up(co->base.eng);
    so->base.eng = co->base.eng;
    if (sslq_obj_attach(ssl, &so->base) != 0) {
        sslq_engine_down(so->base.eng);
        SSL_free(co->base.ssl);
        free(so);
        SSL_free(ssl);
        return NULL;
    }
    s->handle = ssl;
    return ssl;
}

/* ---- helpers ------------------------------------------------------------ */

/* A NULL handle: libssl would crash, sslquic raises and returns |rv|. */
static int null_param(int rv)
{
    SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
    return rv;
}

static sslq_port *port_of(sslq_conn_obj *co)
{
    return sslq_engine_port(co->base.eng);
}

static void touch(sslq_conn_obj *co)
{
    if (co->conn != NULL && port_of(co) != NULL)
        sslq_port_conn_touch(port_of(co), co->conn);
}

static int implicit(const sslq_obj *o)
{
    return o->event_mode != SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT;
}

static int fail(sslq_obj *o, int err, int reason)
{
    o->last_error = err;
    if (reason)
        SSLQ_RAISE(reason);
    return 0;
}

static int conn_closed(const sslq_conn_obj *co)
{
    return co->conn != NULL && sslq_conn_state(co->conn) >= SSLQ_CONN_CLOSING;
}

static int conn_established(const sslq_conn_obj *co)
{
    return co->conn != NULL &&
           sslq_conn_state(co->conn) == SSLQ_CONN_ESTABLISHED;
}

/* Whether peer streams are refused: with REJECT always; with AUTO once a
 * default stream exists in an AUTO_* mode (the application is then assumed
 * not to expect other streams), as OpenSSL 3.5 does. */
static int incoming_rejected(const sslq_conn_obj *co)
{
    if (co->incoming_policy == SSL_INCOMING_STREAM_POLICY_AUTO)
        return co->dflt != NULL &&
               co->dflt_mode != SSL_DEFAULT_STREAM_MODE_NONE;
    return co->incoming_policy == SSL_INCOMING_STREAM_POLICY_REJECT;
}

/* Tells the connection; called whenever an input of the rule changes. */
static void update_reject(sslq_conn_obj *co)
{
    if (co->conn != NULL)
        sslq_conn_set_incoming_reject(co->conn, incoming_rejected(co),
                                      co->incoming_aec);
}

/* The peer address for a client: SSL_set1_initial_peer_addr, or the
 * address a connected socket talks to. */
static int peer_address(sslq_conn_obj *co, struct sockaddr_storage *ss,
                        socklen_t *len)
{
    int fd;

    if (co->peerlen > 0) {
        memcpy(ss, &co->peer, co->peerlen);
        *len = co->peerlen;
        return 1;
    }
    fd = co->base.rbio ? (int)BIO_get_fd(co->base.rbio, NULL) : -1;
    *len = sizeof(*ss);
    return fd >= 0 && getpeername(fd, (struct sockaddr *)ss, len) == 0;
}

/* Creates the client's QUIC connection on first use. */
static int conn_start(sslq_conn_obj *co)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    sslq_port *port;
    int rv;

    if (co->conn != NULL)
        return 1;
    if (co->is_server && !co->from_listener)
        return fail(&co->base, SSL_ERROR_SSL, SSLQ_R_NOT_CONNECTED);
    port = port_of(co);
    if (port == NULL || sslq_port_udp(port) == NULL)
        return fail(&co->base, SSL_ERROR_SSL, SSLQ_R_NO_BIO);
    if (!peer_address(co, &ss, &sslen))
        return fail(&co->base, SSL_ERROR_SSL, SSLQ_R_PEER_ADDRESS_NOT_SET);
    rv = sslq_port_connect(port, co->base.ssl, (struct sockaddr *)&ss, sslen,
                           &co->conn, sslq_now());
    if (rv != 0)
        return fail(&co->base, SSL_ERROR_SSL, sslq_err_reason(rv));
    co->is_server = 0;
    update_reject(co);
    if (co->msg_cb != NULL)
        sslq_conn_set_msg_callback(co->conn, co->msg_cb);
    /* Like OpenSSL 3.5, every connection PINGs its peer before the idle
     * timeout while it is being driven: a peer that has moved (NAT
     * rebinding) is found again, and a quiet connection stays up. */
    sslq_conn_enable_keepalive(co->conn);
    /* OSSL_QUIC_client_thread_method or a thread-assisted context: a
     * background thread keeps timers, acknowledgements and keep-alive PINGs
     * going between calls. */
    if (!co->from_listener &&
        (sslq_ctx_quic_role(SSL_get_SSL_CTX(co->base.ssl)) ==
             SSLQ_CTX_CLIENT_THREAD ||
         (sslq_ctx_domain_flags(SSL_get_SSL_CTX(co->base.ssl)) &
          SSL_DOMAIN_FLAG_THREAD_ASSISTED))) {
        if (sslq_engine_start_assist(co->base.eng) != 0)
            return fail(&co->base, SSL_ERROR_SSL, SSLQ_R_INTERNAL_ERROR);
    }
    touch(co);
    return 1;
}

/* Runs the engine until |ready| or, without blocking, one step.  Returns 1
 * when ready, 0 when the caller should report WANT_*, -1 when there is
 * nothing to wait on. */
static int await(sslq_obj *o, int (*ready)(void *), void *arg)
{
    int rv;

    if (sslq_obj_blocking(o)) {
        rv = sslq_engine_wait(o->eng, ready, arg, UINT64_MAX);
        if (rv < 0) {
            SSLQ_RAISE(SSLQ_R_NO_BIO);
            return -1;
        }
        return rv;
    }
    if (!ready(arg) && implicit(o))
        sslq_engine_tick(o->eng);
    return ready(arg);
}

static int handshake_over(void *arg)
{
    sslq_conn_obj *co = arg;

    return co->conn == NULL || sslq_conn_state(co->conn) != SSLQ_CONN_HANDSHAKE;
}

static int handshake_failed(sslq_conn_obj *co)
{
    const sslq_close_info *ci = sslq_conn_close_info(co->conn);

    co->base.last_error = SSL_ERROR_SSL;
    SSLQ_RAISE(ci->code == 0x100 + 120 ? SSLQ_R_NO_APPLICATION_PROTOCOL
                                       : SSLQ_R_HANDSHAKE_FAILED);
    return 0; /* as OpenSSL 3.5: the connection ended in a controlled way */
}

/* SSL_connect / SSL_do_handshake on a connection: 1 done, -1 otherwise. */
static int conn_handshake(sslq_conn_obj *co)
{
    int rv = -1;

    sslq_engine_lock(co->base.eng);
    if (!conn_start(co)) {
        rv = 0; /* failed before anything started */
        goto out;
    }
    if (conn_established(co)) {
        rv = 1;
        goto out;
    }
    if (await(&co->base, handshake_over, co) < 0) {
        co->base.last_error = SSL_ERROR_SSL;
        goto out;
    }
    if (conn_established(co))
        rv = 1;
    else if (conn_closed(co))
        rv = handshake_failed(co);
    else
        co->base.last_error = SSL_ERROR_WANT_READ;
out:
    if (rv == 1)
        co->base.last_error = SSL_ERROR_NONE;
    sslq_engine_unlock(co->base.eng);
    return rv;
}

/* ---- connections ------------------------------------------------------------ */

SSL *SSLQ_new(SSL_CTX *ctx)
{
    int role = sslq_ctx_quic_role(ctx);
    SSL *ssl;

    if (role == SSLQ_CTX_NONE)
        return SSL_new(ctx);
    if (role == SSLQ_CTX_SERVER) {
        /* Server connections come from a listener. */
        SSLQ_RAISE(SSLQ_R_WRONG_METHOD);
        return NULL;
    }
    ssl = SSL_new(ctx);
    if (ssl == NULL)
        return NULL;
    if (sslq_connobj_new(ssl, NULL, 0) == NULL) {
        SSL_free(ssl);
        SSLQ_RAISE(SSLQ_R_INTERNAL_ERROR);
        return NULL;
    }
    return ssl;
}

void SSLQ_free(SSL *ssl)
{
    SSL_free(ssl);
}

int SSLQ_clear(SSL *s)
{
    if (s == NULL)
        return null_param(0);
    if (sslq_obj_get(s) != NULL) {
        SSLQ_RAISE(SSLQ_R_OPERATION_NOT_SUPPORTED);
        return 0;
    }
    return SSL_clear(s);
}

int SSLQ_is_connection(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    /* OpenSSL 3.5 also queues an error when asked about a listener. */
    if (o != NULL && (o->kind == SSLQ_OBJ_LISTENER || o->kind == SSLQ_OBJ_DOMAIN))
        SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
    return o != NULL && o->kind == SSLQ_OBJ_CONN;
}

SSL *SSLQ_get0_connection(SSL *s)
{
    sslq_conn_obj *co = sslq_obj_conn(s);

    if (co != NULL)
        return co->base.ssl;
    if (sslq_obj_get(s) == NULL)
        return s;
    SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
    return NULL;
}

int SSLQ_set1_initial_peer_addr(SSL *s, const BIO_ADDR *addr)
{
    sslq_conn_obj *co = sslq_obj_conn(s);
    unsigned char raw[16];
    size_t rawlen = sizeof(raw);
    int family;

    if (co == NULL || sslq_obj_get(s)->kind != SSLQ_OBJ_CONN) {
        SSLQ_RAISE(s == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                             : SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    if (co->conn != NULL) {
        SSLQ_RAISE(SSLQ_R_ALREADY_CONNECTED);
        return 0;
    }
    if (addr == NULL) {
        co->peerlen = 0;
        return 1;
    }
    family = BIO_ADDR_family(addr);
    if ((family != AF_INET && family != AF_INET6) ||
        !BIO_ADDR_rawaddress(addr, NULL, &rawlen) || rawlen > sizeof(raw) ||
        !BIO_ADDR_rawaddress(addr, raw, &rawlen)) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    memset(&co->peer, 0, sizeof(co->peer));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&co->peer;

        sin->sin_family = AF_INET;
        sin->sin_port = BIO_ADDR_rawport(addr);
        memcpy(&sin->sin_addr, raw, 4);
        co->peerlen = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&co->peer;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = BIO_ADDR_rawport(addr);
        memcpy(&sin6->sin6_addr, raw, 16);
        co->peerlen = sizeof(*sin6);
    }
    return 1;
}

void SSLQ_set_connect_state(SSL *s)
{
    sslq_conn_obj *co = sslq_obj_conn(s);

    if (s == NULL)
        return;
    if (sslq_obj_get(s) == NULL) {
        SSL_set_connect_state(s);
        return;
    }
    /* A connection made from a listener connects out once told to. */
    if (co != NULL && co->from_listener && co->conn == NULL)
        co->is_server = 0;
}

void SSLQ_set_accept_state(SSL *s)
{
    if (s != NULL && sslq_obj_get(s) == NULL)
        SSL_set_accept_state(s);
}

int SSLQ_connect(SSL *ssl)
{
    sslq_obj *o = sslq_obj_get(ssl);
    sslq_conn_obj *co;

    if (ssl == NULL)
        return null_param(-1);
    if (o == NULL)
        return SSL_connect(ssl);
    if (o->kind != SSLQ_OBJ_CONN) {
        o->last_error = SSL_ERROR_SSL;
        SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    co = (sslq_conn_obj *)o;
    if (co->from_listener && co->conn == NULL) {
        sslq_listener_obj *l =
            (sslq_listener_obj *)sslq_obj_get(co->listener);

        /* A server context cannot start a client handshake. */
        if (l == NULL || !l->client_only) {
            o->last_error = SSL_ERROR_SSL;
            SSLQ_RAISE(SSLQ_R_WRONG_METHOD);
            return 0;
        }
        co->is_server = 0;
    }
    return conn_handshake(co);
}

int SSLQ_do_handshake(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return null_param(-1);
    if (o == NULL)
        return SSL_do_handshake(s);
    if (o->kind == SSLQ_OBJ_STREAM)
        return conn_handshake(sslq_obj_conn(s));
    if (o->kind != SSLQ_OBJ_CONN) {
        o->last_error = SSL_ERROR_SSL;
        SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    if (((sslq_conn_obj *)o)->from_listener)
        return SSLQ_connect(s);
    return conn_handshake((sslq_conn_obj *)o);
}

int SSLQ_accept(SSL *ssl)
{
    sslq_obj *o = sslq_obj_get(ssl);

    if (ssl == NULL)
        return null_param(-1);
    if (o == NULL)
        return SSL_accept(ssl);
    if (o->kind != SSLQ_OBJ_CONN || !((sslq_conn_obj *)o)->is_server) {
        o->last_error = SSL_ERROR_SSL;
        SSLQ_RAISE(o->kind == SSLQ_OBJ_CONN ? SSLQ_R_WRONG_METHOD
                                            : SSLQ_R_NOT_A_CONNECTION);
        return -1;
    }
    return conn_handshake((sslq_conn_obj *)o);
}

/* ---- the default stream ----------------------------------------------------- */

/* Takes the first queued peer stream of the default mode's type. */
static sslq_stream *adopt_incoming(sslq_conn_obj *co)
{
    sslq_stream *s;

    if (co->conn == NULL || co->dflt_taken ||
        co->dflt_mode == SSL_DEFAULT_STREAM_MODE_NONE ||
        sslq_conn_accept_queue_len(co->conn) == 0)
        return NULL;
    s = sslq_conn_accept_stream(co->conn);
    if (s == NULL)
        return NULL;
    co->dflt = s;
    co->dflt_taken = 1;
    update_reject(co);
    return s;
}

/* The stream a connection-level read uses, or NULL (none yet). */
static sslq_stream *read_stream(sslq_conn_obj *co)
{
    return co->dflt != NULL ? co->dflt : adopt_incoming(co);
}

/* The stream a connection-level write uses, opened on first need. */
static int write_stream(sslq_conn_obj *co, sslq_stream **out)
{
    int rv;

    if (co->dflt != NULL || adopt_incoming(co) != NULL) {
        *out = co->dflt;
        return 0;
    }
    if (co->dflt_taken || co->dflt_mode == SSL_DEFAULT_STREAM_MODE_NONE)
        return SSLQ_R_NO_DEFAULT_STREAM;
    rv = sslq_conn_open_stream(co->conn,
                               co->dflt_mode == SSL_DEFAULT_STREAM_MODE_AUTO_UNI,
                               &co->dflt);
    if (rv == SSLQ_ERR_WOULD_BLOCK)
        return -1;
    if (rv != 0)
        return SSLQ_R_STREAM_LIMIT_REACHED;
    co->dflt_taken = 1;
    update_reject(co);
    *out = co->dflt;
    return 0;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct io_ctx {
    sslq_obj *o;
    sslq_conn_obj *co;
    sslq_stream *s;
} io_ctx;

static sslq_stream *io_stream(io_ctx *io, int for_write)
{
    if (io->o->kind == SSLQ_OBJ_STREAM)
        return ((sslq_stream_obj *)io->o)->s;
    if (for_write) {
        sslq_stream *s = NULL;

        return write_stream(io->co, &s) == 0 ? s : NULL;
    }
    return read_stream(io->co);
}

static int readable(void *arg)
{
    io_ctx *io = arg;
    sslq_stream *s;

    if (io->co->conn == NULL)
        return 1;
    if (sslq_conn_state(io->co->conn) == SSLQ_CONN_HANDSHAKE)
        return 0;
    if (conn_closed(io->co))
        return 1;
    s = io_stream(io, 0);
    return s != NULL && (sslq_bufq_len(&s->recv) > 0 || s->fin_received ||
                         s->recv_part != SSLQ_PART_OPEN);
}

static int resolve(SSL *ssl, io_ctx *io)
{
    if (ssl == NULL) {
        /* libssl itself would crash here; sslquic says no. */
        io->o = NULL;
        io->co = NULL;
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return -1;
    }
    io->o = sslq_obj_get(ssl);
    io->co = sslq_obj_conn(ssl);
    io->s = NULL;
    if (io->o == NULL)
        return 0;
    if (io->co == NULL) {
        /* A listener or domain carries no data. */
        fail(io->o, SSL_ERROR_SSL, SSLQ_R_NOT_A_CONNECTION);
        return -1;
    }
    return 1;
}

/* resolve() for the calls that need the connection itself (not one of its
 * streams): 1, or 0 with one reason queued (NULL, a listener or domain, a
 * stream, or an SSL that is no QUIC object). */
static int resolve_conn(SSL *ssl, io_ctx *io)
{
    int r = resolve(ssl, io);

    if (r < 0)
        return 0; /* resolve() queued the reason */
    if (r == 0 || io->o->kind != SSLQ_OBJ_CONN) {
        SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    return 1;
}

static int do_read(SSL *ssl, void *buf, size_t num, size_t *readbytes,
                   int peek)
{
    io_ctx io;
    sslq_stream *s;
    size_t n = 0;
    int fin = 0, rv = 0, r;

    if (readbytes != NULL)
        *readbytes = 0;
    r = resolve(ssl, &io);
    if (r == 0)
        return peek ? SSL_peek_ex(ssl, buf, num, readbytes)
                    : SSL_read_ex(ssl, buf, num, readbytes);
    if (r < 0)
        return 0;
    if (buf == NULL && num > 0)
        return fail(io.o, SSL_ERROR_SSL, SSLQ_R_PASSED_NULL_PARAMETER);
    sslq_engine_lock(io.o->eng);
    if (!conn_start(io.co)) {
        io.o->last_error = SSL_ERROR_SSL;
        goto out;
    }
    for (;;) {
        s = conn_established(io.co) || conn_closed(io.co) ? io_stream(&io, 0)
                                                          : NULL;
        if (s != NULL) {
            r = sslq_stream_read(s, buf, num, peek, &n, &fin);
            if (r == 0 && n > 0) {
                *readbytes = n;
                rv = 1;
                touch(io.co);
                if (!peek && implicit(io.o))
                    sslq_engine_tick(io.o->eng); /* send window updates */
                io.o->last_error = SSL_ERROR_NONE;
                break;
            }
            if (r == 0 && fin) {
                fail(io.o, SSL_ERROR_ZERO_RETURN, 0);
                break;
            }
            if (r == SSLQ_ERR_PROTO) {
                if (s->recv_part == SSLQ_PART_NONE)
                    fail(io.o, SSL_ERROR_SSL, SSLQ_R_STREAM_SEND_ONLY);
                else if (s->recv_part == SSLQ_PART_CONN_CLOSED)
                    fail(io.o, SSL_ERROR_SSL, SSLQ_R_CONN_CLOSED);
                else
                    fail(io.o, SSL_ERROR_SSL, SSLQ_R_STREAM_RESET);
                break;
            }
        } else if (conn_closed(io.co)) {
            fail(io.o, SSL_ERROR_SSL, SSLQ_R_CONN_CLOSED);
            break;
        } else if (io.co->conn != NULL && conn_established(io.co) &&
                   (io.co->dflt_taken ||
                    io.co->dflt_mode == SSL_DEFAULT_STREAM_MODE_NONE) &&
                   io.o->kind == SSLQ_OBJ_CONN && io.co->dflt == NULL) {
            fail(io.o, SSL_ERROR_SSL, SSLQ_R_NO_DEFAULT_STREAM);
            break;
        }
        r = await(io.o, readable, &io);
        if (r < 0) {
            io.o->last_error = SSL_ERROR_SSL;
            break;
        }
        if (r == 0) {
            /* Not ready: one more look in case the step brought data. */
            s = conn_established(io.co) ? io_stream(&io, 0) : NULL;
            if (s == NULL || (sslq_bufq_len(&s->recv) == 0 &&
                              !s->fin_received &&
                              s->recv_part == SSLQ_PART_OPEN)) {
                fail(io.o, SSL_ERROR_WANT_READ, 0);
                break;
            }
        }
    }
out:
    sslq_engine_unlock(io.o->eng);
    return rv;
}

int SSLQ_read_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes)
{
    size_t dummy;

    return do_read(ssl, buf, num, readbytes ? readbytes : &dummy, 0);
}

int SSLQ_peek_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes)
{
    size_t dummy;

    return do_read(ssl, buf, num, readbytes ? readbytes : &dummy, 1);
}

/* SSL_read / SSL_peek: the int-sized forms of do_read. */
static int read_int(SSL *ssl, void *buf, int num, int peek)
{
    size_t n = 0;

    if (ssl == NULL)
        return null_param(-1);
    if (sslq_obj_get(ssl) == NULL)
        return peek ? SSL_peek(ssl, buf, num) : SSL_read(ssl, buf, num);
    if (num < 0) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return -1;
    }
    return do_read(ssl, buf, (size_t)num, &n, peek) ? (int)n : -1;
}

int SSLQ_read(SSL *ssl, void *buf, int num)
{
    return read_int(ssl, buf, num, 0);
}

int SSLQ_peek(SSL *ssl, void *buf, int num)
{
    return read_int(ssl, buf, num, 1);
}

int SSLQ_pending(const SSL *s)
{
    io_ctx io;
    sslq_stream *st;
    uint64_t n = 0;
    int r;

    if (s == NULL)
        return 0;
    r = resolve((SSL *)s, &io);
    if (r <= 0)
        return r == 0 ? SSL_pending(s) : 0;
    sslq_engine_lock(io.o->eng);
    st = io.co->conn != NULL ? io_stream(&io, 0) : NULL;
    if (st != NULL)
        n = sslq_bufq_len(&st->recv);
    sslq_engine_unlock(io.o->eng);
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

int SSLQ_has_pending(const SSL *s)
{
    if (s == NULL)
        return 0;
    if (sslq_obj_get(s) == NULL)
        return SSL_has_pending(s);
    return SSLQ_pending(s) > 0;
}

/* ---- writing ---------------------------------------------------------------- */

typedef struct write_ctx {
    io_ctx io;
    sslq_stream *s;
} write_ctx;

static int writable(void *arg)
{
    write_ctx *w = arg;

    if (w->io.co->conn == NULL || conn_closed(w->io.co))
        return 1;
    if (!conn_established(w->io.co))
        return 0;
    if (w->s == NULL)
        return io_stream(&w->io, 1) != NULL;
    return w->s->send_part != SSLQ_PART_OPEN ||
           sslq_bufq_len(&w->s->send) < w->s->send_cap;
}

static int write_fail_reason(const sslq_stream *s)
{
    switch (s->send_part) {
    case SSLQ_PART_NONE:
        return SSLQ_R_STREAM_RECV_ONLY;
    case SSLQ_PART_CONN_CLOSED:
        return SSLQ_R_CONN_CLOSED;
    case SSLQ_PART_RESET_LOCAL:
    case SSLQ_PART_RESET_REMOTE:
        return SSLQ_R_STREAM_RESET;
    default:
        return SSLQ_R_STREAM_FINISHED;
    }
}

static int partial_ok(SSL *ssl)
{
    return (SSL_get_mode(ssl) & SSL_MODE_ENABLE_PARTIAL_WRITE) != 0;
}

int SSLQ_write_ex2(SSL *ssl, const void *buf, size_t num, uint64_t flags,
                   size_t *written)
{
    write_ctx w;
    size_t done, n, dummy;
    int r, rv = 0, conclude = (flags & SSL_WRITE_FLAG_CONCLUDE) != 0;

    if (written == NULL)
        written = &dummy;
    *written = 0;
    r = resolve(ssl, &w.io);
    if (r == 0) {
        if (flags != 0) {
            SSLQ_RAISE(SSLQ_R_UNSUPPORTED_FLAGS);
            return 0;
        }
        return SSL_write_ex(ssl, buf, num, written);
    }
    if (r < 0)
        return 0;
    if ((flags & ~(uint64_t)SSL_WRITE_FLAG_CONCLUDE) != 0)
        return fail(w.io.o, SSL_ERROR_SSL, SSLQ_R_UNSUPPORTED_FLAGS);
    if (buf == NULL && num > 0)
        return fail(w.io.o, SSL_ERROR_SSL, SSLQ_R_PASSED_NULL_PARAMETER);
    sslq_engine_lock(w.io.o->eng);
    w.s = NULL;
    if (!conn_start(w.io.co)) {
        w.io.o->last_error = SSL_ERROR_SSL;
        goto out;
    }
    done = w.io.o->aon_done < num ? w.io.o->aon_done : 0;
    for (;;) {
        if (conn_established(w.io.co) && w.s == NULL) {
            if (w.io.o->kind == SSLQ_OBJ_STREAM) {
                w.s = ((sslq_stream_obj *)w.io.o)->s;
            } else {
                r = write_stream(w.io.co, &w.s);
                if (r > 0) {
                    fail(w.io.o, SSL_ERROR_SSL, r);
                    break;
                }
            }
        }
        if (conn_closed(w.io.co) && w.s == NULL) {
            fail(w.io.o, SSL_ERROR_SSL, SSLQ_R_CONN_CLOSED);
            break;
        }
        if (w.s != NULL) {
            r = sslq_stream_write(w.s, (const uint8_t *)buf + done, num - done,
                                  conclude, &n);
            done += n;
            if (n > 0 || (conclude && done == num))
                touch(w.io.co);
            if (r == SSLQ_ERR_PROTO) {
                fail(w.io.o, SSL_ERROR_SSL, write_fail_reason(w.s));
                break;
            }
            if (done == num && r == 0) {
                rv = 1;
                break;
            }
            if (done > 0 && partial_ok(ssl)) {
                rv = 1;
                break;
            }
        }
        r = await(w.io.o, writable, &w);
        if (r < 0) {
            w.io.o->last_error = SSL_ERROR_SSL;
            break;
        }
        if (r == 0) {
            fail(w.io.o, conn_established(w.io.co) ? SSL_ERROR_WANT_WRITE
                                                   : SSL_ERROR_WANT_READ,
                 0);
            break;
        }
    }
    if (rv) {
        *written = done;
        w.io.o->aon_done = 0;
        w.io.o->last_error = SSL_ERROR_NONE;
        if (implicit(w.io.o))
            sslq_engine_tick(w.io.o->eng);
    } else {
        /* Without partial writes the caller repeats the call: remember
         * what was appended so it is not appended twice. */
        w.io.o->aon_done = done;
    }
out:
    sslq_engine_unlock(w.io.o->eng);
    return rv;
}

int SSLQ_write_ex(SSL *s, const void *buf, size_t num, size_t *written)
{
    return SSLQ_write_ex2(s, buf, num, 0, written);
}

int SSLQ_write(SSL *ssl, const void *buf, int num)
{
    size_t n = 0;

    if (ssl == NULL)
        return null_param(-1);
    if (sslq_obj_get(ssl) == NULL)
        return SSL_write(ssl, buf, num);
    if (num < 0) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return -1;
    }
    return SSLQ_write_ex2(ssl, buf, (size_t)num, 0, &n) ? (int)n : -1;
}

int SSLQ_stream_conclude(SSL *ssl, uint64_t flags)
{
    io_ctx io;
    sslq_stream *s;
    size_t n;
    int r, rv = 0;

    r = resolve(ssl, &io);
    if (r <= 0) {
        if (r == 0)
            SSLQ_RAISE(ssl ? SSLQ_R_WRONG_OBJECT_TYPE
                           : SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (flags != 0)
        return fail(io.o, SSL_ERROR_SSL, SSLQ_R_UNSUPPORTED_FLAGS);
    sslq_engine_lock(io.o->eng);
    s = io.co->conn != NULL && conn_established(io.co) ? io_stream(&io, 1)
                                                       : NULL;
    if (s == NULL) {
        fail(io.o, SSL_ERROR_SSL, SSLQ_R_NO_DEFAULT_STREAM);
    } else if (s->fin_wanted && s->send_part == SSLQ_PART_OPEN) {
        fail(io.o, SSL_ERROR_SSL, SSLQ_R_STREAM_FINISHED);
    } else if (sslq_stream_write(s, NULL, 0, 1, &n) != 0) {
        fail(io.o, SSL_ERROR_SSL, write_fail_reason(s));
    } else {
        rv = 1;
        touch(io.co);
        if (implicit(io.o))
            sslq_engine_tick(io.o->eng);
    }
    sslq_engine_unlock(io.o->eng);
    return rv;
}

/* ---- streams ---------------------------------------------------------------- */

static int streams_ready(void *arg)
{
    io_ctx *io = arg;

    return io->co->conn == NULL || conn_closed(io->co) ||
           (conn_established(io->co) &&
            sslq_conn_streams_left(io->co->conn, io->s != NULL) > 0);
}

SSL *SSLQ_new_stream(SSL *s, uint64_t flags)
{
    io_ctx io;
    sslq_stream *st = NULL;
    SSL *h = NULL;
    int uni = (flags & SSL_STREAM_FLAG_UNI) != 0, r;

    if (!resolve_conn(s, &io))
        return NULL;
    /* Unknown flags are ignored, as OpenSSL 3.5 does. */
    sslq_engine_lock(io.o->eng);
    if (!conn_start(io.co))
        goto out;
    io.s = uni ? (sslq_stream *)1 : NULL; /* streams_ready: which kind */
    for (;;) {
        if (conn_closed(io.co)) {
            fail(io.o, SSL_ERROR_SSL, SSLQ_R_CONN_CLOSED);
            break;
        }
        if (conn_established(io.co)) {
            r = sslq_conn_open_stream(io.co->conn, uni, &st);
            if (r == 0)
                break;
            if (r != SSLQ_ERR_WOULD_BLOCK) {
                fail(io.o, SSL_ERROR_SSL, sslq_err_reason(r));
                break;
            }
            if (flags & SSL_STREAM_FLAG_NO_BLOCK) {
                fail(io.o, SSL_ERROR_SSL, SSLQ_R_STREAM_LIMIT_REACHED);
                break;
            }
        }
        r = sslq_obj_blocking(io.o) ? await(io.o, streams_ready, &io) : -1;
        if (r <= 0) {
            fail(io.o, SSL_ERROR_SSL,
                 conn_established(io.co) ? SSLQ_R_STREAM_LIMIT_REACHED
                                         : SSLQ_R_NOT_CONNECTED);
            break;
        }
    }
    if (st != NULL) {
        h = stream_handle_new(io.co, st);
        if (h == NULL) {
            sslq_stream_reset(st, 0);
            sslq_stream_release(st, 0);
            fail(io.o, SSL_ERROR_SSL, SSLQ_R_INTERNAL_ERROR);
        } else {
            touch(io.co);
        }
    }
out:
    sslq_engine_unlock(io.o->eng);
    return h;
}

static int stream_queued(void *arg)
{
    io_ctx *io = arg;

    return io->co->conn == NULL || conn_closed(io->co) ||
           sslq_conn_accept_queue_len(io->co->conn) > 0;
}

SSL *SSLQ_accept_stream(SSL *s, uint64_t flags)
{
    io_ctx io;
    sslq_stream *st = NULL;
    SSL *h = NULL;

    if (!resolve_conn(s, &io))
        return NULL;
    sslq_engine_lock(io.o->eng);
    if (!conn_start(io.co))
        goto out;
    if (incoming_rejected(io.co)) {
        /* OpenSSL 3.5: nothing can arrive, so asking is a mistake, and
         * says so with ERR's common reason for one. */
        fail(io.o, SSL_ERROR_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
        goto out;
    }
    if (io.co->conn != NULL && sslq_conn_accept_queue_len(io.co->conn) == 0) {
        if (sslq_obj_blocking(io.o) && !(flags & SSL_ACCEPT_STREAM_NO_BLOCK))
            await(io.o, stream_queued, &io);
        else if (implicit(io.o))
            sslq_engine_tick(io.o->eng);
    }
    st = io.co->conn != NULL ? sslq_conn_accept_stream(io.co->conn) : NULL;
    if (st != NULL) {
        /* Accepting a stream by hand ends the automatic default stream. */
        io.co->dflt_taken = 1;
        h = stream_handle_new(io.co, st);
        if (h == NULL)
            sslq_stream_release(st, 0);
    }
    io.o->last_error = h ? SSL_ERROR_NONE : SSL_ERROR_WANT_READ;
out:
    sslq_engine_unlock(io.o->eng);
    return h;
}

size_t SSLQ_get_accept_stream_queue_len(SSL *s)
{
    io_ctx io;
    size_t n = 0;

    if (resolve(s, &io) <= 0)
        return 0;
    if (io.o->kind != SSLQ_OBJ_CONN) {
        SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    sslq_engine_lock(io.o->eng);
    if (io.co->conn != NULL) {
        if (implicit(io.o))
            sslq_engine_tick(io.o->eng);
        n = sslq_conn_accept_queue_len(io.co->conn);
    }
    sslq_engine_unlock(io.o->eng);
    return n;
}

int SSLQ_set_default_stream_mode(SSL *s, uint32_t mode)
{
    sslq_obj *o = sslq_obj_get(s);
    sslq_conn_obj *co;

    if (o == NULL || o->kind != SSLQ_OBJ_CONN) {
        SSLQ_RAISE(s == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                             : SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    if (mode > SSL_DEFAULT_STREAM_MODE_AUTO_UNI) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    co = (sslq_conn_obj *)o;
    sslq_engine_lock(o->eng);
    co->dflt_mode = mode;
    update_reject(co);
    sslq_engine_unlock(o->eng);
    return 1;
}

int SSLQ_set_incoming_stream_policy(SSL *s, int policy, uint64_t aec)
{
    sslq_obj *o = sslq_obj_get(s);
    sslq_conn_obj *co;

    if (o == NULL || o->kind != SSLQ_OBJ_CONN) {
        SSLQ_RAISE(s == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                             : SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    if (policy < SSL_INCOMING_STREAM_POLICY_AUTO ||
        policy > SSL_INCOMING_STREAM_POLICY_REJECT) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    co = (sslq_conn_obj *)o;
    sslq_engine_lock(o->eng);
    co->incoming_policy = policy;
    co->incoming_aec = aec;
    update_reject(co);
    sslq_engine_unlock(o->eng);
    return 1;
}

/* The stream an identity/state call is about: a stream handle's, or a
 * connection's default stream. */
static sslq_stream *state_stream(SSL *ssl, sslq_obj **po)
{
    sslq_obj *o = sslq_obj_get(ssl);

    *po = o;
    if (o == NULL)
        return NULL;
    if (o->kind == SSLQ_OBJ_STREAM)
        return ((sslq_stream_obj *)o)->s;
    if (o->kind == SSLQ_OBJ_CONN) {
        if (((sslq_conn_obj *)o)->dflt == NULL)
            SSLQ_RAISE(SSLQ_R_NO_DEFAULT_STREAM);
        return ((sslq_conn_obj *)o)->dflt;
    }
    return NULL;
}

uint64_t SSLQ_get_stream_id(SSL *s)
{
    sslq_obj *o;
    sslq_stream *st = state_stream(s, &o);

    return st != NULL ? (uint64_t)st->id : UINT64_MAX;
}

int SSLQ_get_stream_type(SSL *s)
{
    sslq_obj *o;
    sslq_stream *st = state_stream(s, &o);
    sslq_conn_obj *co = sslq_obj_conn(s);

    if (o == NULL || o->kind == SSLQ_OBJ_LISTENER ||
        o->kind == SSLQ_OBJ_DOMAIN)
        return SSL_STREAM_TYPE_BIDI; /* a TLS object is bidirectional */
    if (st == NULL)
        return SSL_STREAM_TYPE_NONE;
    if (!sslq_stream_is_uni(st))
        return SSL_STREAM_TYPE_BIDI;
    return sslq_stream_is_local(st, co->conn ? sslq_conn_is_server(co->conn)
                                             : co->is_server)
               ? SSL_STREAM_TYPE_WRITE
               : SSL_STREAM_TYPE_READ;
}

int SSLQ_is_stream_local(SSL *s)
{
    sslq_obj *o;
    sslq_stream *st = state_stream(s, &o);
    sslq_conn_obj *co = sslq_obj_conn(s);

    if (st == NULL || co == NULL || co->conn == NULL)
        return -1;
    return sslq_stream_is_local(st, sslq_conn_is_server(co->conn));
}

static int part_state(const sslq_stream *st, enum sslq_stream_part p,
                      int fin_seen)
{
    switch (p) {
    case SSLQ_PART_NONE:
        return SSL_STREAM_STATE_WRONG_DIR;
    case SSLQ_PART_OPEN:
        return fin_seen ? SSL_STREAM_STATE_FINISHED : SSL_STREAM_STATE_OK;
    case SSLQ_PART_FINISHED:
        return SSL_STREAM_STATE_FINISHED;
    case SSLQ_PART_RESET_LOCAL:
        return SSL_STREAM_STATE_RESET_LOCAL;
    case SSLQ_PART_RESET_REMOTE:
        return SSL_STREAM_STATE_RESET_REMOTE;
    case SSLQ_PART_CONN_CLOSED:
        return SSL_STREAM_STATE_CONN_CLOSED;
    }
    (void)st;
    return SSL_STREAM_STATE_NONE;
}

/* The SSL_STREAM_STATE_* of one direction of |st|, as OpenSSL 3.5 words
 * it (under the lock). */
static int part_state_of(const sslq_stream *st, int recv)
{
    enum sslq_stream_part p = recv ? st->recv_part : st->send_part;

    /* OpenSSL 3.5 reports the connection's end over everything else. */
    if (p != SSLQ_PART_NONE && st->conn != NULL &&
        sslq_conn_state(st->conn) >= SSLQ_CONN_CLOSING)
        return SSL_STREAM_STATE_CONN_CLOSED;
    if (recv)
        return part_state(st, p,
                          st->fin_received && sslq_bufq_len(&st->recv) == 0);
    /* A sending part the peer stopped was reset by us (RESET_STREAM in
     * answer): OpenSSL 3.5 calls that RESET_LOCAL too. */
    if (p == SSLQ_PART_RESET_REMOTE)
        return SSL_STREAM_STATE_RESET_LOCAL;
    /* FINISHED once the FIN is acknowledged (ngtcp2 then closes the stream
     * or the peer's half is done too); a sent FIN alone is still OK. */
    if (p == SSLQ_PART_FINISHED && !st->closed)
        return SSL_STREAM_STATE_OK;
    return part_state(st, p, 0);
}

/* The SSL_STREAM_STATE_* of one direction of the stream |ssl| is about. */
static int stream_state(SSL *ssl, int recv)
{
    sslq_obj *o;
    sslq_stream *st = state_stream(ssl, &o);
    int rv;

    if (st == NULL)
        return SSL_STREAM_STATE_NONE;
    sslq_engine_lock(o->eng);
    rv = part_state_of(st, recv);
    sslq_engine_unlock(o->eng);
    return rv;
}

int SSLQ_get_stream_read_state(SSL *ssl)
{
    return stream_state(ssl, 1);
}

int SSLQ_get_stream_write_state(SSL *ssl)
{
    return stream_state(ssl, 0);
}

static int error_code(SSL *ssl, int recv, uint64_t *code)
{
    sslq_obj *o;
    sslq_stream *st = state_stream(ssl, &o);
    enum sslq_stream_part p;
    int rv = -1;

    if (st == NULL)
        return -1;
    sslq_engine_lock(o->eng);
    p = recv ? st->recv_part : st->send_part;
    if ((p == SSLQ_PART_RESET_LOCAL || p == SSLQ_PART_RESET_REMOTE) &&
        part_state_of(st, recv) != SSL_STREAM_STATE_CONN_CLOSED) {
        if (code != NULL)
            *code = recv ? st->recv_error : st->send_error;
        rv = 1;
    } else {
        /* OpenSSL 3.5: 0 for a direction that finished normally, -1 for
         * one still open, absent or cut by the connection's end. */
        rv = part_state_of(st, recv) == SSL_STREAM_STATE_FINISHED ? 0 : -1;
    }
    sslq_engine_unlock(o->eng);
    return rv;
}

int SSLQ_get_stream_read_error_code(SSL *ssl, uint64_t *app_error_code)
{
    return error_code(ssl, 1, app_error_code);
}

int SSLQ_get_stream_write_error_code(SSL *ssl, uint64_t *app_error_code)
{
    return error_code(ssl, 0, app_error_code);
}

int SSLQ_stream_reset(SSL *ssl, const SSL_STREAM_RESET_ARGS *args,
                      size_t args_len)
{
    sslq_obj *o;
    sslq_stream *st = state_stream(ssl, &o);
    sslq_conn_obj *co = sslq_obj_conn(ssl);
    uint64_t code = 0;
    int rv;

    if (st == NULL) {
        SSLQ_RAISE(o == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                             : SSLQ_R_NO_DEFAULT_STREAM);
        return 0;
    }
    /* OpenSSL 3.5 takes the code whatever args_len says. */
    (void)args_len;
    if (args != NULL)
        code = args->quic_error_code;
    sslq_engine_lock(o->eng);
    rv = sslq_stream_reset(st, code);
    touch(co);
    if (implicit(o))
        sslq_engine_tick(o->eng);
    sslq_engine_unlock(o->eng);
    if (rv != 0) {
        SSLQ_RAISE(write_fail_reason(st));
        return 0;
    }
    return 1;
}

/* ---- shutdown and close info --------------------------------------------- */

static int all_sent(void *arg)
{
    sslq_conn_obj *co = arg;

    if (co->conn == NULL || conn_closed(co))
        return 1;
    return sslq_conn_send_idle(co->conn);
}

static int terminated(void *arg)
{
    sslq_conn_obj *co = arg;

    return co->conn == NULL || sslq_conn_state(co->conn) == SSLQ_CONN_CLOSED;
}

static int peer_closed(void *arg)
{
    sslq_conn_obj *co = arg;

    return co->conn == NULL || sslq_conn_state(co->conn) >= SSLQ_CONN_CLOSING;
}

/* The three phases of OpenSSL 3.5's SSL_shutdown_ex: flush the streams
 * (unless NO_STREAM_FLUSH or WAIT_PEER), wait for the peer's close (with
 * WAIT_PEER), then close and wait out the closing period (not with RAPID).
 * Without blocking each phase gets one step and the call says 0 (with
 * SSL_ERROR_WANT_READ) until the connection has terminated. */
int SSLQ_shutdown_ex(SSL *ssl, uint64_t flags, const SSL_SHUTDOWN_EX_ARGS *args,
                     size_t args_len)
{
    sslq_obj *o = sslq_obj_get(ssl);
    sslq_conn_obj *co;
    uint64_t code = 0;
    const char *reason = NULL;
    int rv = 0, blocking;

    if (ssl == NULL)
        return null_param(-1);
    if (o == NULL) {
        if (flags != 0 || args != NULL) {
            SSLQ_RAISE(SSLQ_R_UNSUPPORTED_FLAGS);
            return -1;
        }
        return SSL_shutdown(ssl);
    }
    if (o->kind != SSLQ_OBJ_CONN) {
        o->last_error = SSL_ERROR_SSL;
        SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
        return -1;
    }
    co = (sslq_conn_obj *)o;
    if (args != NULL && args_len >= sizeof(args->quic_error_code))
        code = args->quic_error_code;
    if (args != NULL && args_len >= sizeof(*args))
        reason = args->quic_reason;
    blocking = sslq_obj_blocking(o) && !(flags & SSL_SHUTDOWN_FLAG_NO_BLOCK);
    sslq_engine_lock(o->eng);
    if (co->conn == NULL || terminated(co)) {
        rv = 1; /* never connected, or all over */
        goto out;
    }
    if (!co->shutdown_started) {
        if (!(flags & (SSL_SHUTDOWN_FLAG_WAIT_PEER |
                       SSL_SHUTDOWN_FLAG_NO_STREAM_FLUSH)) &&
            !all_sent(co)) {
            if (blocking)
                sslq_engine_wait(o->eng, all_sent, co, UINT64_MAX);
            else if (implicit(o))
                sslq_engine_tick(o->eng);
            if (!all_sent(co))
                goto out;
        }
        if ((flags & SSL_SHUTDOWN_FLAG_WAIT_PEER) && !peer_closed(co)) {
            if (blocking)
                sslq_engine_wait(o->eng, peer_closed, co, UINT64_MAX);
            else if (implicit(o))
                sslq_engine_tick(o->eng);
            if (!peer_closed(co))
                goto out;
        }
        co->shutdown_started = 1;
        sslq_conn_close(co->conn, 1, code, reason, sslq_now());
        touch(co);
    }
    if (blocking && !(flags & SSL_SHUTDOWN_FLAG_RAPID))
        sslq_engine_wait(o->eng, terminated, co, UINT64_MAX);
    else if (implicit(o) || (flags & SSL_SHUTDOWN_FLAG_RAPID))
        sslq_engine_tick(o->eng); /* at least send the CONNECTION_CLOSE */
    rv = terminated(co);
out:
    o->last_error = rv == 1 ? SSL_ERROR_NONE : SSL_ERROR_WANT_READ;
    sslq_engine_unlock(o->eng);
    return rv;
}

int SSLQ_shutdown(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return null_param(-1);
    if (o == NULL)
        return SSL_shutdown(s);
    return SSLQ_shutdown_ex(s, 0, NULL, 0);
}

int SSLQ_get_conn_close_info(SSL *ssl, SSL_CONN_CLOSE_INFO *info,
                             size_t info_len)
{
    sslq_conn_obj *co = sslq_obj_conn(ssl);
    const sslq_close_info *ci;
    int rv = 0;

    if (co == NULL || sslq_obj_get(ssl)->kind != SSLQ_OBJ_CONN) {
        SSLQ_RAISE(ssl == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                               : SSLQ_R_NOT_A_CONNECTION);
        return -1;
    }
    if (info == NULL || info_len < sizeof(*info)) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    sslq_engine_lock(co->base.eng);
    if (co->conn != NULL && (ci = sslq_conn_close_info(co->conn))->set) {
        memset(info, 0, sizeof(*info));
        info->error_code =
            ci->idle ? OSSL_QUIC_LOCAL_ERR_IDLE_TIMEOUT : ci->code;
        info->frame_type = ci->frame_type;
        /* Valid as long as the connection: the text lives in it. */
        info->reason = ci->reasonlen ? ci->reason : NULL;
        info->reason_len = ci->reasonlen;
        info->flags = (ci->remote ? 0 : SSL_CONN_CLOSE_FLAG_LOCAL) |
                      (ci->app ? 0 : SSL_CONN_CLOSE_FLAG_TRANSPORT);
        rv = 1;
    }
    sslq_engine_unlock(co->base.eng);
    return rv;
}

int SSLQ_get_shutdown(const SSL *ssl)
{
    sslq_conn_obj *co = sslq_obj_conn(ssl);
    const sslq_close_info *ci;
    int rv = 0;

    if (ssl == NULL)
        return 0;
    if (sslq_obj_get(ssl) == NULL)
        return SSL_get_shutdown(ssl);
    if (co == NULL) {
        SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    if (co->conn == NULL)
        return 0;
    sslq_engine_lock(co->base.eng);
    ci = sslq_conn_close_info(co->conn);
    /* A peer's close ends the connection both ways, as does the end of our
     * own closing period. */
    if (ci->set)
        rv = ci->remote || sslq_conn_state(co->conn) == SSLQ_CONN_CLOSED
                 ? SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN
                 : SSL_SENT_SHUTDOWN;
    sslq_engine_unlock(co->base.eng);
    return rv;
}

int SSLQ_key_update(SSL *s, int updatetype)
{
    sslq_conn_obj *co = sslq_obj_conn(s);
    int rv = 0;

    if (s == NULL)
        return null_param(0);
    if (sslq_obj_get(s) == NULL)
        return SSL_key_update(s, updatetype);
    if (co == NULL) {
        SSLQ_RAISE(SSLQ_R_NOT_A_CONNECTION);
        return 0;
    }
    if (updatetype != SSL_KEY_UPDATE_NOT_REQUESTED &&
        updatetype != SSL_KEY_UPDATE_REQUESTED) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    sslq_engine_lock(co->base.eng);
    if (conn_established(co) &&
        sslq_conn_initiate_key_update(co->conn, sslq_now()) == 0) {
        rv = 1;
        touch(co);
    } else {
        SSLQ_RAISE(SSLQ_R_NOT_CONNECTED);
    }
    sslq_engine_unlock(co->base.eng);
    return rv;
}

void SSLQ_set_msg_callback(SSL *ssl, void (*cb)(int, int, int, const void *,
                                               size_t, SSL *, void *))
{
    sslq_conn_obj *co = sslq_obj_conn(ssl);

    if (sslq_obj_get(ssl) == NULL || co == NULL) {
        if (ssl != NULL && sslq_obj_get(ssl) == NULL)
            SSL_set_msg_callback(ssl, cb);
        return;
    }
    sslq_engine_lock(co->base.eng);
    co->msg_cb = cb;
    if (co->conn != NULL)
        sslq_conn_set_msg_callback(co->conn, cb);
    sslq_engine_unlock(co->base.eng);
}

/* ---- readiness for SSL_poll ------------------------------------------------- */

static uint64_t stream_events(const sslq_stream *s)
{
    uint64_t ev = 0;

    if (sslq_bufq_len(&s->recv) > 0 || s->fin_received)
        ev |= SSL_POLL_EVENT_R;
    if (s->recv_part == SSLQ_PART_RESET_REMOTE ||
        s->recv_part == SSLQ_PART_CONN_CLOSED)
        ev |= SSL_POLL_EVENT_ER;
    if (s->send_part == SSLQ_PART_OPEN && !s->fin_wanted &&
        sslq_bufq_len(&s->send) < s->send_cap)
        ev |= SSL_POLL_EVENT_W;
    if (s->send_part == SSLQ_PART_RESET_REMOTE ||
        s->send_part == SSLQ_PART_CONN_CLOSED)
        ev |= SSL_POLL_EVENT_EW;
    return ev;
}

uint64_t sslq_obj_poll_events(sslq_obj *o)
{
    uint64_t ev = 0;

    if (o->kind == SSLQ_OBJ_LISTENER) {
        sslq_listener_obj *l = (sslq_listener_obj *)o;

        if (l->nready > 0)
            ev |= SSL_POLL_EVENT_IC;
        return ev;
    }
    if (o->kind == SSLQ_OBJ_STREAM) {
        sslq_stream_obj *so = (sslq_stream_obj *)o;

        return so->s != NULL ? stream_events(so->s) : SSL_POLL_EVENT_ER |
                                                          SSL_POLL_EVENT_EW;
    }
    if (o->kind == SSLQ_OBJ_CONN) {
        sslq_conn_obj *co = (sslq_conn_obj *)o;

        if (co->conn == NULL)
            return 0;
        if (sslq_conn_state(co->conn) >= SSLQ_CONN_CLOSING)
            ev |= SSL_POLL_EVENT_EC;
        if (sslq_conn_state(co->conn) == SSLQ_CONN_CLOSED)
            ev |= SSL_POLL_EVENT_ECD;
        if (conn_established(co)) {
            if (sslq_conn_accept_queue_len(co->conn) > 0) {
                uint64_t q = sslq_conn_accept_queue_kinds(co->conn);

                if (q & 1)
                    ev |= SSL_POLL_EVENT_ISB;
                if (q & 2)
                    ev |= SSL_POLL_EVENT_ISU;
            }
            if (sslq_conn_streams_left(co->conn, 0) > 0)
                ev |= SSL_POLL_EVENT_OSB;
            if (sslq_conn_streams_left(co->conn, 1) > 0)
                ev |= SSL_POLL_EVENT_OSU;
            if (co->dflt != NULL)
                ev |= stream_events(co->dflt);
            else if (!co->dflt_taken &&
                     co->dflt_mode != SSL_DEFAULT_STREAM_MODE_NONE)
                ev |= SSL_POLL_EVENT_W; /* a write would open it */
        }
        return ev;
    }
    return 0;
}
