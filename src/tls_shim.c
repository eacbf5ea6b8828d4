/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* secure_getenv */
#include "tls_shim.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "error.h"

#define QUIC_CIPHERSUITES                                                      \
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"                           \
    "TLS_CHACHA20_POLY1305_SHA256"

#define TLS_RECORD_MAX_PLAINTEXT 16384
#define TLS_RECORD_HEADER_LEN 5
#define TLS_CT_ALERT 21
#define TLS_CT_HANDSHAKE 22
#define TLS_CT_APPLICATION_DATA 23

/* Handshake message types (RFC 8446 §4). */
#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2
#define HS_NEW_SESSION_TICKET 4
#define HS_ENCRYPTED_EXTENSIONS 8
#define HS_CERTIFICATE 11
#define HS_CERTIFICATE_REQUEST 13
#define HS_CERTIFICATE_VERIFY 15
#define HS_FINISHED 20
#define HS_COMPRESSED_CERTIFICATE 25 /* RFC 8879; OpenSSL >= 3.2 */

#define NLEVELS 3

/* Per SSL_CTX: what the user set that the shim occupies. */
typedef struct ctx_state {
    SSL_CTX_keylog_cb_func user_keylog;
    sslq_tls_msg_cb user_msg;
    void *user_msg_arg;
} ctx_state;

enum event_kind { EV_SECRET, EV_MESSAGE };

/* Something libssl produced during one call, held until the call ends so
 * that it can be reordered (a message before its level's write secret) or
 * dropped (the call failed). */
typedef struct tls_event {
    enum event_kind kind;
    enum sslq_level level;
    int is_write;
    const sslq_suite *suite;
    uint8_t *data;
    size_t len;
    int sent;
} tls_event;

/* Where the incoming byte stream of one level stands in its message
 * framing. */
typedef struct msg_framer {
    uint8_t hdr[4];
    size_t hdrlen;
    size_t body_left;
} msg_framer;

/* How we turn the peer's CRYPTO data of one level into records.  The key
 * is derived and its context made only when the first data arrives: many
 * connections never receive any at the application level. */
typedef struct record_sealer {
    const sslq_suite *suite; /* NULL: no secret (Initial: plaintext) */
    uint8_t secret[SSLQ_MAX_SECRET_LEN];
    EVP_CIPHER_CTX *aead; /* NULL until first used */
    uint8_t iv[SSLQ_IV_LEN];
    uint64_t seq;
} record_sealer;

struct sslq_tls {
    SSL *ssl;
    int is_server;
    sslq_tls_callbacks cb;
    void *arg;
    BIO *rbio; /* owned by the SSL */
    BIO *wbio; /* owned by the SSL */
    sslq_tls_msg_cb user_msg;
    void *user_msg_arg;

    uint8_t *local_tp;
    size_t local_tplen;
    uint8_t *peer_tp;
    size_t peer_tplen;
    int peer_tp_seen;
    int peer_tp_delivered;  /* handed to on_peer_transport_params */
    int peer_checked;

    enum sslq_level read_level;
    record_sealer sealer[NLEVELS];
    msg_framer framer[NLEVELS];
    int write_ready[NLEVELS];

    tls_event *events;
    size_t nevents;
    size_t cap_events;

    int started;
    int complete;
    int complete_reported;
    int failed;    /* SSLQ_ERR_TLS or SSLQ_ERR_PROTO once failed */
    uint8_t alert; /* the first alert, libssl's or ours */
};

static CRYPTO_ONCE index_once = CRYPTO_ONCE_STATIC_INIT;
static int ssl_index = -1;
static int ctx_index = -1;

static void ctx_state_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                           long argl, void *argp)
{
    OPENSSL_free(ptr);
}

static void make_indexes(void)
{
    ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ctx_state_free);
}

static int indexes_ready(void)
{
    return CRYPTO_THREAD_run_once(&index_once, make_indexes) &&
           ssl_index >= 0 && ctx_index >= 0;
}

static ctx_state *ctx_state_get(const SSL_CTX *ctx)
{
    if (ctx == NULL || !indexes_ready())
        return NULL;
    return SSL_CTX_get_ex_data(ctx, ctx_index);
}

static sslq_tls *tls_from_ssl(const SSL *ssl)
{
    if (ssl_index < 0)
        return NULL;
    return SSL_get_ex_data(ssl, ssl_index);
}

/* ---- failure ------------------------------------------------------------- */

static void events_clear(sslq_tls *tls)
{
    for (size_t i = 0; i < tls->nevents; i++) {
        if (tls->events[i].data != NULL) {
            OPENSSL_cleanse(tls->events[i].data, tls->events[i].len);
            OPENSSL_free(tls->events[i].data);
        }
    }
    tls->nevents = 0;
}

