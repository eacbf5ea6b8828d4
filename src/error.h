/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error — the one error convention of sslquic's internal layers.
 *
 * Internal functions return 0 on success or one of the negative SSLQ_ERR_*
 * codes below.  Public SSLQ_* calls behave as OpenSSL's (1/0 or NULL) and put
 * a reason from sslquic's ERR library on the OpenSSL error queue.  ngtcp2's
 * codes are translated at the connection boundary only.
 */
#ifndef SSLQUIC_ERROR_H
#define SSLQUIC_ERROR_H

#define SSLQ_ERR_INVALID_ARGUMENT (-1) /* NULL, bad length, unknown id */
#define SSLQ_ERR_NOMEM (-2)            /* allocation failed */
#define SSLQ_ERR_CRYPTO (-3)           /* libcrypto refused an operation */
#define SSLQ_ERR_DECRYPT (-4)          /* authentication failed */
#define SSLQ_ERR_TLS (-5)              /* the TLS handshake failed (alert) */
#define SSLQ_ERR_PROTO (-6)            /* peer violated the protocol */
#define SSLQ_ERR_BUFFER (-7)           /* destination too small */
#define SSLQ_ERR_WOULD_BLOCK (-8)      /* nothing to do yet */
#define SSLQ_ERR_INTERNAL (-9)         /* a bug: state that cannot be */
#define SSLQ_ERR_IO (-10)              /* the socket or BIO is broken */

/* A short English text for |code| ("success" for 0). */
const char *sslq_strerror(int code);

/* Puts sslquic's reason |reason| (SSLQ_R_*) on the OpenSSL error queue,
 * with the caller's file, line and function, as ERR_raise does. */
void sslq_err_raise(int reason, const char *file, int line, const char *func);
#define SSLQ_RAISE(reason) sslq_err_raise((reason), OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC)

/* The SSLQ_R_* reason for an internal SSLQ_ERR_* code. */
int sslq_err_reason(int code);

#endif /* SSLQUIC_ERROR_H */
