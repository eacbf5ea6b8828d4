/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "crypto.h"
#include "crypto_cb.h"
#include "error.h"
#include "tls_shim.h"

#define NS_PER_MS 1000000ULL
#define MAX_TRANSPORT_PARAMS 512

struct sslq_conn {
    ngtcp2_conn *nc;
    sslq_tls *tls;
    SSL *ssl;
    int is_server;
    enum sslq_conn_state state;
    const sslq_conn_ops *ops;
    void *owner;
    size_t stream_send_buffer;

    ngtcp2_ccerr ccerr;      /* why we close, once we do */
    int close_pending;       /* CONNECTION_CLOSE not written yet */
    uint8_t *close_pkt;      /* the CONNECTION_CLOSE we answer with */
    size_t close_pktlen;
    int close_resend;        /* a packet arrived in the closing period */
    uint64_t end_time;       /* closing/draining ends */
    sslq_close_info close;

    ngtcp2_cid scid;         /* our first SCID */
    ngtcp2_cid odcid;        /* server: the client's first DCID */
    int odcid_routed;

    sslq_stream *streams;    /* every stream */
    sslq_stream *send_head, *send_tail;     /* streams with data to send */
    sslq_stream *accept_head, *accept_tail; /* peer streams not taken */
    size_t accept_len;
    int tp_error;            /* ngtcp2's verdict on the peer's parameters */
    int keepalive;           /* PING before the idle timeout */
    size_t nblocked;         /* streams waiting for flow-control credit */
    uint64_t idle_timeout;   /* ours, ns (0: none) */
    uint64_t peer_opened[2]; /* streams the peer opened: bidi, uni */
    int reject_incoming;     /* refuse peer streams (incoming policy) */
    uint64_t reject_aec;     /* the code they are refused with */
    size_t burst;            /* bytes written since the pacer last ran */
};

/* ngtcp2 0.x numbers BBR v1 2 and BBR v2 3; 1.x keeps one BBR (v2 and
 * later) at 2. */
#if NGTCP2_VERSION_NUM < 0x010000
#define CC_ALGO_BBR 3
#else
#define CC_ALGO_BBR NGTCP2_CC_ALGO_BBR
#endif

/* BBR unless SSLQUIC_CC says "cubic" or "reno".  ngtcp2's CUBIC stops
 * growing its window at about 3x the bandwidth-delay product measured with
 * the path's minimum RTT; where that minimum is far below the RTT under
 * load (loopback, a data centre) it sends at a fraction of what the path
 * carries (bench/results.md has the figures). */
static int cc_algo_default(void)
{
    const char *v = getenv("SSLQUIC_CC");

    if (v != NULL && strcmp(v, "cubic") == 0)
        return NGTCP2_CC_ALGO_CUBIC;
    if (v != NULL && strcmp(v, "reno") == 0)
        return NGTCP2_CC_ALGO_RENO;
    return CC_ALGO_BBR;
}

void sslq_conn_config_default(sslq_conn_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->idle_timeout_ms = 30000;
    cfg->handshake_timeout_ms = 10000;
    cfg->max_streams_bidi = 100;
    cfg->max_streams_uni = 100;
    /* Windows are credit, not memory: memory is only used when the
     * application stops reading.  Starting large matters for OpenSSL 3.5
     * peers, whose sending stalls for seconds once a stream exhausts its
     * window even after MAX_STREAM_DATA raises it (seen with 3.5.9); a
     * window the sender never reaches avoids that on fast paths. */
    cfg->stream_window = 4 * 1024 * 1024;
    cfg->conn_window = 16 * 1024 * 1024;
    cfg->max_stream_window = 16 * 1024 * 1024;
    cfg->max_conn_window = 64 * 1024 * 1024;
    cfg->stream_send_buffer = 1024 * 1024;
    cfg->version = NGTCP2_PROTO_VER_V1;
    cfg->cc_algo = cc_algo_default();
}

static uint64_t ms_to_ns(uint64_t ms)
{
    return ms > UINT64_MAX / NS_PER_MS ? UINT64_MAX : ms * NS_PER_MS;
}

static void notify(sslq_conn *c)
{
    if (c->ops->event)
        c->ops->event(c->owner, c);
}

/* ---- streams ------------------------------------------------------------ */

int sslq_stream_is_local(const sslq_stream *s, int is_server)
{
    return (int)(s->id & 0x1) == (is_server ? 1 : 0);
}

static sslq_stream *stream_new(sslq_conn *c, int64_t id)
{
    sslq_stream *s = calloc(1, sizeof(*s));
    int local, uni;

    if (s == NULL)
        return NULL;
    s->conn = c;
    s->id = id;
    s->send_cap = c->stream_send_buffer;
    sslq_bufq_init(&s->send, 16384, 0);
    sslq_bufq_init(&s->recv, 16384, 0);
    local = sslq_stream_is_local(s, c->is_server);
    uni = sslq_stream_is_uni(s);
    s->send_part = (uni && !local) ? SSLQ_PART_NONE : SSLQ_PART_OPEN;
    s->recv_part = (uni && local) ? SSLQ_PART_NONE : SSLQ_PART_OPEN;
    s->next = c->streams;
    c->streams = s;
    return s;
}