static void fail_alert(sslq_tls *tls, uint8_t alert)
{
    if (tls->failed)
        return;
    tls->failed = SSLQ_ERR_TLS;
    if (tls->alert == 0)
        tls->alert = alert;
}

static int fail_proto(sslq_tls *tls)
{
    if (!tls->failed)
        tls->failed = SSLQ_ERR_PROTO;
    return tls->failed;
}

/* ---- events -------------------------------------------------------------- */

static int event_push(sslq_tls *tls, enum event_kind kind,
                      enum sslq_level level, int is_write,
                      const sslq_suite *suite, const uint8_t *data, size_t len)
{
    if (tls->nevents == tls->cap_events) {
        size_t cap = tls->cap_events ? tls->cap_events * 2 : 16;
        tls_event *ev = OPENSSL_realloc(tls->events, cap * sizeof(*ev));
        if (ev == NULL)
            return SSLQ_ERR_NOMEM;
        tls->events = ev;
        tls->cap_events = cap;
    }
    tls_event *e = &tls->events[tls->nevents];
    memset(e, 0, sizeof(*e));
    e->data = OPENSSL_memdup(data, len ? len : 1);
    if (e->data == NULL)
        return SSLQ_ERR_NOMEM;
    e->kind = kind;
    e->level = level;
    e->is_write = is_write;
    e->suite = suite;
    e->len = len;
    tls->nevents++;
    return 0;
}

static int send_message(sslq_tls *tls, tls_event *e)
{
    e->sent = 1;
    if (tls->cb.on_crypto_data(tls->arg, e->level, e->data, e->len) != 0)
        return SSLQ_ERR_INTERNAL;
    return 0;
}

/*
 * Reports this call's events to the caller.  A message waits for the write
 * secret of its level: libssl may report a message before the secret that
 * protects it, and the caller must have the key first.
 */
static int events_flush(sslq_tls *tls)
{
    int ready[NLEVELS], rv = 0;

    /* A message whose key never came fails the call before anything of it
     * is reported. */
    memcpy(ready, tls->write_ready, sizeof(ready));
    for (size_t i = 0; i < tls->nevents; i++) {
        const tls_event *e = &tls->events[i];
        if (e->kind == EV_SECRET && e->is_write)
            ready[e->level] = 1;
    }
    for (size_t i = 0; i < tls->nevents && rv == 0; i++) {
        const tls_event *e = &tls->events[i];
        if (e->kind == EV_MESSAGE && !ready[e->level])
            rv = SSLQ_ERR_INTERNAL;
    }

    for (size_t i = 0; i < tls->nevents && rv == 0; i++) {
        tls_event *e = &tls->events[i];
        if (e->kind == EV_MESSAGE) {
            if (tls->write_ready[e->level])
                rv = send_message(tls, e);
            continue;
        }
        if (tls->cb.on_secret(tls->arg, e->level, e->is_write, e->suite,
                              e->data, e->len) != 0) {
            rv = SSLQ_ERR_INTERNAL;
            break;
        }
        if (!e->is_write)
            continue;
        tls->write_ready[e->level] = 1;
        for (size_t j = 0; j < i && rv == 0; j++) {
            tls_event *m = &tls->events[j];
            if (m->kind == EV_MESSAGE && !m->sent && m->level == e->level)
                rv = send_message(tls, m);
        }
    }
    events_clear(tls);
    if (rv != 0)
        fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
    return rv;
}

/* ---- outgoing: the message callback -------------------------------------- */

/* The level a handshake message we send travels at. */
static int message_level(uint8_t type, enum sslq_level *level)
{
    switch (type) {
    case HS_CLIENT_HELLO:
    case HS_SERVER_HELLO:
        *level = SSLQ_LEVEL_INITIAL;
        return 0;
    case HS_ENCRYPTED_EXTENSIONS:
    case HS_CERTIFICATE:
    case HS_COMPRESSED_CERTIFICATE:
    case HS_CERTIFICATE_REQUEST:
    case HS_CERTIFICATE_VERIFY:
    case HS_FINISHED:
        *level = SSLQ_LEVEL_HANDSHAKE;
        return 0;
    case HS_NEW_SESSION_TICKET:
        *level = SSLQ_LEVEL_APP;
        return 0;
    default: /* KeyUpdate, EndOfEarlyData: not in QUIC */
        return -1;
    }
}

