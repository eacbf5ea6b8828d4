/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls_shim — the TLS 1.3 handshake of one QUIC connection, run by a libssl
 * that has no QUIC API (OpenSSL 3.0; the same code runs unchanged on 3.5).
 *
 * libssl speaks TLS records only, so the shim makes the QUIC CRYPTO streams
 * look like a record stream:
 *   - outgoing handshake messages are taken in plaintext from libssl's
 *     message callback and handed to the caller as CRYPTO data; the records
 *     libssl writes are dropped;
 *   - traffic secrets are taken from libssl's keylog callback;
 *   - incoming CRYPTO data is wrapped into records libssl can read
 *     (plaintext at Initial, protected with the TLS record keys of the peer's
 *     secret at Handshake and 1-RTT);
 *   - transport parameters travel in extension 0x39 (a custom extension).
 *
 * Ownership: the connection owns one sslq_tls per SSL.  The shim does not own
 * the SSL, but it owns the SSL's BIOs (memory BIOs it installs), its message
 * callback, and an ex_data slot.  Free the shim before the SSL (freeing it
 * from the connection's SSL ex_data free callback is also fine).  Every
 * SSL_CTX a connection's SSL can use — including one an SNI callback
 * switches to with SSL_set_SSL_CTX — must have been prepared with
 * sslq_tls_ctx_prepare.  Not thread-safe: a shim is driven under its
 * connection's lock.
 *
 * Callback order: within one call, every secret and CRYPTO byte is reported
 * in protocol order, a level's write secret always before the first CRYPTO
 * data of that level.  The peer's transport parameters come once, when its
 * first flight has been processed and before any 1-RTT secret (a server:
 * before its Handshake secrets too; a client on OpenSSL 3.5 may already
 * have its Handshake write secret).  Nothing is reported from a call that
 * fails.
 *
 * Errors: a failed handshake is sticky.  SSLQ_ERR_TLS means a TLS alert
 * (sslq_tls_get_alert; QUIC CRYPTO_ERROR = 0x100 + alert); SSLQ_ERR_PROTO
 * means CRYPTO data arrived at a level the handshake is not reading (RFC 9001
 * §4.1.3: PROTOCOL_VIOLATION, no alert).
 */
#ifndef SSLQUIC_TLS_SHIM_H
#define SSLQUIC_TLS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "crypto.h"

/* Numerically equal to ngtcp2's encryption levels (no 0-RTT here). */
enum sslq_level {
    SSLQ_LEVEL_INITIAL = 0,
    SSLQ_LEVEL_HANDSHAKE = 1,
    SSLQ_LEVEL_APP = 2,
};

#define SSLQ_TLS_EXT_TRANSPORT_PARAMS 0x39
/* Largest single incoming handshake message (body), certificate chains
 * included; a larger one fails with illegal_parameter. */
#define SSLQ_TLS_MAX_MESSAGE_LEN 65536

/* TLS alert numbers the shim itself raises. */
#define SSLQ_TLS_ALERT_UNEXPECTED_MESSAGE 10
#define SSLQ_TLS_ALERT_ILLEGAL_PARAMETER 47
#define SSLQ_TLS_ALERT_INTERNAL_ERROR 80
#define SSLQ_TLS_ALERT_MISSING_EXTENSION 109
#define SSLQ_TLS_ALERT_NO_APPLICATION_PROTOCOL 120

typedef struct sslq_tls sslq_tls;

typedef struct sslq_tls_callbacks {
    /* A traffic secret of |level| (Handshake or 1-RTT) for sending
     * (|is_write|) or receiving.  Nonzero fails the handshake. */
    int (*on_secret)(void *arg, enum sslq_level level, int is_write,
                     const sslq_suite *suite, const uint8_t *secret,
                     size_t secretlen);
    /* Handshake bytes to send in CRYPTO frames at |level|.  Nonzero fails
     * the handshake. */
    int (*on_crypto_data)(void *arg, enum sslq_level level, const uint8_t *data,
                          size_t len);
    /* The peer's raw extension 0x39, once per handshake.  Return 0 to
     * accept, or the TLS alert to fail with (e.g. 50 decode_error); any
     * other nonzero value means illegal_parameter. */
    int (*on_peer_transport_params)(void *arg, const uint8_t *data, size_t len);
    /* The handshake completed (after this call's CRYPTO data, which on a
     * server includes the session tickets).  Optional. */
    void (*on_handshake_complete)(void *arg);
} sslq_tls_callbacks;

/* libssl's message callback type. */
typedef void (*sslq_tls_msg_cb)(int write_p, int version, int content_type,
                                const void *buf, size_t len, SSL *ssl,
                                void *arg);

/*
 * Prepares |ctx| for QUIC, once per SSL_CTX (later calls do nothing): TLS 1.3
 * only, no middlebox compatibility mode, the three QUIC cipher suites, the
 * transport-parameters extension, and the shim's keylog callback.  A keylog
 * callback set on |ctx| before or after this call keeps firing (the shim
 * chains it; one set later is adopted when a shim on |ctx| is next created
 * or driven — like any SSL_CTX setter, not while handshakes run on other
 * threads), and lines also go to the file named by SSLKEYLOGFILE.
 * SSLQ_ERR_INVALID_ARGUMENT, SSLQ_ERR_NOMEM, SSLQ_ERR_CRYPTO.
 */
int sslq_tls_ctx_prepare(SSL_CTX *ctx);

/* The keylog callback the shim chains to on a prepared |ctx| (what
 * SSL_CTX_set_keylog_callback means for a QUIC context), and the one in
 * force.  SSLQ_ERR_INVALID_ARGUMENT if |ctx| is not prepared. */
int sslq_tls_ctx_set_user_keylog_callback(SSL_CTX *ctx,
                                          SSL_CTX_keylog_cb_func cb);
SSL_CTX_keylog_cb_func sslq_tls_ctx_get_user_keylog_callback(const SSL_CTX *ctx);

/*
 * The message callback the connections of |ctx| chain to (libssl has no
 * getter for its own, and the shim occupies it).  Takes effect for shims
 * created afterwards.  SSLQ_ERR_INVALID_ARGUMENT if |ctx| is not prepared.
 */
int sslq_tls_ctx_set_user_msg_callback(SSL_CTX *ctx, sslq_tls_msg_cb cb,
                                       void *arg);

/*
 * A shim driving |ssl| as client or server.  Installs memory BIOs, the
 * message callback, connect/accept state, and narrows the SSL's TLS 1.3
 * suites to the QUIC ones.  NULL when |ctx| of |ssl| is not prepared, no
 * QUIC cipher suite is left (e.g. AES-128-CCM only), or out of memory.
 */
sslq_tls *sslq_tls_new(SSL *ssl, int is_server, const sslq_tls_callbacks *cb,
                       void *arg);

/* Frees the shim (not the SSL).  After a completed, unfailed handshake it
 * marks the SSL as cleanly shut down so that its session stays resumable. */
void sslq_tls_free(sslq_tls *tls);

/* This connection's own message callback (overrides the SSL_CTX's). */
void sslq_tls_set_user_msg_callback(sslq_tls *tls, sslq_tls_msg_cb cb,
                                    void *arg);

/*
 * The bytes of our extension 0x39 (copied).  Set before sslq_tls_start
 * (client) or the first sslq_tls_provide_data (server).  Without them the
 * extension is left out, and the peer fails with missing_extension.
 * SSLQ_ERR_INVALID_ARGUMENT, SSLQ_ERR_NOMEM.
 */
int sslq_tls_set_local_transport_params(sslq_tls *tls, const uint8_t *data,
                                        size_t len);

/* Client: produces the ClientHello through the callbacks.
 * SSLQ_ERR_INVALID_ARGUMENT on a server or a second call, SSLQ_ERR_TLS. */
int sslq_tls_start(sslq_tls *tls);

/*
 * Feeds CRYPTO data received at |level| and drives the handshake (or, once
 * complete, reads post-handshake messages such as session tickets).  The
 * data must be at the level the handshake currently reads: the shim does
 * not buffer data for a level whose read secret it has not reported, since
 * a caller cannot have decrypted it.  |len| = 0 only drives (to resume after
 * an application callback asked libssl to retry).
 * Empties the thread's OpenSSL error queue (SSL_get_error needs it empty).
 * Returns 0, SSLQ_ERR_TLS (alert in sslq_tls_get_alert; a failing callback
 * or allocation gives internal_error), SSLQ_ERR_PROTO (wrong level), or
 * SSLQ_ERR_INVALID_ARGUMENT.
 */
int sslq_tls_provide_data(sslq_tls *tls, enum sslq_level level,
                          const uint8_t *data, size_t len);

/* 1 once the handshake completed (and the shim's checks passed). */
int sslq_tls_is_complete(const sslq_tls *tls);

/* The TLS alert the handshake failed with, 0 if none. */
uint8_t sslq_tls_get_alert(const sslq_tls *tls);

/* The level the handshake reads CRYPTO data at now. */
enum sslq_level sslq_tls_get_read_level(const sslq_tls *tls);

#endif /* SSLQUIC_TLS_SHIM_H */
