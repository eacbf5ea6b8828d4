/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener — SSL_new_listener and friends: a port that accepts connections,
 * the queue of connections not yet accepted, and outgoing connections that
 * share the listener's port (SSL_new_from_listener).
 *
 * A connection the port creates for a client's Initial is pending until its
 * handshake completes, then ready; SSL_accept_connection hands out ready
 * ones in order.  The accept queue (ready) is capped at
 * SSL_VALUE_QUIC_MAX_PENDING_CONNS: while it is full the application is not
 * keeping up, and the port refuses new clients with CONNECTION_REFUSED.
 * Handshakes in progress are not the application's to drain, so a burst of
 * genuine clients may run HANDSHAKES_PER_SLOT times as many; past half the
 * cap a client proves its address with a Retry first, which keeps spoofed
 * Initials to half the cap.  At most 1 + HANDSHAKES_PER_SLOT times the cap
 * are held unaccepted.  A
 * connection that dies before anyone accepted it is reaped after the engine
 * step that saw it die.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "impl.h"
#include "object.h"

#define DEFAULT_MAX_PENDING 256
#define HANDSHAKES_PER_SLOT 4

/* ---- port ops --------------------------------------------------------------- */

static int l_may_accept(void *owner)
{
    sslq_listener_obj *l = owner;

    if (!l->listening || l->client_only || l->nready >= l->max_pending ||
        l->npending / HANDSHAKES_PER_SLOT >= l->max_pending)
        return SSLQ_ACCEPT_NO;
    /* Half the cap taken by unfinished handshakes looks like a flood from
     * spoofed addresses: from here on a client proves its address with a
     * Retry round trip first (even with validation off), so the rest goes
     * to clients that can. */
    if (2 * l->npending >= l->max_pending)
        return SSLQ_ACCEPT_VALIDATED_ONLY;
    return SSLQ_ACCEPT_YES;
}