static void shim_msg_cb(int write_p, int version, int content_type,
                        const void *buf, size_t len, SSL *ssl, void *arg)
{
    sslq_tls *tls = tls_from_ssl(ssl);

    if (tls != NULL && write_p && !tls->failed) {
        const uint8_t *p = buf;
        enum sslq_level level;
        if (content_type == TLS_CT_ALERT && len >= 2) {
            fail_alert(tls, p[1]);
        } else if (content_type == TLS_CT_HANDSHAKE && len >= 4) {
            if (tls->complete && p[0] != HS_NEW_SESSION_TICKET)
                fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
            else if (message_level(p[0], &level) != 0)
                fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
            else if (event_push(tls, EV_MESSAGE, level, 1, NULL, p, len) != 0)
                fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
        }
        /* 256/257 (record header, inner content type) and CCS: nothing to
         * send, the records themselves are dropped. */
    }
    if (tls != NULL && tls->user_msg != NULL)
        tls->user_msg(write_p, version, content_type, buf, len, ssl,
                      tls->user_msg_arg);
}

/* ---- secrets: the keylog callback ---------------------------------------- */

static const struct {
    const char *label;
    enum sslq_level level;
    int from_client;
} secret_labels[] = {
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", SSLQ_LEVEL_HANDSHAKE, 1},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", SSLQ_LEVEL_HANDSHAKE, 0},
    {"CLIENT_TRAFFIC_SECRET_0", SSLQ_LEVEL_APP, 1},
    {"SERVER_TRAFFIC_SECRET_0", SSLQ_LEVEL_APP, 0},
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const sslq_suite *negotiated_suite(const SSL *ssl)
{
    const SSL_CIPHER *c = SSL_get_pending_cipher(ssl);
    if (c == NULL)
        c = SSL_get_current_cipher(ssl);
    if (c == NULL)
        return NULL;
    return sslq_suite_get(SSL_CIPHER_get_protocol_id(c));
}

static void sealer_drop(record_sealer *s)
{
    EVP_CIPHER_CTX_free(s->aead);
    OPENSSL_cleanse(s, sizeof(*s));
    s->aead = NULL;
    s->suite = NULL;
}

/* From now on the peer's data at one level is sealed with |secret| (of
 * |suite|'s length), and the record sequence starts again at 0. */
static void sealer_install(record_sealer *s, const sslq_suite *suite,
                           const uint8_t *secret)
{
    sealer_drop(s);
    s->suite = suite;
    memcpy(s->secret, secret, suite->secretlen);
}

/* The record key of an installed sealer, made on first use. */
static int sealer_ready(record_sealer *s)
{
    uint8_t key[SSLQ_MAX_KEY_LEN];
    int rv;

    if (s->aead != NULL)
        return 0;
    if (s->suite == NULL)
        return SSLQ_ERR_INTERNAL;
    rv = sslq_derive_record_keys(s->suite, s->secret, s->suite->secretlen,
                                 key, s->iv);
    if (rv != 0)
        return rv;
    s->aead = sslq_aead_ctx_new(s->suite, key, 1);
    OPENSSL_cleanse(key, sizeof(key));
    return s->aead != NULL ? 0 : SSLQ_ERR_NOMEM;
}

static void take_secret(sslq_tls *tls, const char *line)
{
    size_t i, n = sizeof(secret_labels) / sizeof(secret_labels[0]);
    const char *p;

    for (i = 0; i < n; i++) {
        size_t l = strlen(secret_labels[i].label);
        if (strncmp(line, secret_labels[i].label, l) == 0 && line[l] == ' ')
            break;
    }
    if (i == n)
        return; /* exporter and early secrets: not QUIC's business */

    const sslq_suite *suite = negotiated_suite(tls->ssl);
    if (suite == NULL) {
        fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
        return;
    }
    /* LABEL <client_random> <secret> */
    p = strchr(line, ' ');
    p = p != NULL ? strchr(p + 1, ' ') : NULL;
    if (p == NULL || strlen(p + 1) != 2 * suite->secretlen) {
        fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
        return;
    }
    p++;
    uint8_t secret[SSLQ_MAX_SECRET_LEN];
    for (size_t k = 0; k < suite->secretlen; k++) {
        int hi = hexval(p[2 * k]), lo = hexval(p[2 * k + 1]);
        if (hi < 0 || lo < 0) {
            fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
            return;
        }
        secret[k] = (uint8_t)(hi << 4 | lo);
    }

    enum sslq_level level = secret_labels[i].level;
    int is_write = secret_labels[i].from_client != tls->is_server;
    if (!is_write) {
        sealer_install(&tls->sealer[level], suite, secret);
        tls->read_level = level;
    }
    if (!tls->failed && event_push(tls, EV_SECRET, level, is_write, suite,
                                   secret, suite->secretlen) != 0)
        fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
    OPENSSL_cleanse(secret, sizeof(secret));
}

