/* SPDX-License-Identifier: Apache-2.0 */
/*
 * impl — the public calls that are not about data: network BIOs, blocking
 * mode, event handling and poll descriptors, values, SSL_get_error, and the
 * calls a stream answers for its connection.
 */
#include <poll.h>
#include <string.h>

#include <openssl/err.h>

#include "error.h"
#include "impl.h"

/* ---- shared helpers ------------------------------------------------------ */

int sslq_obj_blocking(const sslq_obj *o)
{
    return o->blocking;
}

void sslq_obj_release_bios(sslq_obj *o)
{
    if (o->rbio != NULL)
        BIO_free_all(o->rbio);
    if (o->wbio != NULL && o->wbio != o->rbio)
        BIO_free_all(o->wbio);
    o->rbio = o->wbio = NULL;
}

SSL *sslq_tls_target(const SSL *ssl)
{
    sslq_obj *o = sslq_obj_get(ssl);

    if (o != NULL && o->kind == SSLQ_OBJ_STREAM)
        return ((sslq_stream_obj *)o)->conn_ssl;
    return (SSL *)ssl;
}

/* The object that owns the network for |o|: itself, or for an accepted
 * connection or stream the listener / connection it lives under. */
static sslq_port *port_of(const sslq_obj *o)
{
    return sslq_engine_port(o->eng);
}

static int pollable_fd(const sslq_obj *o)
{
    sslq_port *p = port_of(o);

    return p != NULL && sslq_port_udp(p) != NULL
               ? sslq_udp_get_fd(sslq_port_udp(p))
               : -1;
}

/* ---- network BIOs -------------------------------------------------------- */

/* Puts |bio| under the object's port (creating the port of a client
 * connection on first use). */
static int attach_network(sslq_obj *o, BIO *bio)
{
    sslq_udp *udp = NULL;
    sslq_port *port = port_of(o);
    unsigned flags = SSLQ_UDP_GRO; /* receive buffers are shared (port.c) */
    int rv;

    if (bio == NULL)
        return 0;
    rv = sslq_udp_new_bio(&udp, bio, flags);
    if (rv != 0)
        return rv;
    if (port == NULL) {
        sslq_port_config cfg;

        sslq_port_config_default(&cfg);
        cfg.accept = 0;
        rv = sslq_port_new(&port, udp, &cfg, NULL, NULL);
        if (rv != 0) {
            sslq_udp_free(udp);
            return rv;
        }
        sslq_engine_set_port(o->eng, port);
    } else {
        sslq_port_set_udp(port, udp);
    }
    return 0;
}

static int net_owner(const sslq_obj *o)
{
    if (o->kind == SSLQ_OBJ_LISTENER || o->kind == SSLQ_OBJ_DOMAIN)
        return 1;
    if (o->kind == SSLQ_OBJ_CONN) {
        const sslq_conn_obj *co = (const sslq_conn_obj *)o;

        return !co->is_server && !co->from_listener;
    }
    return 0;
}

void SSLQ_set_bio(SSL *s, BIO *rbio, BIO *wbio)
{
    sslq_obj *o = sslq_obj_get(s);
    int rv;

    if (s == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return;
    }
    if (o == NULL) {
        SSL_set_bio(s, rbio, wbio);
        return;
    }
    if (!net_owner(o)) {
        /* Like SSL_set_bio, the references passed in are consumed. */
        BIO_free_all(rbio);
        if (wbio != rbio)
            BIO_free_all(wbio);
        SSLQ_RAISE(SSLQ_R_OPERATION_NOT_SUPPORTED);
        return;
    }
    sslq_engine_lock(o->eng);
    if (o->rbio != rbio || o->wbio != wbio) {
        BIO *old_r = o->rbio, *old_w = o->wbio;

        o->rbio = rbio;
        o->wbio = wbio;
        rv = attach_network(o, rbio);
        if (rv != 0)
            SSLQ_RAISE(SSLQ_R_BIO_NOT_DATAGRAM);
        if (old_r != NULL && old_r != rbio && old_r != wbio)
            BIO_free_all(old_r);
        if (old_w != NULL && old_w != old_r && old_w != rbio && old_w != wbio)
            BIO_free_all(old_w);
    }
    /* OpenSSL 3.5: blocking by default once the network can be polled. */
    if (!o->blocking_set)
        o->blocking = pollable_fd(o) >= 0;
    sslq_engine_unlock(o->eng);
}