static SSL *l_new_ssl(void *owner)
{
    sslq_listener_obj *l = owner;
    SSL *ssl = SSL_new(l->ctx);
    sslq_conn_obj *co;

    if (ssl == NULL)
        return NULL;
    co = sslq_connobj_new(ssl, l->base.eng, 1);
    if (co == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    co->base.blocking = l->base.blocking;
    co->base.blocking_set = 1;
    return ssl;
}

static void l_incoming(void *owner, sslq_conn *conn)
{
    sslq_listener_obj *l = owner;
    sslq_conn_obj *co = sslq_obj_conn(sslq_conn_ssl(conn));

    if (co == NULL)
        return;
    co->conn = conn;
    sslq_conn_enable_keepalive(conn); /* as OpenSSL 3.5: see conn_api.c */
    co->next = l->pending;
    l->pending = co;
    l->npending++;
}

static int unlink_from(sslq_conn_obj **head, sslq_conn_obj **tail,
                       sslq_conn_obj *co)
{
    sslq_conn_obj *prev = NULL;

    for (sslq_conn_obj *it = *head; it != NULL; prev = it, it = it->next)
        if (it == co) {
            if (prev)
                prev->next = co->next;
            else
                *head = co->next;
            if (tail != NULL && *tail == co)
                *tail = prev;
            co->next = NULL;
            return 1;
        }
    return 0;
}

static void l_event(void *owner, sslq_conn *conn)
{
    sslq_listener_obj *l = owner;
    sslq_conn_obj *co;
    enum sslq_conn_state st;

    if (conn == NULL || (co = sslq_obj_conn(sslq_conn_ssl(conn))) == NULL ||
        co->accepted || co->from_listener)
        return;
    st = sslq_conn_state(conn);
    if (st == SSLQ_CONN_ESTABLISHED &&
        unlink_from(&l->pending, NULL, co)) {
        l->npending--;
        if (l->ready_tail)
            l->ready_tail->next = co;
        else
            l->ready_head = co;
        l->ready_tail = co;
        l->nready++;
    } else if (st >= SSLQ_CONN_CLOSING) {
        co->dead = 1;
    }
}

static const sslq_port_ops listener_port_ops = {l_may_accept, l_new_ssl,
                                                l_incoming, l_event};

/* Frees connections that died before being accepted. */
static void l_reap(void *arg)
{
    sslq_listener_obj *l = arg;

    for (;;) {
        sslq_conn_obj *co = NULL;

        for (sslq_conn_obj *it = l->pending; it && !co; it = it->next)
            if (it->dead)
                co = it;
        for (sslq_conn_obj *it = l->ready_head; it && !co; it = it->next)
            if (it->dead)
                co = it;
        if (co == NULL)
            return;
        if (unlink_from(&l->pending, NULL, co))
            l->npending--;
        else if (unlink_from(&l->ready_head, &l->ready_tail, co))
            l->nready--;
        SSL_free(co->base.ssl);
    }
}

/* ---- construction ------------------------------------------------------- */

static SSL *listener_new(SSL_CTX *ctx, uint64_t flags, SSL *domain,
                         sslq_obj_kind kind, uint64_t domain_flags)
{
    int role = sslq_ctx_quic_role(ctx);
    sslq_listener_obj *l;
    sslq_port_config cfg;
    sslq_port *port;
    SSL *ssl;

    if (ctx == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return NULL;
    }
    if (role == SSLQ_CTX_NONE) {
        SSLQ_RAISE(SSLQ_R_WRONG_METHOD);
        return NULL;
    }
    ssl = SSL_new(ctx);
    l = calloc(1, sizeof(*l));
    if (ssl == NULL || l == NULL || sslq_engine_new(&l->base.eng) != 0) {
        free(l);
        SSL_free(ssl);
        SSLQ_RAISE(SSLQ_R_INTERNAL_ERROR);
        return NULL;
    }
    l->base.kind = kind;
    l->base.event_mode = SSL_VALUE_EVENT_HANDLING_MODE_IMPLICIT;
    l->ctx = ctx;
    l->flags = flags;
    l->client_only = role != SSLQ_CTX_SERVER;
    l->max_pending = DEFAULT_MAX_PENDING;
    sslq_port_config_default(&cfg);
    cfg.accept = 0; /* until SSL_listen */
    cfg.validate = !(flags & SSL_LISTENER_FLAG_NO_VALIDATE);
    if (sslq_port_new(&port, NULL, &cfg, &listener_port_ops, l) != 0) {
        sslq_engine_down(l->base.eng);
        free(l);
        SSL_free(ssl);
        SSLQ_RAISE(SSLQ_R_INTERNAL_ERROR);
        return NULL;
    }
    sslq_engine_set_port(l->base.eng, port);
    sslq_engine_set_after_tick(l->base.eng, l_reap, l);
    if (domain != NULL && SSL_up_ref(domain))
        l->domain = domain;
    l->domain_flags = domain_flags;
    if (sslq_obj_attach(ssl, &l->base) != 0) {
        sslq_listener_teardown(l);
        SSL_free(ssl);
        SSLQ_RAISE(SSLQ_R_INTERNAL_ERROR);
        return NULL;
    }
    /* A thread-assisted domain: a background thread answers handshakes,
     * acknowledges and keeps timers for the listener and every connection
     * on it while the application is elsewhere.  (The domain object itself
     * has no network of its own.) */
    if (kind == SSLQ_OBJ_LISTENER &&
        (domain_flags & SSL_DOMAIN_FLAG_THREAD_ASSISTED) &&
        sslq_engine_start_assist(l->base.eng) != 0) {
        SSL_free(ssl);
        SSLQ_RAISE(SSLQ_R_INTERNAL_ERROR);
        return NULL;
    }
    return ssl;
}

void sslq_listener_teardown(sslq_listener_obj *l)
{
    sslq_engine *eng = l->base.eng;
    sslq_conn_obj *co;
    SSL *domain = l->domain;

    sslq_engine_lock(eng);
    /* Nobody will accept these now; each free unlinks nothing else. */
    while ((co = l->pending) != NULL) {
        l->pending = co->next;
        co->next = NULL;
        SSL_free(co->base.ssl);
    }
    while ((co = l->ready_head) != NULL) {
        l->ready_head = co->next;
        co->next = NULL;
        SSL_free(co->base.ssl);
    }
    l->ready_tail = NULL;
    l->npending = l->nready = 0;
    sslq_engine_set_after_tick(eng, NULL, NULL);
    if (sslq_engine_port(eng) != NULL)
        sslq_port_get_config(sslq_engine_port(eng))->accept = 0;
    sslq_engine_unlock(eng);
    sslq_obj_release_bios(&l->base);
    sslq_engine_down(eng);
    free(l);
    if (domain != NULL)
        SSL_free(domain);
}

SSL *SSLQ_new_listener(SSL_CTX *ctx, uint64_t flags)
{
    return listener_new(ctx, flags, NULL, SSLQ_OBJ_LISTENER,
                        ctx != NULL ? sslq_ctx_domain_flags(ctx) : 0);
}

SSL *SSLQ_new_listener_from(SSL *ssl, uint64_t flags)
{
    sslq_obj *o = sslq_obj_get(ssl);

    if (ssl == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return NULL;
    }
    if (o == NULL || o->kind != SSLQ_OBJ_DOMAIN) {
        SSLQ_RAISE(SSLQ_R_NOT_A_DOMAIN);
        return NULL;
    }
    return listener_new(SSL_get_SSL_CTX(ssl), flags, ssl, SSLQ_OBJ_LISTENER,
                        ((sslq_listener_obj *)o)->domain_flags);
}

SSL *SSLQ_new_domain(SSL_CTX *ctx, uint64_t flags)
{
    uint64_t model = SSL_DOMAIN_FLAG_SINGLE_THREAD |
                     SSL_DOMAIN_FLAG_MULTI_THREAD |
                     SSL_DOMAIN_FLAG_THREAD_ASSISTED;
    int reason;

    if (ctx == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return NULL;
    }
    /* Without a concurrency model of their own, the flags add to the
     * context's (SSL_new_domain(3)). */
    if (!(flags & model))
        flags |= sslq_ctx_domain_flags(ctx);
    if ((reason = sslq_domain_flags_normalize(flags, &flags)) != 0) {
        SSLQ_RAISE(reason);
        return NULL;
    }
    return listener_new(ctx, 0, NULL, SSLQ_OBJ_DOMAIN, flags);
}

int SSLQ_is_domain(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    return o != NULL && o->kind == SSLQ_OBJ_DOMAIN;
}

SSL *SSLQ_get0_domain(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);

    if (o == NULL)
        return NULL;
    if (o->kind == SSLQ_OBJ_DOMAIN)
        return s;
    if (o->kind == SSLQ_OBJ_LISTENER)
        return ((sslq_listener_obj *)o)->domain;
    return NULL;
}