/* NSS key log lines to $SSLKEYLOGFILE, one write() each so that concurrent
 * connections do not interleave. */
static void append_keylog_file(const char *line)
{
    const char *path = secure_getenv("SSLKEYLOGFILE");
    if (path == NULL || *path == '\0')
        return;
    size_t len = strlen(line);
    char *buf = OPENSSL_malloc(len + 1);
    if (buf == NULL)
        return;
    memcpy(buf, line, len);
    buf[len] = '\n';
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, buf, len + 1);
        (void)w; /* a debugging aid: nothing to do about a short write */
        close(fd);
    }
    OPENSSL_free(buf);
}

static void shim_keylog_cb(const SSL *ssl, const char *line)
{
    sslq_tls *tls = tls_from_ssl(ssl);
    ctx_state *cs = ctx_state_get(SSL_get_SSL_CTX(ssl));

    if (tls != NULL && !tls->failed)
        take_secret(tls, line);
    append_keylog_file(line);
    if (cs != NULL && cs->user_keylog != NULL)
        cs->user_keylog(ssl, line);
}

/* A keylog callback set on the SSL_CTX after preparation replaced ours:
 * adopt it as the user's and put ours back. */
static void keylog_reclaim(SSL_CTX *ctx)
{
    ctx_state *cs = ctx_state_get(ctx);
    SSL_CTX_keylog_cb_func cur = SSL_CTX_get_keylog_callback(ctx);

    if (cs == NULL || cur == shim_keylog_cb)
        return;
    cs->user_keylog = cur;
    SSL_CTX_set_keylog_callback(ctx, shim_keylog_cb);
}

/* ---- transport parameters ------------------------------------------------ */

static int tp_add_cb(SSL *ssl, unsigned int ext_type, unsigned int context,
                     const unsigned char **out, size_t *outlen, X509 *x,
                     size_t chainidx, int *al, void *add_arg)
{
    sslq_tls *tls = tls_from_ssl(ssl);
    if (tls == NULL || tls->local_tp == NULL)
        return 0; /* leave the extension out */
    *out = tls->local_tp;
    *outlen = tls->local_tplen;
    return 1;
}

static void tp_free_cb(SSL *ssl, unsigned int ext_type, unsigned int context,
                       const unsigned char *out, void *add_arg)
{
    /* |out| points into the shim, which owns it */
}

/*
 * A server hands the client's parameters on at once: its own parameters
 * depend on them (the negotiated version, RFC 9368) and must be ready
 * before libssl builds EncryptedExtensions, later in this same call.  A
 * client keeps them until the server's whole flight is in (check_peer_flight).
 * After HelloRetryRequest the server parses a second ClientHello; the caller
 * sees the parameters once.
 */
static int tp_parse_cb(SSL *ssl, unsigned int ext_type, unsigned int context,
                       const unsigned char *in, size_t inlen, X509 *x,
                       size_t chainidx, int *al, void *parse_arg)
{
    sslq_tls *tls = tls_from_ssl(ssl);
    if (tls == NULL)
        return 1;
    uint8_t *copy = OPENSSL_memdup(in, inlen ? inlen : 1);
    if (copy == NULL) {
        *al = SSL_AD_INTERNAL_ERROR;
        return 0;
    }
    OPENSSL_free(tls->peer_tp);
    tls->peer_tp = copy;
    tls->peer_tplen = inlen;
    tls->peer_tp_seen = 1;
    if (tls->is_server && !tls->peer_tp_delivered) {
        int rv = tls->cb.on_peer_transport_params(tls->arg, tls->peer_tp,
                                                  tls->peer_tplen);

        tls->peer_tp_delivered = 1;
        if (rv != 0) {
            *al = rv > 0 && rv < 256 ? rv : SSL_AD_ILLEGAL_PARAMETER;
            return 0;
        }
    }
    return 1;
}

/*
 * Once the peer's first flight is processed, QUIC's own requirements on it:
 * transport parameters present and accepted, an application protocol
 * agreed.  The point is the first 1-RTT secret, which both roles derive only
 * after the whole peer flight (the client's Handshake write secret is no
 * guide: OpenSSL 3.0 derives it at the client's Finished, 3.5 right after
 * the ServerHello).  Failing here drops everything this call produced, so
 * the alert is all that goes out.
 */