void SSLQ_set0_rbio(SSL *s, BIO *rbio)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return;
    }
    if (o == NULL) {
        SSL_set0_rbio(s, rbio);
        return;
    }
    if (o->wbio != NULL && o->wbio != o->rbio && rbio != o->wbio)
        BIO_up_ref(o->wbio);
    SSLQ_set_bio(s, rbio, o->wbio != NULL ? o->wbio : rbio);
}

void SSLQ_set0_wbio(SSL *s, BIO *wbio)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return;
    }
    if (o == NULL) {
        SSL_set0_wbio(s, wbio);
        return;
    }
    sslq_engine_lock(o->eng);
    if (o->wbio != NULL && o->wbio != o->rbio)
        BIO_free_all(o->wbio);
    o->wbio = wbio;
    sslq_engine_unlock(o->eng);
}

BIO *SSLQ_get_rbio(const SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return NULL;
    return o == NULL ? SSL_get_rbio(s) : o->rbio;
}

BIO *SSLQ_get_wbio(const SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return NULL;
    return o == NULL ? SSL_get_wbio(s) : o->wbio;
}

static int set_fd(SSL *s, int fd)
{
    BIO *b;

    if (fd < 0) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    b = BIO_new_dgram(fd, BIO_NOCLOSE);
    if (b == NULL) {
        SSLQ_RAISE(SSLQ_R_INTERNAL_ERROR);
        return 0;
    }
    ERR_set_mark();
    SSLQ_set_bio(s, b, b);
    if (sslq_obj_get(s)->rbio != b) {
        ERR_clear_last_mark();
        return 0;
    }
    ERR_pop_to_mark();
    return 1;
}