static void stream_unlink(sslq_conn *c, sslq_stream *s)
{
    sslq_stream **pp;

    if (s->send_blocked) {
        s->send_blocked = 0;
        c->nblocked--;
    }
    for (pp = &c->streams; *pp != NULL; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    if (s->in_send_list) {
        sslq_stream *prev = NULL, *it;

        for (it = c->send_head; it != NULL; prev = it, it = it->send_next)
            if (it == s) {
                if (prev)
                    prev->send_next = s->send_next;
                else
                    c->send_head = s->send_next;
                if (c->send_tail == s)
                    c->send_tail = prev;
                break;
            }
    }
    if (s->queued) {
        sslq_stream *prev = NULL, *it;

        for (it = c->accept_head; it != NULL; prev = it, it = it->accept_next)
            if (it == s) {
                if (prev)
                    prev->accept_next = s->accept_next;
                else
                    c->accept_head = s->accept_next;
                if (c->accept_tail == s)
                    c->accept_tail = prev;
                c->accept_len--;
                break;
            }
    }
}

static void stream_free(sslq_stream *s)
{
    sslq_bufq_free(&s->send);
    sslq_bufq_free(&s->recv);
    free(s);
}

/* Frees |s| once neither the application nor ngtcp2 needs it. */
static void stream_maybe_free(sslq_conn *c, sslq_stream *s)
{
    if (!s->released || !s->closed)
        return;
    stream_unlink(c, s);
    stream_free(s);
}

static void send_list_push(sslq_conn *c, sslq_stream *s)
{
    if (s->in_send_list || !sslq_stream_wants_send(s) || s->send_blocked)
        return;
    s->in_send_list = 1;
    s->send_next = NULL;
    if (c->send_tail)
        c->send_tail->send_next = s;
    else
        c->send_head = s;
    c->send_tail = s;
}

static void send_list_pop(sslq_conn *c)
{
    sslq_stream *s = c->send_head;

    c->send_head = s->send_next;
    if (c->send_head == NULL)
        c->send_tail = NULL;
    s->in_send_list = 0;
    s->send_next = NULL;
}

static sslq_stream *stream_of(ngtcp2_conn *nc, int64_t id, void *sud)
{
    (void)nc;
    (void)id;
    return sud;
}

/* ---- TLS shim callbacks -------------------------------------------------- */

static int tls_on_secret(void *arg, enum sslq_level level, int is_write,
                         const sslq_suite *suite, const uint8_t *secret,
                         size_t secretlen)
{
    sslq_conn *c = arg;

    return sslq_crypto_install_key(c->nc, (ngtcp2_encryption_level)level,
                                   !is_write, suite, secret, secretlen);
}

static int tls_on_crypto_data(void *arg, enum sslq_level level,
                              const uint8_t *data, size_t len)
{
    sslq_conn *c = arg;

    return ngtcp2_conn_submit_crypto_data(
               c->nc, (ngtcp2_encryption_level)level, data, len) == 0
               ? 0
               : SSLQ_ERR_NOMEM;
}

static int set_local_params(sslq_conn *c);

void (*sslq_conn_test_peer_params_hook)(ngtcp2_transport_params *params);

/* TEST ONLY: the peer's parameters as sslq_conn_test_peer_params_hook
 * rewrites them, encoded again into |out|.  Returns the length, or -1. */
static ngtcp2_ssize test_rewrite_peer_params(const sslq_conn *c,
                                             const uint8_t *data, size_t len,
                                             uint8_t *out, size_t cap)
{
    ngtcp2_transport_params p;

#if SSLQ_NGTCP2_LEGACY
    if (ngtcp2_decode_transport_params(
            &p,
            c->is_server ? NGTCP2_TRANSPORT_PARAMS_TYPE_CLIENT_HELLO
                         : NGTCP2_TRANSPORT_PARAMS_TYPE_ENCRYPTED_EXTENSIONS,
            data, len) != 0)
        return -1;
#else
    if (ngtcp2_transport_params_decode(&p, data, len) != 0)
        return -1;
#endif
    sslq_conn_test_peer_params_hook(&p);
    return sslq_ngtcp2_transport_params_encode(out, cap, !c->is_server, &p);
}

static int tls_on_peer_transport_params(void *arg, const uint8_t *data,
                                        size_t len)
{
    sslq_conn *c = arg;
    uint8_t rewritten[1024];
    ngtcp2_ssize n;
    int rv;

    if (sslq_conn_test_peer_params_hook != NULL && !c->is_server &&
        (n = test_rewrite_peer_params(c, data, len, rewritten,
                                      sizeof(rewritten))) > 0) {
        data = rewritten;
        len = (size_t)n;
    }
    rv = ngtcp2_conn_decode_and_set_remote_transport_params(c->nc, data, len);

    /* A server's parameters carry the version ngtcp2 just negotiated from
     * the client's (RFC 9368): encode them now, before the shim's libssl
     * builds EncryptedExtensions. */
    if (rv == 0)
        return c->is_server && set_local_params(c) != 0
                   ? SSLQ_TLS_ALERT_INTERNAL_ERROR
                   : 0;
    /* RFC 9000 §7.4 wants TRANSPORT_PARAMETER_ERROR, not a TLS alert: keep
     * ngtcp2's code for tls_failure to hand back. */
    c->tp_error = rv;
    return SSLQ_TLS_ALERT_ILLEGAL_PARAMETER;
}

static void tls_on_handshake_complete(void *arg)
{
    sslq_conn *c = arg;

    ngtcp2_conn_tls_handshake_completed(c->nc);
}

static const sslq_tls_callbacks tls_callbacks = {
    tls_on_secret,
    tls_on_crypto_data,
    tls_on_peer_transport_params,
    tls_on_handshake_complete,
};

/* A shim failure as ngtcp2 wants it back from recv_crypto_data. */
static int tls_failure(sslq_conn *c, int rv)
{
    uint8_t alert = sslq_tls_get_alert(c->tls);

    if (c->tp_error != 0)
        return c->tp_error;
    if (rv == SSLQ_ERR_TLS || alert != 0) {
        ngtcp2_conn_set_tls_alert(c->nc, alert ? alert : 80);
        return NGTCP2_ERR_CRYPTO;
    }
    if (rv == SSLQ_ERR_PROTO)
        return NGTCP2_ERR_PROTO;
    return NGTCP2_ERR_CALLBACK_FAILURE;
}

/* ---- ngtcp2 callbacks ----------------------------------------------------- */

static int cb_client_initial(ngtcp2_conn *nc, void *user_data)
{
    sslq_conn *c = user_data;
    const ngtcp2_cid *dcid = ngtcp2_conn_get_dcid(nc);
    int rv;

    if (sslq_crypto_install_initial(nc, ngtcp2_conn_get_client_chosen_version(nc),
                                    dcid) != 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    rv = sslq_tls_start(c->tls);
    return rv == 0 ? 0 : tls_failure(c, rv);
}

static int cb_recv_crypto_data(ngtcp2_conn *nc, ngtcp2_encryption_level level,
                               uint64_t offset, const uint8_t *data,
                               size_t datalen, void *user_data)
{
    sslq_conn *c = user_data;
    int rv;

    (void)offset;
    if (level == NGTCP2_ENCRYPTION_LEVEL_0RTT)
        return NGTCP2_ERR_PROTO;

    rv = sslq_tls_provide_data(c->tls, (enum sslq_level)level, data, datalen);
    return rv == 0 ? 0 : tls_failure(c, rv);
}

/* Half the idle timeout both sides agreed to (the smaller non-zero one),
 * at most 25 s, as OpenSSL 3.5 does. */
static void apply_keepalive(sslq_conn *c)
{
    const ngtcp2_transport_params *rp =
        ngtcp2_conn_get_remote_transport_params(c->nc);
    uint64_t t = c->idle_timeout;

    if (rp != NULL && rp->max_idle_timeout != 0 &&
        (t == 0 || rp->max_idle_timeout < t))
        t = rp->max_idle_timeout;
    if (t / 2 > 25 * NGTCP2_SECONDS)
        t = 50 * NGTCP2_SECONDS;
    if (t != 0)
        ngtcp2_conn_set_keep_alive_timeout(c->nc, t / 2);
}

void sslq_conn_enable_keepalive(sslq_conn *c)
{
    c->keepalive = 1;
    if (c->state == SSLQ_CONN_ESTABLISHED)
        apply_keepalive(c);
}

static int cb_handshake_completed(ngtcp2_conn *nc, void *user_data)
{
    sslq_conn *c = user_data;

    if (c->state == SSLQ_CONN_HANDSHAKE)
        c->state = SSLQ_CONN_ESTABLISHED;
    if (c->keepalive)
        apply_keepalive(c);
    if (c->is_server && c->ops->make_token) {
        uint8_t token[128];
        size_t tokenlen = sizeof(token);

        /* A failed NEW_TOKEN only costs the next connection a Retry. */
        if (c->ops->make_token(c->owner, c, token, &tokenlen) == 0)
            (void)ngtcp2_conn_submit_new_token(nc, token, tokenlen);
    }
    notify(c);
    return 0;
}

#if SSLQ_NGTCP2_LEGACY
static int cb_recv_new_token(ngtcp2_conn *nc, const ngtcp2_vec *token,
                             void *user_data)
{
    sslq_conn *c = user_data;

    (void)nc;
    if (c->ops->got_token)
        c->ops->got_token(c->owner, c, token->base, token->len);
    return 0;
}
#else
static int cb_recv_new_token(ngtcp2_conn *nc, const uint8_t *token,
                             size_t tokenlen, void *user_data)
{
    sslq_conn *c = user_data;

    (void)nc;
    if (c->ops->got_token)
        c->ops->got_token(c->owner, c, token, tokenlen);
    return 0;
}
#endif

static int cb_stream_open(ngtcp2_conn *nc, int64_t stream_id, void *user_data)
{
    sslq_conn *c = user_data;
    sslq_stream *s = stream_new(c, stream_id);

    if (s == NULL)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    ngtcp2_conn_set_stream_user_data(nc, stream_id, s);
    c->peer_opened[sslq_stream_is_uni(s)]++;
    if (c->reject_incoming) {
        /* SSL_INCOMING_STREAM_POLICY_REJECT: STOP_SENDING and, on a bidi
         * stream, RESET_STREAM at once.  The stream stays known (released)
         * so data still in flight only returns its credit. */
        if (s->recv_part == SSLQ_PART_OPEN) {
            s->recv_part = SSLQ_PART_RESET_LOCAL;
            s->recv_error = c->reject_aec;
        }
        if (s->send_part == SSLQ_PART_OPEN) {
            s->send_part = SSLQ_PART_RESET_LOCAL;
            s->send_error = c->reject_aec;
        }
        s->released = 1;
        ngtcp2_conn_shutdown_stream(nc, 0, stream_id, c->reject_aec);
        return 0;
    }
    s->queued = 1;
    if (c->accept_tail)
        c->accept_tail->accept_next = s;
    else
        c->accept_head = s;
    c->accept_tail = s;
    c->accept_len++;
    notify(c);
    return 0;
}

static int cb_recv_stream_data(ngtcp2_conn *nc, uint32_t flags,
                               int64_t stream_id, uint64_t offset,
                               const uint8_t *data, size_t datalen,
                               void *user_data, void *stream_user_data)
{
    sslq_conn *c = user_data;
    sslq_stream *s = stream_of(nc, stream_id, stream_user_data);

    (void)offset;
    if (s == NULL)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    if (s->recv_part == SSLQ_PART_OPEN) {
        if (sslq_bufq_append(&s->recv, data, datalen) != 0)
            return NGTCP2_ERR_CALLBACK_FAILURE;
    } else {
        /* Nobody will read it (we asked the peer to stop): give the credit
         * back at once so the connection window does not shrink. */
        ngtcp2_conn_extend_max_offset(nc, datalen);
    }
    if (flags & NGTCP2_STREAM_DATA_FLAG_FIN)
        s->fin_received = 1;
    notify(c);
    return 0;
}

static int cb_acked_stream_data_offset(ngtcp2_conn *nc, int64_t stream_id,
                                       uint64_t offset, uint64_t datalen,
                                       void *user_data, void *stream_user_data)
{
    sslq_stream *s = stream_of(nc, stream_id, stream_user_data);

    if (s != NULL) {
        sslq_bufq_release(&s->send, offset + datalen);
        notify(user_data);
    }
    return 0;
}

static int cb_stream_close(ngtcp2_conn *nc, uint32_t flags, int64_t stream_id,
                           uint64_t app_error_code, void *user_data,
                           void *stream_user_data)
{
    sslq_conn *c = user_data;
    sslq_stream *s = stream_of(nc, stream_id, stream_user_data);

    if (s == NULL)
        return 0;
    s->closed = 1;
    if (s->send_part == SSLQ_PART_OPEN && s->fin_sent &&
        sslq_bufq_len(&s->send) == 0) {
        s->send_part = SSLQ_PART_FINISHED;
    } else if (s->send_part == SSLQ_PART_OPEN &&
               (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET)) {
        /* Closed with our sending unfinished: ngtcp2 answered the peer's
         * STOP_SENDING with RESET_STREAM, which it reports no other way
         * (conn_api shows it as OpenSSL 3.5 does: RESET_LOCAL, with EW). */
        s->send_part = SSLQ_PART_RESET_REMOTE;
        s->send_error = app_error_code;
        sslq_bufq_release(&s->send, s->send.end);
    }
    notify(c);
    stream_maybe_free(c, s);
    return 0;
}

static int cb_stream_reset(ngtcp2_conn *nc, int64_t stream_id,
                           uint64_t final_size, uint64_t app_error_code,
                           void *user_data, void *stream_user_data)
{
    sslq_conn *c = user_data;
    sslq_stream *s = stream_of(nc, stream_id, stream_user_data);

    (void)final_size;
    if (s == NULL)
        return 0;
    if (s->recv_part == SSLQ_PART_OPEN) {
        s->recv_part = SSLQ_PART_RESET_REMOTE;
        s->recv_error = app_error_code;
        /* Unread data is discarded (RFC 9000 §3.2); its credit returns. */
        ngtcp2_conn_extend_max_offset(nc, sslq_bufq_len(&s->recv));
        sslq_bufq_release(&s->recv, s->recv.end);
    }
    notify(c);
    return 0;
}

static int cb_stream_stop_sending(ngtcp2_conn *nc, int64_t stream_id,
                                  uint64_t app_error_code, void *user_data,
                                  void *stream_user_data)
{
    sslq_conn *c = user_data;
    sslq_stream *s = stream_of(nc, stream_id, stream_user_data);

    if (s == NULL)
        return 0;
    if (s->send_part == SSLQ_PART_OPEN) {
        s->send_part = SSLQ_PART_RESET_REMOTE;
        s->send_error = app_error_code;
        ngtcp2_conn_shutdown_stream_write(nc, 0, stream_id, app_error_code);
    }
    notify(c);
    return 0;
}

static int cb_extend_max_stream_data(ngtcp2_conn *nc, int64_t stream_id,
                                     uint64_t max_data, void *user_data,
                                     void *stream_user_data)
{
    sslq_conn *c = user_data;
    sslq_stream *s = stream_of(nc, stream_id, stream_user_data);

    (void)max_data;
    if (s != NULL && s->send_blocked) {
        s->send_blocked = 0;
        c->nblocked--;
        send_list_push(c, s);
    }
    notify(c);
    return 0;
}

static int cb_extend_max_streams(ngtcp2_conn *nc, uint64_t max_streams,
                                 void *user_data)
{
    (void)nc;
    (void)max_streams;
    notify(user_data);
    return 0;
}

static int cb_get_new_connection_id(ngtcp2_conn *nc, ngtcp2_cid *cid,
                                    uint8_t *token, size_t cidlen,
                                    void *user_data)
{
    sslq_conn *c = user_data;

    (void)nc;
    if (sslq_random(cid->data, cidlen) != 0)
        return NGTCP2_ERR_CALLBACK_FAILURE;
    cid->datalen = cidlen;
    c->ops->reset_token(c->owner, cid, token);
    return c->ops->cid_add(c->owner, c, cid) == 0
               ? 0
               : NGTCP2_ERR_CALLBACK_FAILURE;
}

static int cb_remove_connection_id(ngtcp2_conn *nc, const ngtcp2_cid *cid,
                                   void *user_data)
{
    sslq_conn *c = user_data;

    (void)nc;
    c->ops->cid_remove(c->owner, c, cid);
    return 0;
}

static void set_callbacks(ngtcp2_callbacks *cb, int is_server)
{
    memset(cb, 0, sizeof(*cb));
    sslq_crypto_cb_set(cb);
    if (!is_server)
        cb->client_initial = cb_client_initial;
    cb->recv_crypto_data = cb_recv_crypto_data;
    cb->handshake_completed = cb_handshake_completed;
    cb->recv_new_token = cb_recv_new_token;
    cb->stream_open = cb_stream_open;
    cb->recv_stream_data = cb_recv_stream_data;
    cb->acked_stream_data_offset = cb_acked_stream_data_offset;
    cb->stream_close = cb_stream_close;
    cb->stream_reset = cb_stream_reset;
    cb->stream_stop_sending = cb_stream_stop_sending;
    cb->extend_max_stream_data = cb_extend_max_stream_data;
    cb->extend_max_local_streams_bidi = cb_extend_max_streams;
    cb->extend_max_local_streams_uni = cb_extend_max_streams;
    cb->get_new_connection_id = cb_get_new_connection_id;
    cb->remove_connection_id = cb_remove_connection_id;
}

/* ---- construction ------------------------------------------------------- */

/* ngtcp2's debug log to stderr, when SSLQUIC_NGTCP2_LOG is set. */
static void log_stderr(void *user_data, const char *fmt, ...)
{
    va_list ap;

    (void)user_data;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void fill_settings(ngtcp2_settings *st, const sslq_conn_config *cfg,
                          uint64_t now)
{
    ngtcp2_settings_default(st);
    st->initial_ts = now;
    st->log_printf = cfg->log_printf;
    if (st->log_printf == NULL && getenv("SSLQUIC_NGTCP2_LOG") != NULL)
        st->log_printf = log_stderr;
    st->handshake_timeout = ms_to_ns(cfg->handshake_timeout_ms
                                         ? cfg->handshake_timeout_ms
                                         : 10000);
    st->max_window = cfg->max_conn_window;
    st->max_stream_window = cfg->max_stream_window;
    st->cc_algo = (ngtcp2_cc_algo)cfg->cc_algo;
    st->rand_ctx.native_handle = NULL;
}

static void fill_params(ngtcp2_transport_params *p,
                        const sslq_conn_config *cfg)
{
    ngtcp2_transport_params_default(p);
    p->initial_max_stream_data_bidi_local = cfg->stream_window;
    p->initial_max_stream_data_bidi_remote = cfg->stream_window;
    p->initial_max_stream_data_uni = cfg->stream_window;
    p->initial_max_data = cfg->conn_window;
    p->initial_max_streams_bidi = cfg->max_streams_bidi;
    p->initial_max_streams_uni = cfg->max_streams_uni;
    p->max_idle_timeout = ms_to_ns(cfg->idle_timeout_ms);
    p->active_connection_id_limit = 8;
}

static int conn_alloc(sslq_conn **out, SSL *ssl, int is_server,
                      const sslq_conn_config *cfg, const sslq_conn_ops *ops,
                      void *owner)
{
    sslq_conn *c;

    if (ssl == NULL || cfg == NULL || ops == NULL || ops->cid_add == NULL ||
        ops->cid_remove == NULL || ops->reset_token == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return SSLQ_ERR_NOMEM;
    c->ssl = ssl;
    c->is_server = is_server;
    c->ops = ops;
    c->owner = owner;
    c->stream_send_buffer = cfg->stream_send_buffer;
    c->idle_timeout = ms_to_ns(cfg->idle_timeout_ms);
    c->tls = sslq_tls_new(ssl, is_server, &tls_callbacks, c);
    if (c->tls == NULL) {
        free(c);
        return SSLQ_ERR_TLS;
    }
    *out = c;
    return 0;
}

/*
 * Encodes our transport parameters into the TLS extension.  ngtcp2 fills in
 * a server's initial_source_connection_id only when the server installs its
 * Handshake key (1.x) or never (0.12), both too late for the shim, which
 * needs the bytes while libssl builds EncryptedExtensions: the value is our
 * first SCID either way, so it is set here (RFC 9000 §7.3).
 */
static int set_local_params(sslq_conn *c)
{
    uint8_t buf[MAX_TRANSPORT_PARAMS];
    ngtcp2_transport_params params =
        *ngtcp2_conn_get_local_transport_params(c->nc);
    ngtcp2_ssize n;

    sslq_ngtcp2_params_set_initial_scid(&params, &c->scid);
    n = sslq_ngtcp2_transport_params_encode(buf, sizeof(buf), c->is_server,
                                            &params);

    if (n < 0)
        return SSLQ_ERR_INTERNAL;
    return sslq_tls_set_local_transport_params(c->tls, buf, (size_t)n);
}

int sslq_conn_new_client(sslq_conn **out, SSL *ssl,
                         const sslq_conn_config *cfg,
                         const ngtcp2_path *path, const sslq_conn_ops *ops,
                         void *owner, uint64_t now)
{
    ngtcp2_callbacks cb;
    ngtcp2_settings st;
    ngtcp2_transport_params params;
    ngtcp2_cid dcid, scid;
    sslq_conn *c;
    int rv;

    if (path == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    if ((rv = conn_alloc(&c, ssl, 0, cfg, ops, owner)) != 0)
        return rv;
    dcid.datalen = 16;
    scid.datalen = SSLQ_CONN_SCID_LEN;
    if (sslq_random(dcid.data, dcid.datalen) != 0 ||
        sslq_random(scid.data, scid.datalen) != 0) {
        rv = SSLQ_ERR_CRYPTO;
        goto fail;
    }
    set_callbacks(&cb, 0);
    fill_settings(&st, cfg, now);
    if (cfg->tokenlen)
        sslq_ngtcp2_settings_set_token(&st, cfg->token, cfg->tokenlen,
                                       NGTCP2_TOKEN_TYPE_UNKNOWN);
    fill_params(&params, cfg);
    c->scid = scid;
    rv = ngtcp2_conn_client_new(&c->nc, &dcid, &scid, path,
                                cfg->version ? cfg->version
                                             : NGTCP2_PROTO_VER_V1,
                                &cb, &st, &params, NULL, c);
    if (rv != 0) {
        rv = rv == NGTCP2_ERR_NOMEM ? SSLQ_ERR_NOMEM
                                    : SSLQ_ERR_INVALID_ARGUMENT;
        goto fail;
    }
    if ((rv = set_local_params(c)) != 0)
        goto fail;
    if ((rv = ops->cid_add(owner, c, &scid)) != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    sslq_conn_free(c);
    return rv;
}

int sslq_conn_new_server(sslq_conn **out, SSL *ssl,
                         const sslq_conn_config *cfg,
                         const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
                         const ngtcp2_cid *odcid, int validated,
                         const sslq_conn_ops *ops, void *owner, uint64_t now)
{
    ngtcp2_callbacks cb;
    ngtcp2_settings st;
    ngtcp2_transport_params params;
    ngtcp2_cid scid;
    const uint8_t *token;
    size_t tokenlen;
    sslq_conn *c;
    int rv;

    if (path == NULL || hd == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    if ((rv = conn_alloc(&c, ssl, 1, cfg, ops, owner)) != 0)
        return rv;
    scid.datalen = SSLQ_CONN_SCID_LEN;
    if (sslq_random(scid.data, scid.datalen) != 0) {
        rv = SSLQ_ERR_CRYPTO;
        goto fail;
    }
    set_callbacks(&cb, 1);
    fill_settings(&st, cfg, now);
    token = sslq_ngtcp2_pkt_hd_token(hd, &tokenlen);
    if (tokenlen && validated)
        sslq_ngtcp2_settings_set_token(&st, token, tokenlen,
                                       odcid ? NGTCP2_TOKEN_TYPE_RETRY
                                             : NGTCP2_TOKEN_TYPE_NEW_TOKEN);
    fill_params(&params, cfg);
    if (odcid != NULL) {
        sslq_ngtcp2_params_set_original_dcid(&params, odcid);
        params.retry_scid = hd->dcid;
        params.retry_scid_present = 1;
    } else {
        sslq_ngtcp2_params_set_original_dcid(&params, &hd->dcid);
    }
    ops->reset_token(owner, &scid, params.stateless_reset_token);
    params.stateless_reset_token_present = 1;
    c->scid = scid;
    rv = ngtcp2_conn_server_new(&c->nc, &hd->scid, &scid, path, hd->version,
                                &cb, &st, &params, NULL, c);
    if (rv != 0) {
        rv = rv == NGTCP2_ERR_NOMEM ? SSLQ_ERR_NOMEM
                                    : SSLQ_ERR_INVALID_ARGUMENT;
        goto fail;
    }
    if ((rv = ops->cid_add(owner, c, &scid)) != 0)
        goto fail;
    /* The client keeps using the DCID it chose until our first packet
     * reaches it. */
    c->odcid = hd->dcid;
    if (ops->cid_add(owner, c, &c->odcid) == 0)
        c->odcid_routed = 1;
    *out = c;
    return 0;
fail:
    sslq_conn_free(c);
    return rv;
}

void sslq_conn_free(sslq_conn *c)
{
    sslq_stream *s, *next;

    if (c == NULL)
        return;
    if (c->nc != NULL) {
        size_t n = sslq_ngtcp2_conn_scid_count(c->nc);
        ngtcp2_cid *scids = n ? calloc(n, sizeof(*scids)) : NULL;

        if (scids != NULL) {
            n = ngtcp2_conn_get_scid(c->nc, scids);
            for (size_t i = 0; i < n; i++)
                c->ops->cid_remove(c->owner, c, &scids[i]);
            free(scids);
        }
        if (c->odcid_routed)
            c->ops->cid_remove(c->owner, c, &c->odcid);
        ngtcp2_conn_del(c->nc);
    }
    for (s = c->streams; s != NULL; s = next) {
        next = s->next;
        stream_free(s);
    }
    sslq_tls_free(c->tls);
    free(c->close_pkt);
    free(c);
}

/* ---- closing ------------------------------------------------------------ */

static void record_close(sslq_conn *c, int remote, const ngtcp2_ccerr *e)
{
    if (c->close.set)
        return;
    c->close.set = 1;
    c->close.remote = remote;
    c->close.app = e->type == NGTCP2_CCERR_TYPE_APPLICATION;
    c->close.idle = e->type == NGTCP2_CCERR_TYPE_IDLE_CLOSE;
    c->close.code = e->error_code;
    c->close.frame_type = e->frame_type;
    c->close.reasonlen = e->reasonlen < sizeof(c->close.reason) - 1
                             ? e->reasonlen
                             : sizeof(c->close.reason) - 1;
    if (c->close.reasonlen)
        memcpy(c->close.reason, e->reason, c->close.reasonlen);
    c->close.reason[c->close.reasonlen] = '\0';
}

/* Every stream learns the connection ended. */
static void streams_conn_closed(sslq_conn *c)
{
    for (sslq_stream *s = c->streams; s != NULL; s = s->next) {
        if (s->send_part == SSLQ_PART_OPEN)
            s->send_part = SSLQ_PART_CONN_CLOSED;
        if (s->recv_part == SSLQ_PART_OPEN && !s->fin_received)
            s->recv_part = SSLQ_PART_CONN_CLOSED;
    }
}

static uint64_t three_pto(sslq_conn *c)
{
    return 3 * ngtcp2_conn_get_pto(c->nc);
}

static void enter_draining(sslq_conn *c, uint64_t now)
{
    ngtcp2_ccerr e;

    sslq_ngtcp2_conn_get_ccerr(c->nc, &e);
    record_close(c, 1, &e);
    c->state = SSLQ_CONN_DRAINING;
    c->end_time = now + three_pto(c);
    streams_conn_closed(c);
    notify(c);
}

static void enter_closed(sslq_conn *c)
{
    c->state = SSLQ_CONN_CLOSED;
    streams_conn_closed(c);
    notify(c);
}

void sslq_conn_close(sslq_conn *c, int app, uint64_t code, const char *reason,
                     uint64_t now)
{
    size_t rlen = reason ? strlen(reason) : 0;

    (void)now;
    if (c == NULL || c->state >= SSLQ_CONN_CLOSING || c->close_pending)
        return;
    if (app)
        ngtcp2_ccerr_set_application_error(&c->ccerr, code,
                                           (const uint8_t *)reason, rlen);
    else
        ngtcp2_ccerr_set_transport_error(&c->ccerr, code,
                                         (const uint8_t *)reason, rlen);
    c->close_pending = 1;
    record_close(c, 0, &c->ccerr);
}

/* An ngtcp2 failure closes the connection with the matching error. */
static void close_on_error(sslq_conn *c, int liberr, uint64_t now)
{
    if (c->state >= SSLQ_CONN_CLOSING || c->close_pending)
        return;
    if (liberr == NGTCP2_ERR_CRYPTO)
        ngtcp2_ccerr_set_tls_alert(&c->ccerr,
                                   ngtcp2_conn_get_tls_alert(c->nc), NULL, 0);
    else
        ngtcp2_ccerr_set_liberr(&c->ccerr, liberr, NULL, 0);
    if (liberr == NGTCP2_ERR_HANDSHAKE_TIMEOUT ||
        liberr == NGTCP2_ERR_DROP_CONN) {
        record_close(c, 0, &c->ccerr);
        enter_closed(c);
        return;
    }
    c->close_pending = 1;
    record_close(c, 0, &c->ccerr);
    (void)now;
}

/* ---- I/O ---------------------------------------------------------------- */

int sslq_conn_read(sslq_conn *c, const ngtcp2_path *path, uint8_t ecn,
                   const uint8_t *data, size_t len, uint64_t now)
{
    ngtcp2_pkt_info pi = {0};
    int rv;

    switch (c->state) {
    case SSLQ_CONN_CLOSING:
        c->close_resend = 1;
        return 0;
    case SSLQ_CONN_DRAINING:
    case SSLQ_CONN_CLOSED:
        return 0;
    default:
        break;
    }
    pi.ecn = ecn;
    rv = ngtcp2_conn_read_pkt(c->nc, path, &pi, data, len, now);
    if (rv == 0)
        return 0;
    if (rv == NGTCP2_ERR_DRAINING) {
        enter_draining(c, now);
        return 0;
    }
    if (rv == NGTCP2_ERR_NOMEM)
        return SSLQ_ERR_NOMEM;
    if (rv == NGTCP2_ERR_DISCARD_PKT)
        return 0;
    close_on_error(c, rv, now);
    notify(c);
    return 0;
}

/* Writes the CONNECTION_CLOSE once and keeps it to answer later packets. */
static int write_close(sslq_conn *c, uint8_t *buf, size_t cap, size_t *len,
                       ngtcp2_path_storage *ps, uint64_t now)
{
    ngtcp2_pkt_info pi;
    ngtcp2_ssize n;

    c->close_pending = 0;
    ngtcp2_path_storage_zero(ps);
    n = ngtcp2_conn_write_connection_close(c->nc, &ps->path, &pi, buf, cap,
                                           &c->ccerr, now);
    c->state = SSLQ_CONN_CLOSING;
    c->end_time = now + three_pto(c);
    streams_conn_closed(c);
    notify(c);
    if (n <= 0) {
        /* Nothing can be sent (e.g. no keys yet): close silently. */
        enter_closed(c);
        return 0;
    }
    c->close_pkt = malloc((size_t)n);
    if (c->close_pkt != NULL) {
        memcpy(c->close_pkt, buf, (size_t)n);
        c->close_pktlen = (size_t)n;
    }
    *len = (size_t)n;
    return 0;
}

/*
 * Streams blocked by flow control go back to sending once credit came.
 * ngtcp2 reports a raised stream limit through extend_max_stream_data, but
 * a raised connection limit (MAX_DATA) through nothing, and it answers
 * STREAM_DATA_BLOCKED for either, so the credit is looked up here.
 */
static void unblock_streams(sslq_conn *c)
{
    if (ngtcp2_conn_get_max_data_left(c->nc) == 0)
        return;
    for (sslq_stream *s = c->streams; s != NULL && c->nblocked > 0;
         s = s->next)
        if (s->send_blocked && !s->closed &&
            ngtcp2_conn_get_max_stream_data_left(c->nc, s->id) > 0) {
            s->send_blocked = 0;
            c->nblocked--;
            send_list_push(c, s);
        }
}

static void pace(sslq_conn *c, uint64_t now)
{
    if (c->burst > 0) {
        ngtcp2_conn_update_pkt_tx_time(c->nc, now);
        c->burst = 0;
    }
}

int sslq_conn_write(sslq_conn *c, uint8_t *buf, size_t cap, size_t *len,
                    ngtcp2_path_storage *ps, uint8_t *ecn, uint64_t now)
{
    ngtcp2_pkt_info pi = {0};
    ngtcp2_ssize n;

    *len = 0;
    *ecn = 0;
    ngtcp2_path_storage_zero(ps); /* points the path at its own storage */
    if (c->close_pending)
        return write_close(c, buf, cap, len, ps, now);
    if (c->state == SSLQ_CONN_CLOSING) {
        if (c->close_resend && c->close_pkt != NULL &&
            c->close_pktlen <= cap) {
            c->close_resend = 0;
            ngtcp2_path_copy(&ps->path, ngtcp2_conn_get_path(c->nc));
            memcpy(buf, c->close_pkt, c->close_pktlen);
            *len = c->close_pktlen;
        }
        return 0;
    }
    if (c->state >= SSLQ_CONN_DRAINING)
        return 0;
    if (c->nblocked > 0)
        unblock_streams(c);
    /* Pacing: a burst ends after ngtcp2's send quantum; the pacer then
     * sets the time of the next one (a timer of the connection). */
    if (c->burst >= ngtcp2_conn_get_send_quantum(c->nc)) {
        pace(c, now);
        return 0;
    }

    for (;;) {
        sslq_stream *s = c->send_head;
        struct iovec iov[16];
        ngtcp2_vec vec[16];
        size_t nv = 0, total = 0;
        int64_t sid = -1;
        uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
        ngtcp2_ssize ndatalen = -1;

        if (s != NULL) {
            sid = s->id;
            /* One packet's worth: each vector touches a chunk, and a
             * packet takes at most |cap| bytes. */
            size_t want = cap / s->send.chunk_size + 2;

            nv = sslq_bufq_vec(&s->send, s->send_offset, iov,
                               want < 16 ? want : 16, &total);
            for (size_t i = 0; i < nv; i++) {
                vec[i].base = iov[i].iov_base;
                vec[i].len = iov[i].iov_len;
            }
            /* FIN only when the vectors reach the end of what was written. */
            if (s->fin_wanted && s->send_offset + total == s->send.end)
                flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
        }
        n = ngtcp2_conn_writev_stream(c->nc, &ps->path, &pi, buf, cap,
                                      &ndatalen, flags, sid, vec, nv, now);
        if (s != NULL && ndatalen >= 0) {
            s->send_offset += (uint64_t)ndatalen;
            if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) &&
                s->send_offset == s->send.end) {
                s->fin_sent = 1;
                s->send_part = SSLQ_PART_FINISHED;
            }
            if (!sslq_stream_wants_send(s))
                send_list_pop(c);
        }
        if (n == NGTCP2_ERR_WRITE_MORE)
            continue;
        if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED && s != NULL) {
            s->send_blocked = 1;
            c->nblocked++;
            send_list_pop(c);
            continue;
        }
        if ((n == NGTCP2_ERR_STREAM_SHUT_WR ||
             n == NGTCP2_ERR_STREAM_NOT_FOUND) &&
            s != NULL) {
            send_list_pop(c);
            continue;
        }
        if (n < 0) {
            if (n == NGTCP2_ERR_NOMEM)
                return SSLQ_ERR_NOMEM;
            close_on_error(c, (int)n, now);
            if (c->close_pending)
                return write_close(c, buf, cap, len, ps, now);
            return 0;
        }
        if (n == 0) {
            pace(c, now);
            return 0;
        }
        c->burst += (size_t)n;
        *len = (size_t)n;
        *ecn = (uint8_t)pi.ecn;
        return 0;
    }
}

uint64_t sslq_conn_expiry(sslq_conn *c)
{
    if (c->close_pending)
        return 0;
    switch (c->state) {
    case SSLQ_CONN_CLOSING:
    case SSLQ_CONN_DRAINING:
        return c->end_time;
    case SSLQ_CONN_CLOSED:
        return UINT64_MAX;
    default:
        return ngtcp2_conn_get_expiry(c->nc);
    }
}

int sslq_conn_handle_expiry(sslq_conn *c, uint64_t now)
{
    int rv;

    switch (c->state) {
    case SSLQ_CONN_CLOSING:
    case SSLQ_CONN_DRAINING:
        if (now >= c->end_time)
            enter_closed(c);
        return 0;
    case SSLQ_CONN_CLOSED:
        return 0;
    default:
        break;
    }
    if (ngtcp2_conn_get_expiry(c->nc) > now)
        return 0;
    rv = ngtcp2_conn_handle_expiry(c->nc, now);
    if (rv == 0)
        return 0;
    if (rv == NGTCP2_ERR_IDLE_CLOSE) {
        ngtcp2_ccerr e;

        ngtcp2_ccerr_default(&e);
        e.type = NGTCP2_CCERR_TYPE_IDLE_CLOSE;
        record_close(c, 0, &e);
        enter_closed(c);
        return 0;
    }
    close_on_error(c, rv, now);
    notify(c);
    return 0;
}

/* ---- queries ------------------------------------------------------------ */

enum sslq_conn_state sslq_conn_state(const sslq_conn *c)
{
    return c->state;
}

int sslq_conn_is_server(const sslq_conn *c)
{
    return c->is_server;
}

SSL *sslq_conn_ssl(const sslq_conn *c)
{
    return c->ssl;
}

const sslq_close_info *sslq_conn_close_info(const sslq_conn *c)
{
    return &c->close;
}

const ngtcp2_path *sslq_conn_path(const sslq_conn *c)
{
    return ngtcp2_conn_get_path(c->nc);
}

ngtcp2_conn *sslq_conn_ngtcp2(const sslq_conn *c)
{
    return c->nc;
}

void *sslq_conn_owner(const sslq_conn *c)
{
    return c->owner;
}

/* ---- stream API --------------------------------------------------------- */

uint64_t sslq_conn_peer_streams_left(const sslq_conn *c, int uni)
{
    const ngtcp2_transport_params *p =
        ngtcp2_conn_get_local_transport_params(c->nc);
    uint64_t max = uni ? p->initial_max_streams_uni : p->initial_max_streams_bidi;

    return max > c->peer_opened[uni] ? max - c->peer_opened[uni] : 0;
}

void sslq_conn_set_incoming_reject(sslq_conn *c, int reject, uint64_t aec)
{
    c->reject_incoming = reject;
    c->reject_aec = aec;
}

int sslq_conn_open_stream(sslq_conn *c, int uni, sslq_stream **out)
{
    int64_t id;
    sslq_stream *s;
    int rv;

    if (c->state != SSLQ_CONN_ESTABLISHED || c->close_pending)
        return SSLQ_ERR_PROTO;
    rv = uni ? ngtcp2_conn_open_uni_stream(c->nc, &id, NULL)
             : ngtcp2_conn_open_bidi_stream(c->nc, &id, NULL);
    if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED)
        return SSLQ_ERR_WOULD_BLOCK;
    if (rv != 0)
        return rv == NGTCP2_ERR_NOMEM ? SSLQ_ERR_NOMEM : SSLQ_ERR_PROTO;
    s = stream_new(c, id);
    if (s == NULL) {
        ngtcp2_conn_shutdown_stream(c->nc, 0, id, 0);
        return SSLQ_ERR_NOMEM;
    }
    ngtcp2_conn_set_stream_user_data(c->nc, id, s);
    *out = s;
    return 0;
}

sslq_stream *sslq_conn_accept_stream(sslq_conn *c)
{
    sslq_stream *s = c->accept_head;

    if (s == NULL)
        return NULL;
    c->accept_head = s->accept_next;
    if (c->accept_head == NULL)
        c->accept_tail = NULL;
    s->accept_next = NULL;
    s->queued = 0;
    c->accept_len--;
    return s;
}

size_t sslq_conn_accept_queue_len(const sslq_conn *c)
{
    return c->accept_len;
}

unsigned sslq_conn_accept_queue_kinds(const sslq_conn *c)
{
    unsigned k = 0;

    for (const sslq_stream *s = c->accept_head; s != NULL; s = s->accept_next)
        k |= sslq_stream_is_uni(s) ? 2 : 1;
    return k;
}

uint64_t sslq_conn_streams_left(const sslq_conn *c, int uni)
{
    if (c->state != SSLQ_CONN_ESTABLISHED)
        return 0;
    return uni ? ngtcp2_conn_get_streams_uni_left(c->nc)
               : ngtcp2_conn_get_streams_bidi_left(c->nc);
}

int sslq_stream_write(sslq_stream *s, const uint8_t *data, size_t len,
                      int fin, size_t *written)
{
    sslq_conn *c = s->conn;
    uint64_t held = sslq_bufq_len(&s->send);
    size_t room, n;

    *written = 0;
    if (s->send_part != SSLQ_PART_OPEN || s->fin_wanted)
        return SSLQ_ERR_PROTO;
    room = held >= s->send_cap ? 0 : s->send_cap - (size_t)held;
    n = len < room ? len : room;
    if (n > 0 && sslq_bufq_append(&s->send, data, n) != 0)
        return SSLQ_ERR_NOMEM;
    *written = n;
    if (fin && n == len)
        s->fin_wanted = 1;
    send_list_push(c, s);
    if (n == 0 && len > 0)
        return SSLQ_ERR_WOULD_BLOCK;
    return 0;
}

int sslq_stream_read(sslq_stream *s, uint8_t *out, size_t len, int peek,
                     size_t *nread, int *fin)
{
    sslq_conn *c = s->conn;
    size_t n;

    *nread = 0;
    *fin = 0;
    if (s->recv_part == SSLQ_PART_NONE ||
        s->recv_part == SSLQ_PART_RESET_LOCAL ||
        s->recv_part == SSLQ_PART_RESET_REMOTE)
        return SSLQ_ERR_PROTO;
    n = peek ? sslq_bufq_peek(&s->recv, out, len)
             : sslq_bufq_read(&s->recv, out, len);
    *nread = n;
    if (n > 0 && !peek && c->state < SSLQ_CONN_CLOSING) {
        ngtcp2_conn_extend_max_stream_offset(c->nc, s->id, n);
        ngtcp2_conn_extend_max_offset(c->nc, n);
    }
    if (sslq_bufq_len(&s->recv) == 0 && s->fin_received) {
        *fin = 1;
        if (!peek)
            s->recv_part = SSLQ_PART_FINISHED;
        return 0;
    }
    if (n == 0) {
        if (s->recv_part == SSLQ_PART_CONN_CLOSED)
            return SSLQ_ERR_PROTO;
        return SSLQ_ERR_WOULD_BLOCK;
    }
    return 0;
}

int sslq_stream_reset(sslq_stream *s, uint64_t code)
{
    sslq_conn *c = s->conn;

    if (s->send_part != SSLQ_PART_OPEN && s->send_part != SSLQ_PART_FINISHED)
        return SSLQ_ERR_PROTO;
    s->send_part = SSLQ_PART_RESET_LOCAL;
    s->send_error = code;
    if (c->state < SSLQ_CONN_CLOSING && !s->closed)
        ngtcp2_conn_shutdown_stream_write(c->nc, 0, s->id, code);
    sslq_bufq_release(&s->send, s->send.end);
    return 0;
}

int sslq_stream_stop_sending(sslq_stream *s, uint64_t code)
{
    sslq_conn *c = s->conn;

    if (s->recv_part != SSLQ_PART_OPEN)
        return SSLQ_ERR_PROTO;
    s->recv_part = SSLQ_PART_RESET_LOCAL;
    s->recv_error = code;
    if (c->state < SSLQ_CONN_CLOSING && !s->closed) {
        ngtcp2_conn_shutdown_stream_read(c->nc, 0, s->id, code);
        ngtcp2_conn_extend_max_offset(c->nc, sslq_bufq_len(&s->recv));
    }
    sslq_bufq_release(&s->recv, s->recv.end);
    return 0;
}

void sslq_stream_release(sslq_stream *s, uint64_t code)
{
    sslq_conn *c = s->conn;

    if (s->recv_part == SSLQ_PART_OPEN && !s->fin_received)
        sslq_stream_stop_sending(s, code);
    s->released = 1;
    s->handle = NULL;
    if (c->state >= SSLQ_CONN_CLOSING)
        s->closed = 1;
    stream_maybe_free(c, s);
}

void sslq_conn_set_msg_callback(sslq_conn *c,
                                void (*cb)(int, int, int, const void *, size_t,
                                           SSL *, void *))
{
    sslq_tls_set_user_msg_callback(c->tls, cb, NULL);
}

int sslq_conn_send_idle(const sslq_conn *c)
{
    for (const sslq_stream *s = c->streams; s != NULL; s = s->next) {
        if (s->send_part != SSLQ_PART_OPEN &&
            s->send_part != SSLQ_PART_FINISHED)
            continue;
        if (sslq_bufq_len(&s->send) > 0 || (s->fin_wanted && !s->fin_sent))
            return 0;
    }
    return 1;
}

int sslq_conn_initiate_key_update(sslq_conn *c, uint64_t now)
{
    return ngtcp2_conn_initiate_key_update(c->nc, now) == 0 ? 0
                                                             : SSLQ_ERR_PROTO;
}