static void check_peer_flight(sslq_tls *tls)
{
    const unsigned char *alpn = NULL;
    unsigned int alpnlen = 0;
    int due = 0;

    for (size_t i = 0; i < tls->nevents && !due; i++)
        due = tls->events[i].kind == EV_SECRET &&
              tls->events[i].level == SSLQ_LEVEL_APP;
    if (tls->failed || tls->peer_checked || !due)
        return;
    tls->peer_checked = 1;

    if (!tls->peer_tp_seen) {
        fail_alert(tls, SSLQ_TLS_ALERT_MISSING_EXTENSION);
        return;
    }
    SSL_get0_alpn_selected(tls->ssl, &alpn, &alpnlen);
    if (alpn == NULL || alpnlen == 0) {
        fail_alert(tls, SSLQ_TLS_ALERT_NO_APPLICATION_PROTOCOL);
        return;
    }
    if (tls->peer_tp_delivered)
        return;
    tls->peer_tp_delivered = 1;
    int rv = tls->cb.on_peer_transport_params(tls->arg, tls->peer_tp,
                                              tls->peer_tplen);
    if (rv != 0)
        fail_alert(tls, rv > 0 && rv < 256 ? (uint8_t)rv
                                           : SSLQ_TLS_ALERT_ILLEGAL_PARAMETER);
}

/* ---- the SSL_CTX --------------------------------------------------------- */

int sslq_tls_ctx_prepare(SSL_CTX *ctx)
{
    if (ctx == NULL || !indexes_ready())
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (SSL_CTX_get_ex_data(ctx, ctx_index) != NULL)
        return 0;

    ctx_state *cs = OPENSSL_zalloc(sizeof(*cs));
    if (cs == NULL)
        return SSLQ_ERR_NOMEM;
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_ciphersuites(ctx, QUIC_CIPHERSUITES) ||
        !SSL_CTX_set_max_early_data(ctx, 0) ||
        !SSL_CTX_add_custom_ext(
            ctx, SSLQ_TLS_EXT_TRANSPORT_PARAMS,
            SSL_EXT_CLIENT_HELLO | SSL_EXT_TLS1_3_ENCRYPTED_EXTENSIONS,
            tp_add_cb, tp_free_cb, NULL, tp_parse_cb, NULL) ||
        !SSL_CTX_set_ex_data(ctx, ctx_index, cs)) {
        OPENSSL_free(cs);
        return SSLQ_ERR_CRYPTO;
    }
    /* RFC 9001 §8.4: no legacy session id, no ChangeCipherSpec. */
    SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
    cs->user_keylog = SSL_CTX_get_keylog_callback(ctx);
    SSL_CTX_set_keylog_callback(ctx, shim_keylog_cb);
    return 0;
}