int SSLQ_set_fd(SSL *s, int fd)
{
    if (s == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    return sslq_obj_get(s) == NULL ? SSL_set_fd(s, fd) : set_fd(s, fd);
}

int SSLQ_set_rfd(SSL *s, int fd)
{
    if (s == NULL)
        return SSLQ_set_fd(s, fd);
    return sslq_obj_get(s) == NULL ? SSL_set_rfd(s, fd) : set_fd(s, fd);
}

int SSLQ_set_wfd(SSL *s, int fd)
{
    if (s == NULL)
        return SSLQ_set_fd(s, fd);
    return sslq_obj_get(s) == NULL ? SSL_set_wfd(s, fd) : set_fd(s, fd);
}

static int bio_fd(BIO *b)
{
    int fd = -1;

    if (b == NULL || BIO_get_fd(b, &fd) <= 0)
        return -1;
    return fd;
}

int SSLQ_get_fd(const SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return -1;
    return o == NULL ? SSL_get_fd(s) : bio_fd(o->rbio);
}

int SSLQ_get_rfd(const SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return -1;
    return o == NULL ? SSL_get_rfd(s) : bio_fd(o->rbio);
}

int SSLQ_get_wfd(const SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return -1;
    return o == NULL ? SSL_get_wfd(s) : bio_fd(o->wbio);
}

/* ---- blocking and events ------------------------------------------------- */

int SSLQ_set_blocking_mode(SSL *s, int blocking)
{
    sslq_obj *o = sslq_obj_get(s);

    if (o == NULL) {
        SSLQ_RAISE(s == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                             : SSLQ_R_WRONG_OBJECT_TYPE);
        return 0;
    }
    sslq_engine_lock(o->eng);
    o->blocking = blocking != 0;
    o->blocking_set = 1;
    sslq_engine_unlock(o->eng);
    return 1;
}

int SSLQ_get_blocking_mode(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (o == NULL) {
        SSLQ_RAISE(s == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                             : SSLQ_R_WRONG_OBJECT_TYPE);
        return -1;
    }
    return o->blocking;
}

int SSLQ_handle_events(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (o == NULL)
        return 1; /* nothing to drive for TLS over a stream socket */
    sslq_engine_lock(o->eng);
    sslq_engine_tick(o->eng);
    sslq_engine_unlock(o->eng);
    return 1;
}

int SSLQ_get_event_timeout(SSL *s, struct timeval *tv, int *is_infinite)
{
    sslq_obj *o = sslq_obj_get(s);
    uint64_t t = UINT64_MAX, now;

    if (s == NULL || tv == NULL || is_infinite == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (o != NULL) {
        sslq_engine_lock(o->eng);
        /* Until its first step an engine asks to be stepped at once. */
        if (!sslq_engine_ticked(o->eng))
            t = 0;
        else if (port_of(o) != NULL)
            t = sslq_port_next_timeout(port_of(o));
        sslq_engine_unlock(o->eng);
    }
    if (t == UINT64_MAX) {
        *is_infinite = 1; /* *tv is left as it was, as OpenSSL 3.5 does */
        return 1;
    }
    now = sslq_now();
    t = t > now ? t - now : 0;
    *is_infinite = 0;
    tv->tv_sec = (time_t)(t / 1000000000ULL);
    tv->tv_usec = (suseconds_t)((t % 1000000000ULL) / 1000);
    return 1;
}

static int poll_descriptor(SSL *s, BIO_POLL_DESCRIPTOR *desc)
{
    sslq_obj *o = sslq_obj_get(s);
    int fd;

    if (desc == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (o == NULL) {
        SSLQ_RAISE(s == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                             : SSLQ_R_WRONG_OBJECT_TYPE);
        return 0;
    }
    sslq_engine_lock(o->eng);
    fd = pollable_fd(o);
    sslq_engine_unlock(o->eng);
    if (fd < 0) {
        desc->type = BIO_POLL_DESCRIPTOR_TYPE_NONE;
        SSLQ_RAISE(SSLQ_R_NO_BIO);
        return 0;
    }
    desc->type = BIO_POLL_DESCRIPTOR_TYPE_SOCK_FD;
    desc->value.fd = fd;
    return 1;
}

int SSLQ_get_rpoll_descriptor(SSL *s, BIO_POLL_DESCRIPTOR *desc)
{
    return poll_descriptor(s, desc);
}

int SSLQ_get_wpoll_descriptor(SSL *s, BIO_POLL_DESCRIPTOR *desc)
{
    return poll_descriptor(s, desc);
}

int SSLQ_net_read_desired(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    /* Once running, a QUIC endpoint always wants to hear from the
     * network. */
    return o != NULL && port_of(o) != NULL && sslq_engine_ticked(o->eng) &&
           pollable_fd(o) >= 0;
}

int SSLQ_net_write_desired(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);
    int rv;

    if (o == NULL || port_of(o) == NULL)
        return 0;
    sslq_engine_lock(o->eng);
    rv = sslq_port_write_pending(port_of(o));
    sslq_engine_unlock(o->eng);
    return rv;
}

/* ---- SSL_get_error ------------------------------------------------------- */

int SSLQ_get_error(const SSL *s, int ret_code)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return SSL_ERROR_SSL;
    if (o == NULL)
        return SSL_get_error(s, ret_code);
    if (ret_code > 0)
        return SSL_ERROR_NONE;
    return o->last_error != SSL_ERROR_NONE ? o->last_error : SSL_ERROR_SSL;
}

int SSLQ_want(const SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (s == NULL)
        return SSL_NOTHING;
    if (o == NULL)
        return SSL_want(s);
    switch (o->last_error) {
    case SSL_ERROR_WANT_READ:
        return SSL_READING;
    case SSL_ERROR_WANT_WRITE:
        return SSL_WRITING;
    default:
        return SSL_NOTHING;
    }
}

/* ---- values ----------------------------------------------------------------- */

static int value_fail(int reason)
{
    SSLQ_RAISE(reason);
    return 0;
}

/* SSL_VALUE_QUIC_IDLE_TIMEOUT, in milliseconds, in the three feature
 * classes of OpenSSL 3.5: what we request (the port's setting before the
 * connection starts, our transport parameter after), what the peer
 * requested and what was negotiated (both once the handshake is done). */
static int idle_timeout_value(sslq_obj *o, sslq_conn_obj *co, uint32_t class_,
                              uint64_t *v)
{
    int rv = 0, reason = SSLQ_R_UNSUPPORTED_VALUE;

    if (o->kind != SSLQ_OBJ_CONN)
        return value_fail(SSLQ_R_NOT_A_CONNECTION);
    if (class_ < SSL_VALUE_CLASS_FEATURE_REQUEST ||
        class_ > SSL_VALUE_CLASS_FEATURE_NEGOTIATED)
        return value_fail(SSLQ_R_UNSUPPORTED_VALUE_CLASS);
    sslq_engine_lock(o->eng);
    if (co->conn == NULL) {
        if (class_ == SSL_VALUE_CLASS_FEATURE_REQUEST && port_of(o) != NULL) {
            *v = sslq_port_get_config(port_of(o))->conn.idle_timeout_ms;
            rv = 1;
        } else {
            reason = SSLQ_R_NOT_CONNECTED;
        }
    } else if (class_ == SSL_VALUE_CLASS_FEATURE_REQUEST) {
        *v = ngtcp2_conn_get_local_transport_params(
                 sslq_conn_ngtcp2(co->conn))->max_idle_timeout /
             1000000;
        rv = 1;
    } else if (sslq_conn_state(co->conn) == SSLQ_CONN_HANDSHAKE) {
        reason = SSLQ_R_NOT_CONNECTED;
    } else {
        ngtcp2_conn *nc = sslq_conn_ngtcp2(co->conn);
        uint64_t mine =
            ngtcp2_conn_get_local_transport_params(nc)->max_idle_timeout /
            1000000;
        uint64_t peer =
            ngtcp2_conn_get_remote_transport_params(nc)->max_idle_timeout /
            1000000;

        *v = class_ == SSL_VALUE_CLASS_FEATURE_PEER_REQUEST ? peer
             : mine == 0                                    ? peer
             : peer == 0 || mine < peer                     ? mine
                                                            : peer;
        rv = 1;
    }
    sslq_engine_unlock(o->eng);
    if (!rv)
        SSLQ_RAISE(reason);
    return rv;
}

/* The send buffer values of a stream, or of a connection's default
 * stream. */
static int write_buf_value(sslq_obj *o, sslq_conn_obj *co, uint32_t id,
                           uint64_t *v)
{
    sslq_stream *st = o->kind == SSLQ_OBJ_STREAM ? ((sslq_stream_obj *)o)->s
                      : co != NULL               ? co->dflt
                                                 : NULL;
    uint64_t used;

    if (st == NULL)
        return value_fail(SSLQ_R_NO_DEFAULT_STREAM);
    sslq_engine_lock(o->eng);
    used = sslq_bufq_len(&st->send);
    *v = id == SSL_VALUE_STREAM_WRITE_BUF_SIZE   ? st->send_cap
         : id == SSL_VALUE_STREAM_WRITE_BUF_USED ? used
         : used >= st->send_cap                  ? 0
                                                 : st->send_cap - used;
    sslq_engine_unlock(o->eng);
    return 1;
}

/* The stream counts of a connection: how many more streams of a kind we
 * may open (LOCAL) or the peer may open (REMOTE). */
static uint64_t avail_value(sslq_obj *o, sslq_conn_obj *co, uint32_t id)
{
    int uni = id == SSL_VALUE_QUIC_STREAM_UNI_LOCAL_AVAIL ||
              id == SSL_VALUE_QUIC_STREAM_UNI_REMOTE_AVAIL;
    int remote = id == SSL_VALUE_QUIC_STREAM_BIDI_REMOTE_AVAIL ||
                 id == SSL_VALUE_QUIC_STREAM_UNI_REMOTE_AVAIL;
    ngtcp2_conn *nc = co->conn != NULL ? sslq_conn_ngtcp2(co->conn) : NULL;

    if (remote) {
        if (co->conn != NULL)
            return sslq_conn_peer_streams_left(co->conn, uni);
        if (port_of(o) == NULL)
            return 0;
        return uni ? sslq_port_get_config(port_of(o))->conn.max_streams_uni
                   : sslq_port_get_config(port_of(o))->conn.max_streams_bidi;
    }
    /* Still answered after the close, as OpenSSL 3.5 does. */
    if (nc == NULL || sslq_conn_state(co->conn) == SSLQ_CONN_HANDSHAKE)
        return 0;
    return uni ? ngtcp2_conn_get_streams_uni_left(nc)
               : ngtcp2_conn_get_streams_bidi_left(nc);
}

/* The checks run in OpenSSL 3.5's order, so a call that is wrong in more
 * than one way fails with the same reason there and here. */
int SSLQ_get_value_uint(SSL *s, uint32_t class_, uint32_t id, uint64_t *v)
{
    sslq_obj *o = sslq_obj_get(s);
    sslq_conn_obj *co = sslq_obj_conn(s);
    int listener;

    if (o == NULL || v == NULL)
        return value_fail(o == NULL && s != NULL ? SSLQ_R_WRONG_OBJECT_TYPE
                                                 : SSLQ_R_PASSED_NULL_PARAMETER);
    listener = o->kind == SSLQ_OBJ_LISTENER || o->kind == SSLQ_OBJ_DOMAIN;
    switch (id) {
    case SSL_VALUE_EVENT_HANDLING_MODE:
    case SSL_VALUE_STREAM_WRITE_BUF_SIZE:
    case SSL_VALUE_STREAM_WRITE_BUF_USED:
    case SSL_VALUE_STREAM_WRITE_BUF_AVAIL:
        /* values of connections and streams only */
        if (listener)
            return value_fail(SSLQ_R_NO_DEFAULT_STREAM);
        if (class_ != SSL_VALUE_CLASS_GENERIC)
            return value_fail(SSLQ_R_UNSUPPORTED_VALUE_CLASS);
        if (id != SSL_VALUE_EVENT_HANDLING_MODE)
            return write_buf_value(o, co, id, v);
        sslq_engine_lock(o->eng);
        *v = o->event_mode;
        sslq_engine_unlock(o->eng);
        return 1;
    case SSL_VALUE_QUIC_MAX_PENDING_CONNS:
        if (o->kind == SSLQ_OBJ_STREAM)
            return value_fail(SSLQ_R_OPERATION_NOT_SUPPORTED);
        if (o->kind != SSLQ_OBJ_LISTENER || class_ != SSL_VALUE_CLASS_GENERIC)
            return value_fail(SSLQ_R_UNSUPPORTED_VALUE_CLASS);
        {
            int rv;

            sslq_engine_lock(o->eng);
            rv = sslq_listener_get_value((sslq_listener_obj *)o, id, v);
            sslq_engine_unlock(o->eng);
            return rv ? 1 : value_fail(SSLQ_R_UNSUPPORTED_VALUE);
        }
    default:
        break;
    }
    /* the rest are values of a connection */
    if (o->kind != SSLQ_OBJ_CONN)
        return value_fail(SSLQ_R_NOT_A_CONNECTION);
    switch (id) {
    case SSL_VALUE_QUIC_IDLE_TIMEOUT:
        return idle_timeout_value(o, co, class_, v);
    case SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL:
    case SSL_VALUE_QUIC_STREAM_BIDI_REMOTE_AVAIL:
    case SSL_VALUE_QUIC_STREAM_UNI_LOCAL_AVAIL:
    case SSL_VALUE_QUIC_STREAM_UNI_REMOTE_AVAIL:
        if (class_ != SSL_VALUE_CLASS_GENERIC)
            return value_fail(SSLQ_R_UNSUPPORTED_VALUE_CLASS);
        sslq_engine_lock(o->eng);
        *v = avail_value(o, co, id);
        sslq_engine_unlock(o->eng);
        return 1;
    default:
        return value_fail(SSLQ_R_UNSUPPORTED_VALUE);
    }
}

int SSLQ_set_value_uint(SSL *s, uint32_t class_, uint32_t id, uint64_t v)
{
    sslq_obj *o = sslq_obj_get(s);
    int listener, rv = 0;

    if (o == NULL)
        return value_fail(s == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                                    : SSLQ_R_WRONG_OBJECT_TYPE);
    listener = o->kind == SSLQ_OBJ_LISTENER || o->kind == SSLQ_OBJ_DOMAIN;
    switch (id) {
    case SSL_VALUE_EVENT_HANDLING_MODE:
        if (listener)
            return value_fail(SSLQ_R_NO_DEFAULT_STREAM);
        if (class_ != SSL_VALUE_CLASS_GENERIC)
            return value_fail(SSLQ_R_UNSUPPORTED_VALUE_CLASS);
        if (v > SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT)
            return value_fail(SSLQ_R_PASSED_INVALID_ARGUMENT);
        sslq_engine_lock(o->eng);
        o->event_mode = v;
        sslq_engine_unlock(o->eng);
        return 1;
    case SSL_VALUE_QUIC_MAX_PENDING_CONNS:
        if (o->kind != SSLQ_OBJ_LISTENER || class_ != SSL_VALUE_CLASS_GENERIC)
            return value_fail(SSLQ_R_UNSUPPORTED_VALUE_CLASS);
        sslq_engine_lock(o->eng);
        rv = sslq_listener_set_value((sslq_listener_obj *)o, id, v);
        sslq_engine_unlock(o->eng);
        return rv ? 1 : value_fail(SSLQ_R_UNSUPPORTED_VALUE);
    case SSL_VALUE_QUIC_IDLE_TIMEOUT:
        if (o->kind == SSLQ_OBJ_LISTENER && class_ == SSL_VALUE_CLASS_GENERIC) {
            /* sslquic's own extension (OpenSSL 3.5 has no way to set it):
             * the idle timeout a listener's connections request. */
            sslq_engine_lock(o->eng);
            if (port_of(o) != NULL)
                sslq_port_get_config(port_of(o))->conn.idle_timeout_ms = v;
            sslq_engine_unlock(o->eng);
            return port_of(o) != NULL ? 1 : value_fail(SSLQ_R_NO_BIO);
        }
        if (o->kind != SSLQ_OBJ_CONN)
            return value_fail(SSLQ_R_NOT_A_CONNECTION);
        /* A feature request (OpenSSL 3.5): settable in that class only,
         * before the connection starts. */
        if (class_ == SSL_VALUE_CLASS_FEATURE_PEER_REQUEST ||
            class_ == SSL_VALUE_CLASS_FEATURE_NEGOTIATED)
            return value_fail(SSLQ_R_VALUE_READ_ONLY);
        if (class_ != SSL_VALUE_CLASS_FEATURE_REQUEST)
            return value_fail(SSLQ_R_UNSUPPORTED_VALUE_CLASS);
        sslq_engine_lock(o->eng);
        if (((sslq_conn_obj *)o)->conn == NULL && port_of(o) != NULL) {
            sslq_port_get_config(port_of(o))->conn.idle_timeout_ms = v;
            rv = 1;
        }
        sslq_engine_unlock(o->eng);
        return rv ? 1 : value_fail(SSLQ_R_ALREADY_CONNECTED);
    default:
        if (o->kind == SSLQ_OBJ_LISTENER || o->kind == SSLQ_OBJ_DOMAIN)
            return value_fail(SSLQ_R_NOT_A_CONNECTION);
        return value_fail(SSLQ_R_UNSUPPORTED_VALUE);
    }
}

/* ---- identity ------------------------------------------------------------- */

int SSLQ_is_tls(const SSL *s)
{
    if (s == NULL)
        return 0;
    return sslq_obj_get(s) == NULL && !SSL_is_dtls(s);
}

int SSLQ_is_quic(const SSL *s)
{
    return sslq_obj_get(s) != NULL;
}

int SSLQ_version(const SSL *ssl)
{
    if (ssl == NULL)
        return 0;
    return sslq_obj_get(ssl) != NULL ? OSSL_QUIC1_VERSION : SSL_version(ssl);
}

const char *SSLQ_get_version(const SSL *s)
{
    if (s == NULL)
        return "unknown"; /* libssl's word for a version it cannot name */
    return sslq_obj_get(s) != NULL ? "QUICv1" : SSL_get_version(s);
}

int SSLQ_is_server(const SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);
    sslq_conn_obj *co = sslq_obj_conn(s);

    if (s == NULL)
        return 0;
    if (o == NULL)
        return SSL_is_server(s);
    if (co == NULL)
        return 0; /* a listener or domain is no endpoint of a handshake */
    /* OpenSSL 3.5 reports a connection that has not started as a server,
     * client or not. */
    return co->conn != NULL ? sslq_conn_is_server(co->conn) : 1;
}