static sslq_listener_obj *listener_of(SSL *ssl)
{
    sslq_obj *o = sslq_obj_get(ssl);

    return o != NULL && o->kind == SSLQ_OBJ_LISTENER ? (sslq_listener_obj *)o
                                                     : NULL;
}

int SSLQ_is_listener(SSL *ssl)
{
    return listener_of(ssl) != NULL;
}

SSL *SSLQ_get0_listener(SSL *s)
{
    sslq_obj *o = sslq_obj_get(s);
    sslq_conn_obj *co;

    if (o == NULL)
        return NULL;
    if (o->kind == SSLQ_OBJ_LISTENER)
        return s;
    co = sslq_obj_conn(s);
    return co != NULL ? co->listener : NULL;
}

int SSLQ_listen(SSL *ssl)
{
    sslq_listener_obj *l = listener_of(ssl);

    if (l == NULL) {
        SSLQ_RAISE(ssl == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                               : SSLQ_R_NOT_A_LISTENER);
        if (ssl != NULL && sslq_obj_get(ssl) != NULL)
            sslq_obj_get(ssl)->last_error = SSL_ERROR_SSL;
        return 0;
    }
    sslq_engine_lock(l->base.eng);
    if (!l->listening) {
        l->listening = 1;
        sslq_port_get_config(sslq_engine_port(l->base.eng))->accept =
            !l->client_only;
    }
    l->base.last_error = SSL_ERROR_NONE;
    sslq_engine_unlock(l->base.eng);
    return 1;
}

static int ready_nonempty(void *arg)
{
    sslq_listener_obj *l = arg;

    return l->nready > 0;
}