int sslq_tls_ctx_set_user_keylog_callback(SSL_CTX *ctx,
                                          SSL_CTX_keylog_cb_func cb)
{
    ctx_state *cs = ctx_state_get(ctx);

    if (cs == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    cs->user_keylog = cb;
    SSL_CTX_set_keylog_callback(ctx, shim_keylog_cb);
    return 0;
}

SSL_CTX_keylog_cb_func sslq_tls_ctx_get_user_keylog_callback(const SSL_CTX *ctx)
{
    ctx_state *cs = ctx_state_get(ctx);

    if (cs == NULL)
        return SSL_CTX_get_keylog_callback(ctx);
    keylog_reclaim((SSL_CTX *)ctx);
    return cs->user_keylog;
}

int sslq_tls_ctx_set_user_msg_callback(SSL_CTX *ctx, sslq_tls_msg_cb cb,
                                       void *arg)
{
    ctx_state *cs = ctx_state_get(ctx);
    if (cs == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    cs->user_msg = cb;
    cs->user_msg_arg = arg;
    return 0;
}

/* ---- the connection ------------------------------------------------------ */

static int is_quic_suite(uint16_t id)
{
    return id == SSLQ_TLS_AES_128_GCM_SHA256 ||
           id == SSLQ_TLS_AES_256_GCM_SHA384 ||
           id == SSLQ_TLS_CHACHA20_POLY1305_SHA256;
}

/* The SSL's TLS 1.3 suites without the ones QUIC cannot use (the user may
 * have set AES-128-CCM after preparation).  0, or -1 if none is left. */
static int restrict_suites(SSL *ssl)
{
    STACK_OF(SSL_CIPHER) *all = SSL_get_ciphers(ssl);
    char list[256] = "";
    int drop = 0, keep = 0;

    for (int i = 0; i < sk_SSL_CIPHER_num(all); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(all, i);
        if ((SSL_CIPHER_get_protocol_id(c) & 0xff00) != 0x1300)
            continue;
        if (!is_quic_suite(SSL_CIPHER_get_protocol_id(c))) {
            drop = 1;
            continue;
        }
        if (keep++)
            strcat(list, ":");
        strcat(list, SSL_CIPHER_get_name(c)); /* three names fit */
    }
    if (keep == 0)
        return -1;
    if (drop && !SSL_set_ciphersuites(ssl, list))
        return -1;
    return 0;
}

sslq_tls *sslq_tls_new(SSL *ssl, int is_server, const sslq_tls_callbacks *cb,
                       void *arg)
{
    if (ssl == NULL || cb == NULL || cb->on_secret == NULL ||
        cb->on_crypto_data == NULL || cb->on_peer_transport_params == NULL)
        return NULL;
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    ctx_state *cs = ctx_state_get(ctx);
    if (cs == NULL || tls_from_ssl(ssl) != NULL)
        return NULL;
    keylog_reclaim(ctx);

    sslq_tls *tls = OPENSSL_zalloc(sizeof(*tls));
    if (tls == NULL)
        return NULL;
    tls->ssl = ssl;
    tls->is_server = is_server != 0;
    tls->cb = *cb;
    tls->arg = arg;
    tls->user_msg = cs->user_msg;
    tls->user_msg_arg = cs->user_msg_arg;
    tls->write_ready[SSLQ_LEVEL_INITIAL] = 1;
    tls->read_level = SSLQ_LEVEL_INITIAL;

    tls->rbio = BIO_new(BIO_s_mem());
    /* The records libssl writes are dropped: everything in them is taken
     * from the message callback in the clear. */
    tls->wbio = BIO_new(BIO_s_null());
    if (tls->rbio == NULL || tls->wbio == NULL ||
        !SSL_set_ex_data(ssl, ssl_index, tls) || restrict_suites(ssl) != 0 ||
        !SSL_set_min_proto_version(ssl, TLS1_3_VERSION) ||
        !SSL_set_max_proto_version(ssl, TLS1_3_VERSION)) {
        BIO_free(tls->rbio);
        BIO_free(tls->wbio);
        SSL_set_ex_data(ssl, ssl_index, NULL);
        OPENSSL_free(tls);
        return NULL;
    }
    BIO_set_mem_eof_return(tls->rbio, -1); /* empty means "want read" */
    SSL_set_bio(ssl, tls->rbio, tls->wbio);
    SSL_clear_options(ssl, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
    SSL_set_msg_callback(ssl, shim_msg_cb);
    /* RFC 9001 §4.6.1: a ticket must not offer early data with any size
     * but 0xffffffff, and 0-RTT is out of the shim's reach anyway. */
    SSL_set_max_early_data(ssl, 0);
    /* Records only ever come from the shim, a message at a time: libssl's
     * record buffers (~33 KiB a connection) need not stay allocated while
     * a connection idles. */
    SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    if (tls->is_server)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    return tls;
}

void sslq_tls_free(sslq_tls *tls)
{
    if (tls == NULL)
        return;
    if (tls_from_ssl(tls->ssl) == tls) {
        /* libssl marks the session of an SSL freed without a TLS shutdown
         * unresumable; QUIC closes without one. */
        if (tls->complete && !tls->failed)
            SSL_set_shutdown(tls->ssl,
                             SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_set_msg_callback(tls->ssl, tls->user_msg);
        SSL_set_msg_callback_arg(tls->ssl, tls->user_msg_arg);
        SSL_set_ex_data(tls->ssl, ssl_index, NULL);
    }
    for (int i = 0; i < NLEVELS; i++)
        sealer_drop(&tls->sealer[i]);
    events_clear(tls);
    OPENSSL_free(tls->events);
    OPENSSL_free(tls->local_tp);
    OPENSSL_free(tls->peer_tp);
    OPENSSL_clear_free(tls, sizeof(*tls));
}

void sslq_tls_set_user_msg_callback(sslq_tls *tls, sslq_tls_msg_cb cb,
                                    void *arg)
{
    tls->user_msg = cb;
    tls->user_msg_arg = arg;
}

int sslq_tls_set_local_transport_params(sslq_tls *tls, const uint8_t *data,
                                        size_t len)
{
    if (tls == NULL || (data == NULL && len > 0) || len > 0xffff)
        return SSLQ_ERR_INVALID_ARGUMENT;
    uint8_t *copy = OPENSSL_memdup(data != NULL ? data : (const uint8_t *)"",
                                   len ? len : 1);
    if (copy == NULL)
        return SSLQ_ERR_NOMEM;
    OPENSSL_free(tls->local_tp);
    tls->local_tp = copy;
    tls->local_tplen = len;
    return 0;
}

int sslq_tls_is_complete(const sslq_tls *tls)
{
    return tls->complete && !tls->failed;
}

uint8_t sslq_tls_get_alert(const sslq_tls *tls)
{
    return tls->alert;
}

enum sslq_level sslq_tls_get_read_level(const sslq_tls *tls)
{
    return tls->read_level;
}

/* ---- driving libssl ------------------------------------------------------ */

/* After the handshake: process post-handshake messages (tickets).  QUIC
 * carries no TLS application data, so any is a protocol error. */
static void read_post_handshake(sslq_tls *tls)
{
    uint8_t buf[64];
    size_t n;

    for (;;) {
        if (SSL_read_ex(tls->ssl, buf, sizeof(buf), &n)) {
            fail_alert(tls, SSLQ_TLS_ALERT_UNEXPECTED_MESSAGE);
            return;
        }
        int err = SSL_get_error(tls->ssl, 0);
        if (err == SSL_ERROR_WANT_READ)
            return;
        fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
        return;
    }
}

/* Once the handshake is over, what only it needed goes: the Handshake
 * level's record key, the grown input buffer and the event array.  An idle
 * connection then holds a few KiB less. */
static void shed_handshake_state(sslq_tls *tls)
{
    BIO *fresh;

    sealer_drop(&tls->sealer[SSLQ_LEVEL_HANDSHAKE]);
    if (tls->nevents == 0) {
        OPENSSL_free(tls->events);
        tls->events = NULL;
        tls->cap_events = 0;
    }
    if (BIO_ctrl_pending(tls->rbio) == 0 &&
        (fresh = BIO_new(BIO_s_mem())) != NULL) {
        BIO_set_mem_eof_return(fresh, -1);
        SSL_set0_rbio(tls->ssl, fresh); /* frees the old one */
        tls->rbio = fresh;
    }
}

static int drive(sslq_tls *tls)
{
    if (tls->failed)
        return tls->failed;
    keylog_reclaim(SSL_get_SSL_CTX(tls->ssl));
    /* SSL_get_error reads the thread's error queue: start it empty, and
     * leave nothing of ours on it (the alert says what went wrong). */
    ERR_clear_error();

    if (!tls->complete) {
        int ret = SSL_do_handshake(tls->ssl);
        if (ret <= 0) {
            switch (SSL_get_error(tls->ssl, ret)) {
            case SSL_ERROR_WANT_READ:
            case SSL_ERROR_WANT_X509_LOOKUP:
            case SSL_ERROR_WANT_CLIENT_HELLO_CB:
            case SSL_ERROR_WANT_RETRY_VERIFY:
                break; /* more data, or an application callback to retry */
            default:
                fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
            }
        } else if (!tls->failed) {
            tls->complete = 1;
        }
    } else {
        read_post_handshake(tls);
    }
    ERR_clear_error();

    check_peer_flight(tls);
    if (!tls->failed)
        events_flush(tls);
    if (tls->failed) {
        events_clear(tls);
        return tls->failed;
    }
    if (tls->complete && !tls->complete_reported) {
        tls->complete_reported = 1;
        shed_handshake_state(tls);
        if (tls->cb.on_handshake_complete != NULL)
            tls->cb.on_handshake_complete(tls->arg);
    }
    return 0;
}

int sslq_tls_start(sslq_tls *tls)
{
    if (tls == NULL || tls->is_server || tls->started)
        return SSLQ_ERR_INVALID_ARGUMENT;
    tls->started = 1;
    return drive(tls);
}

/* May |type| arrive at |level| from our peer?  Everything else QUIC forbids
 * (KeyUpdate, EndOfEarlyData, post-handshake authentication, a ClientHello
 * after the handshake) or TLS would refuse anyway. */
static int incoming_allowed(const sslq_tls *tls, enum sslq_level level,
                            uint8_t type)
{
    switch (level) {
    case SSLQ_LEVEL_INITIAL:
        return type == (tls->is_server ? HS_CLIENT_HELLO : HS_SERVER_HELLO);
    case SSLQ_LEVEL_HANDSHAKE:
        if (type == HS_CERTIFICATE || type == HS_COMPRESSED_CERTIFICATE ||
            type == HS_CERTIFICATE_VERIFY || type == HS_FINISHED)
            return 1;
        return !tls->is_server && (type == HS_ENCRYPTED_EXTENSIONS ||
                                   type == HS_CERTIFICATE_REQUEST);
    case SSLQ_LEVEL_APP:
        return !tls->is_server && type == HS_NEW_SESSION_TICKET;
    }
    return 0;
}

/* Follows message boundaries in the incoming stream of |level|, so a
 * forbidden or oversized message fails before libssl buffers it. */
static int frame_check(sslq_tls *tls, enum sslq_level level,
                       const uint8_t *data, size_t len)
{
    msg_framer *f = &tls->framer[level];

    while (len > 0) {
        if (f->body_left > 0) {
            size_t n = len < f->body_left ? len : f->body_left;
            f->body_left -= n;
            data += n;
            len -= n;
            continue;
        }
        f->hdr[f->hdrlen++] = *data++;
        len--;
        if (f->hdrlen < 4)
            continue;
        f->hdrlen = 0;
        if (!incoming_allowed(tls, level, f->hdr[0])) {
            fail_alert(tls, SSLQ_TLS_ALERT_UNEXPECTED_MESSAGE);
            return SSLQ_ERR_TLS;
        }
        f->body_left =
            (size_t)f->hdr[1] << 16 | (size_t)f->hdr[2] << 8 | f->hdr[3];
        if (f->body_left > SSLQ_TLS_MAX_MESSAGE_LEN) {
            fail_alert(tls, SSLQ_TLS_ALERT_ILLEGAL_PARAMETER);
            return SSLQ_ERR_TLS;
        }
    }
    return 0;
}

/* Wraps |data| into records libssl reads from |tls->rbio|. */
static int feed_records(sslq_tls *tls, enum sslq_level level,
                        const uint8_t *data, size_t len)
{
    record_sealer *s = &tls->sealer[level];
    size_t max = TLS_RECORD_HEADER_LEN +
                 (len < TLS_RECORD_MAX_PLAINTEXT ? len
                                                 : TLS_RECORD_MAX_PLAINTEXT) +
                 1 + SSLQ_TAG_LEN;
    uint8_t *rec;
    int rv = 0;

    if (level != SSLQ_LEVEL_INITIAL && (rv = sealer_ready(s)) != 0)
        return rv;
    if ((rec = OPENSSL_malloc(max)) == NULL)
        return SSLQ_ERR_NOMEM;
    while (len > 0 && rv == 0) {
        size_t n =
            len < TLS_RECORD_MAX_PLAINTEXT ? len : TLS_RECORD_MAX_PLAINTEXT;
        size_t body;
        if (level == SSLQ_LEVEL_INITIAL) {
            rec[0] = TLS_CT_HANDSHAKE;
            body = n;
            memcpy(rec + TLS_RECORD_HEADER_LEN, data, n);
        } else {
            rec[0] = TLS_CT_APPLICATION_DATA;
            body = n + 1 + SSLQ_TAG_LEN;
            memcpy(rec + TLS_RECORD_HEADER_LEN, data, n);
            rec[TLS_RECORD_HEADER_LEN + n] = TLS_CT_HANDSHAKE;
        }
        rec[1] = 0x03;
        rec[2] = 0x03;
        rec[3] = (uint8_t)(body >> 8);
        rec[4] = (uint8_t)body;
        if (level != SSLQ_LEVEL_INITIAL) {
            uint8_t nonce[SSLQ_IV_LEN];
            sslq_make_nonce(nonce, s->iv, s->seq++);
            rv = sslq_aead_seal(s->aead, rec + TLS_RECORD_HEADER_LEN,
                                rec + TLS_RECORD_HEADER_LEN, n + 1, nonce, rec,
                                TLS_RECORD_HEADER_LEN);
        }
        if (rv == 0 &&
            BIO_write(tls->rbio, rec, (int)(TLS_RECORD_HEADER_LEN + body)) !=
                (int)(TLS_RECORD_HEADER_LEN + body))
            rv = SSLQ_ERR_NOMEM;
        data += n;
        len -= n;
    }
    OPENSSL_clear_free(rec, max);
    return rv;
}

int sslq_tls_provide_data(sslq_tls *tls, enum sslq_level level,
                          const uint8_t *data, size_t len)
{
    if (tls == NULL || (unsigned)level >= NLEVELS || (data == NULL && len))
        return SSLQ_ERR_INVALID_ARGUMENT;
    if (tls->failed)
        return tls->failed;
    if (len == 0)
        return drive(tls);
    /* Data at an earlier level than the one being read is a
     * PROTOCOL_VIOLATION (RFC 9001 §4.1.3); at a later one, the caller
     * cannot have had the key. */
    if (level != tls->read_level || (!tls->is_server && !tls->started))
        return fail_proto(tls);

    int rv = frame_check(tls, level, data, len);
    if (rv != 0)
        return rv;
    rv = feed_records(tls, level, data, len);
    if (rv != 0) {
        fail_alert(tls, SSLQ_TLS_ALERT_INTERNAL_ERROR);
        return SSLQ_ERR_TLS;
    }
    return drive(tls);
}