int SSLQ_in_init(const SSL *s)
{
    sslq_conn_obj *co = sslq_obj_conn(s);

    if (s == NULL)
        return 0;
    if (sslq_obj_get(s) == NULL)
        return SSL_in_init(s);
    return co == NULL || co->conn == NULL ||
           sslq_conn_state(co->conn) == SSLQ_CONN_HANDSHAKE;
}

int SSLQ_is_init_finished(const SSL *s)
{
    sslq_conn_obj *co = sslq_obj_conn(s);

    if (s == NULL)
        return 0;
    if (sslq_obj_get(s) == NULL)
        return SSL_is_init_finished(s);
    return co != NULL && co->conn != NULL &&
           sslq_conn_state(co->conn) != SSLQ_CONN_HANDSHAKE &&
           SSL_is_init_finished(co->base.ssl);
}

int SSLQ_inject_net_dgram(SSL *s, const unsigned char *buf, size_t buf_len,
                          const BIO_ADDR *peer, const BIO_ADDR *local)
{
    sslq_obj *o = sslq_obj_get(s);
    struct sockaddr_storage ss;
    unsigned char raw[16];
    size_t rawlen = sizeof(raw);
    socklen_t len;
    int rv;

    (void)local;
    if (o == NULL || buf == NULL || peer == NULL) {
        SSLQ_RAISE(o == NULL && s != NULL ? SSLQ_R_WRONG_OBJECT_TYPE
                                          : SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    memset(&ss, 0, sizeof(ss));
    if (!BIO_ADDR_rawaddress(peer, raw, &rawlen)) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    if (BIO_ADDR_family(peer) == AF_INET && rawlen == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        sin->sin_family = AF_INET;
        sin->sin_port = BIO_ADDR_rawport(peer);
        memcpy(&sin->sin_addr, raw, 4);
        len = sizeof(*sin);
    } else if (BIO_ADDR_family(peer) == AF_INET6 && rawlen == 16) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = BIO_ADDR_rawport(peer);
        memcpy(&sin6->sin6_addr, raw, 16);
        len = sizeof(*sin6);
    } else {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    sslq_engine_lock(o->eng);
    rv = port_of(o) != NULL
             ? sslq_port_inject(port_of(o), buf, buf_len,
                                (struct sockaddr *)&ss, len, NULL, 0,
                                sslq_now())
             : SSLQ_ERR_INVALID_ARGUMENT;
    if (rv == 0)
        sslq_port_flush(port_of(o), sslq_now());
    sslq_engine_unlock(o->eng);
    if (rv != 0) {
        SSLQ_RAISE(SSLQ_R_NO_BIO);
        return 0;
    }
    return 1;
}

/* ---- answered by the connection ----------------------------------------- */

long SSLQ_ctrl(SSL *ssl, int cmd, long larg, void *parg)
{
    if (ssl == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    /* Modes belong to the handle itself (partial writes are per stream);
     * everything else a stream is asked is about its connection's TLS. */
    if (cmd == SSL_CTRL_MODE || cmd == SSL_CTRL_CLEAR_MODE)
        return SSL_ctrl(ssl, cmd, larg, parg);
    return SSL_ctrl(sslq_tls_target(ssl), cmd, larg, parg);
}

int SSLQ_set_alpn_protos(SSL *ssl, const unsigned char *protos,
                         unsigned int protos_len)
{
    if (ssl == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 1;
    }
    return SSL_set_alpn_protos(sslq_tls_target(ssl), protos, protos_len);
}

int SSLQ_set1_host(SSL *s, const char *host)
{
    if (s == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    return SSL_set1_host(sslq_tls_target(s), host);
}

void SSLQ_get0_alpn_selected(const SSL *ssl, const unsigned char **data,
                             unsigned int *len)
{
    /* libssl writes both outputs unchecked. */
    if (ssl == NULL || data == NULL || len == NULL) {
        if (data != NULL)
            *data = NULL;
        if (len != NULL)
            *len = 0;
        return;
    }
    SSL_get0_alpn_selected(sslq_tls_target(ssl), data, len);
}

const char *SSLQ_get_servername(const SSL *s, const int type)
{
    if (s == NULL)
        return NULL;
    return SSL_get_servername(sslq_tls_target(s), type);
}

int SSLQ_get_servername_type(const SSL *s)
{
    if (s == NULL)
        return -1;
    return SSL_get_servername_type(sslq_tls_target(s));
}

X509 *SSLQ_get0_peer_certificate(const SSL *s)
{
    if (s == NULL)
        return NULL;
    return SSL_get0_peer_certificate(sslq_tls_target(s));
}

X509 *SSLQ_get1_peer_certificate(const SSL *s)
{
    if (s == NULL)
        return NULL;
    return SSL_get1_peer_certificate(sslq_tls_target(s));
}

STACK_OF(X509) *SSLQ_get_peer_cert_chain(const SSL *s)
{
    if (s == NULL)
        return NULL;
    return SSL_get_peer_cert_chain(sslq_tls_target(s));
}

STACK_OF(X509) *SSLQ_get0_verified_chain(const SSL *s)
{
    if (s == NULL)
        return NULL;
    return SSL_get0_verified_chain(sslq_tls_target(s));
}

long SSLQ_get_verify_result(const SSL *ssl)
{
    if (ssl == NULL)
        return X509_V_ERR_INVALID_CALL;
    return SSL_get_verify_result(sslq_tls_target(ssl));
}

const SSL_CIPHER *SSLQ_get_current_cipher(const SSL *s)
{
    if (s == NULL)
        return NULL;
    return SSL_get_current_cipher(sslq_tls_target(s));
}

SSL_SESSION *SSLQ_get_session(const SSL *ssl)
{
    if (ssl == NULL)
        return NULL;
    return SSL_get_session(sslq_tls_target(ssl));
}

SSL_SESSION *SSLQ_get1_session(SSL *ssl)
{
    if (ssl == NULL)
        return NULL;
    return SSL_get1_session(sslq_tls_target(ssl));
}

int SSLQ_session_reused(const SSL *s)
{
    if (s == NULL)
        return 0;
    return SSL_session_reused(sslq_tls_target(s));
}