SSL *SSLQ_accept_connection(SSL *ssl, uint64_t flags)
{
    sslq_listener_obj *l = listener_of(ssl);
    sslq_conn_obj *co = NULL;
    int rv;

    if (l == NULL) {
        SSLQ_RAISE(ssl == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                               : SSLQ_R_NOT_A_LISTENER);
        if (sslq_obj_get(ssl) != NULL)
            sslq_obj_get(ssl)->last_error = SSL_ERROR_SSL;
        return NULL;
    }
    if (l->client_only) {
        l->base.last_error = SSL_ERROR_SSL;
        SSLQ_RAISE(SSLQ_R_OPERATION_NOT_SUPPORTED);
        return NULL;
    }
    if (!SSLQ_listen(ssl))
        return NULL;
    sslq_engine_lock(l->base.eng);
    if (sslq_obj_blocking(&l->base) &&
        !(flags & SSL_ACCEPT_CONNECTION_NO_BLOCK)) {
        rv = sslq_engine_wait(l->base.eng, ready_nonempty, l, UINT64_MAX);
        if (rv < 0)
            SSLQ_RAISE(SSLQ_R_NO_BIO);
    } else if (l->base.event_mode != SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT) {
        sslq_engine_tick(l->base.eng);
    }
    if (l->nready > 0) {
        co = l->ready_head;
        l->ready_head = co->next;
        if (l->ready_head == NULL)
            l->ready_tail = NULL;
        co->next = NULL;
        l->nready--;
        co->accepted = 1;
        if (SSL_up_ref(ssl))
            co->listener = ssl;
    }
    /* An empty queue is a failure too, with nothing on the ERR queue
     * (OpenSSL 3.5 does the same). */
    l->base.last_error = co ? SSL_ERROR_NONE : SSL_ERROR_SSL;
    sslq_engine_unlock(l->base.eng);
    return co ? co->base.ssl : NULL;
}

size_t SSLQ_get_accept_connection_queue_len(SSL *ssl)
{
    sslq_listener_obj *l = listener_of(ssl);
    size_t n;

    if (l == NULL) {
        if (sslq_obj_get(ssl) != NULL)
            SSLQ_RAISE(SSLQ_R_NOT_A_LISTENER);
        return 0;
    }
    /* A point-in-time count: no event processing (OpenSSL 3.5 does none). */
    sslq_engine_lock(l->base.eng);
    n = l->nready;
    sslq_engine_unlock(l->base.eng);
    return n;
}

SSL *SSLQ_new_from_listener(SSL *ssl, uint64_t flags)
{
    sslq_listener_obj *l = listener_of(ssl);
    sslq_conn_obj *co;
    SSL *c;

    if (l == NULL) {
        SSLQ_RAISE(ssl == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                               : SSLQ_R_NOT_A_LISTENER);
        return NULL;
    }
    if (flags != 0)
        return NULL; /* reserved; OpenSSL 3.5 queues nothing either */
    c = SSL_new(l->ctx);
    if (c == NULL)
        return NULL;
    co = sslq_connobj_new(c, l->base.eng, 0);
    if (co == NULL) {
        SSL_free(c);
        SSLQ_RAISE(SSLQ_R_INTERNAL_ERROR);
        return NULL;
    }
    co->from_listener = 1;
    /* Reported as a server until it connects, as OpenSSL 3.5 does. */
    co->is_server = 1;
    co->base.blocking = l->base.blocking;
    co->base.blocking_set = 1;
    if (SSL_up_ref(ssl))
        co->listener = ssl;
    return c;
}

int sslq_listener_get_value(sslq_listener_obj *l, uint32_t id, uint64_t *v)
{
    if (id != SSL_VALUE_QUIC_MAX_PENDING_CONNS)
        return 0;
    *v = l->max_pending;
    return 1;
}

int sslq_listener_set_value(sslq_listener_obj *l, uint32_t id, uint64_t v)
{
    if (id != SSL_VALUE_QUIC_MAX_PENDING_CONNS)
        return 0;
    sslq_engine_lock(l->base.eng);
    l->max_pending = v;
    sslq_engine_unlock(l->base.eng);
    return 1;
}
