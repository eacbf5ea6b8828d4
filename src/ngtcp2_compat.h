/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ngtcp2_compat — the one place that knows ngtcp2 0.12 from ngtcp2 1.x.
 *
 * sslquic is written against the 1.x API.  Every file that talks to ngtcp2
 * includes this header, never <ngtcp2/ngtcp2.h> directly.  On 0.12 it maps
 * the 1.x spellings of renamed types, constants and functions onto the old
 * ones; where the two differ in shape it gives a static inline helper with
 * one body per version (see /work/shared/NGTCP2.md).  On 1.x it adds only
 * the helpers.  It owns no state.
 *
 * Not covered, on purpose: renamed struct members (settings token, qlog and
 * versions have helpers below; the tls_early_data_rejected callback field
 * and transport-parameter preferred_addr do not), the dcid_status,
 * path_validation and recv_new_token callbacks (their prototypes differ:
 * leave them NULL or declare each under #if), conn_stat fields beyond the
 * seven conn_info keeps, and 0-RTT transport-parameter storage.
 */
#ifndef SSLQUIC_NGTCP2_COMPAT_H
#define SSLQUIC_NGTCP2_COMPAT_H

#include <stddef.h>
#include <stdint.h>

#include <ngtcp2/ngtcp2.h>

#define SSLQ_NGTCP2_LEGACY (NGTCP2_VERSION_NUM < 0x010000)

#if SSLQ_NGTCP2_LEGACY

/* ---- renamed types and constants --------------------------------------- */

typedef ngtcp2_crypto_level ngtcp2_encryption_level;
#define NGTCP2_ENCRYPTION_LEVEL_INITIAL NGTCP2_CRYPTO_LEVEL_INITIAL
#define NGTCP2_ENCRYPTION_LEVEL_HANDSHAKE NGTCP2_CRYPTO_LEVEL_HANDSHAKE
#define NGTCP2_ENCRYPTION_LEVEL_1RTT NGTCP2_CRYPTO_LEVEL_APPLICATION
#define NGTCP2_ENCRYPTION_LEVEL_0RTT NGTCP2_CRYPTO_LEVEL_EARLY

typedef ngtcp2_connection_close_error ngtcp2_ccerr;
typedef ngtcp2_connection_close_error_code_type ngtcp2_ccerr_type;
#define NGTCP2_CCERR_TYPE_TRANSPORT                                            \
    NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT
#define NGTCP2_CCERR_TYPE_APPLICATION                                          \
    NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION
#define NGTCP2_CCERR_TYPE_VERSION_NEGOTIATION                                  \
    NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT_VERSION_NEGOTIATION
#define NGTCP2_CCERR_TYPE_IDLE_CLOSE                                           \
    NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT_IDLE_CLOSE

#define NGTCP2_STREAM_DATA_FLAG_0RTT NGTCP2_STREAM_DATA_FLAG_EARLY
#define NGTCP2_DATAGRAM_FLAG_0RTT NGTCP2_DATAGRAM_FLAG_EARLY

/* 0.12 has no token type; the values only matter to a 1.x server. */
typedef enum ngtcp2_token_type {
    NGTCP2_TOKEN_TYPE_UNKNOWN,
    NGTCP2_TOKEN_TYPE_RETRY,
    NGTCP2_TOKEN_TYPE_NEW_TOKEN
} ngtcp2_token_type;

/* Only latest_rtt, min_rtt, smoothed_rtt, rttvar, cwnd, ssthresh and
 * bytes_in_flight exist in both. */
typedef ngtcp2_conn_stat ngtcp2_conn_info;
#define ngtcp2_conn_get_conn_info ngtcp2_conn_get_conn_stat

/* ---- renamed functions, same arguments --------------------------------- */

#define ngtcp2_ccerr_default ngtcp2_connection_close_error_default
#define ngtcp2_ccerr_set_transport_error                                       \
    ngtcp2_connection_close_error_set_transport_error
#define ngtcp2_ccerr_set_liberr                                                \
    ngtcp2_connection_close_error_set_transport_error_liberr
#define ngtcp2_ccerr_set_tls_alert                                             \
    ngtcp2_connection_close_error_set_transport_error_tls_alert
#define ngtcp2_ccerr_set_application_error                                     \
    ngtcp2_connection_close_error_set_application_error

#define ngtcp2_conn_tls_handshake_completed ngtcp2_conn_handshake_completed
#define ngtcp2_conn_install_0rtt_key ngtcp2_conn_install_early_key
#define ngtcp2_conn_set_0rtt_crypto_ctx ngtcp2_conn_set_early_crypto_ctx
#define ngtcp2_conn_get_0rtt_crypto_ctx ngtcp2_conn_get_early_crypto_ctx
#define ngtcp2_conn_decode_and_set_remote_transport_params                     \
    ngtcp2_conn_decode_remote_transport_params
#define ngtcp2_conn_in_closing_period ngtcp2_conn_is_in_closing_period
#define ngtcp2_conn_in_draining_period ngtcp2_conn_is_in_draining_period
#define ngtcp2_conn_tls_early_data_rejected ngtcp2_conn_early_data_rejected
#define ngtcp2_conn_get_tls_early_data_rejected                                \
    ngtcp2_conn_get_early_data_rejected

/* ---- shutdown_stream: 1.x added a flags argument (always 0) ------------- */

/* A function-like macro does not expand inside its own body, so these call
 * the real 0.12 functions. */
#define ngtcp2_conn_shutdown_stream(conn, flags, stream_id, app_error_code)    \
    ((void)(flags),                                                            \
     ngtcp2_conn_shutdown_stream((conn), (stream_id), (app_error_code)))
#define ngtcp2_conn_shutdown_stream_read(conn, flags, stream_id,               \
                                         app_error_code)                       \
    ((void)(flags),                                                            \
     ngtcp2_conn_shutdown_stream_read((conn), (stream_id), (app_error_code)))
#define ngtcp2_conn_shutdown_stream_write(conn, flags, stream_id,              \
                                          app_error_code)                      \
    ((void)(flags),                                                            \
     ngtcp2_conn_shutdown_stream_write((conn), (stream_id), (app_error_code)))

/* The QUIC v2 this ngtcp2 speaks: 0.12 knows only the draft. */
#define SSLQ_NGTCP2_PROTO_VER_V2 NGTCP2_PROTO_VER_V2_DRAFT

#else /* ngtcp2 >= 1.0 */

#define SSLQ_NGTCP2_PROTO_VER_V2 NGTCP2_PROTO_VER_V2

#endif /* SSLQ_NGTCP2_LEGACY */

/* ---- helpers for what changed shape ------------------------------------ */

/* The token a client sends in its Initial (from Retry or NEW_TOKEN); 1.x
 * also records where it came from. */
static inline void sslq_ngtcp2_settings_set_token(ngtcp2_settings *settings,
                                                  const uint8_t *token,
                                                  size_t tokenlen,
                                                  ngtcp2_token_type type)
{
#if SSLQ_NGTCP2_LEGACY
    (void)type;
    settings->token.base = (uint8_t *)token;
    settings->token.len = tokenlen;
#else
    settings->token = token;
    settings->tokenlen = tokenlen;
    settings->token_type = type;
#endif
}

/* 0.12 wants the original DCID for the qlog title; 1.x dropped it. */
static inline void sslq_ngtcp2_settings_set_qlog(ngtcp2_settings *settings,
                                                 const ngtcp2_cid *odcid,
                                                 ngtcp2_qlog_write write)
{
#if SSLQ_NGTCP2_LEGACY
    if (odcid)
        settings->qlog.odcid = *odcid;
    settings->qlog.write = write;
#else
    (void)odcid;
    settings->qlog_write = write;
#endif
}

/* The versions offered for compatible version negotiation (RFC 9368). */
static inline void sslq_ngtcp2_settings_set_available_versions(
    ngtcp2_settings *settings, const uint32_t *versions, size_t count)
{
#if SSLQ_NGTCP2_LEGACY
    settings->other_versions = (uint32_t *)versions;
    settings->other_versionslen = count;
#else
    settings->available_versions = versions;
    settings->available_versionslen = count;
#endif
}

/* A 1.x server that forgets original_dcid_present omits the parameter and
 * every client then fails the handshake (RFC 9000 §7.3). */
static inline void
sslq_ngtcp2_params_set_original_dcid(ngtcp2_transport_params *params,
                                     const ngtcp2_cid *odcid)
{
    params->original_dcid = *odcid;
#if !SSLQ_NGTCP2_LEGACY
    params->original_dcid_present = 1;
#endif
}

/* The CONNECTION_CLOSE the peer sent (or the local reason for closing).
 * |reason| in |out| points into |conn| and lives as long as it does. */
static inline void sslq_ngtcp2_conn_get_ccerr(ngtcp2_conn *conn,
                                              ngtcp2_ccerr *out)
{
#if SSLQ_NGTCP2_LEGACY
    ngtcp2_conn_get_connection_close_error(conn, out);
#else
    *out = *ngtcp2_conn_get_ccerr(conn);
#endif
}

/* The token of a decoded Initial (ngtcp2_accept on the server side). */
static inline const uint8_t *sslq_ngtcp2_pkt_hd_token(const ngtcp2_pkt_hd *hd,
                                                      size_t *tokenlen)
{
#if SSLQ_NGTCP2_LEGACY
    *tokenlen = hd->token.len;
    return hd->token.base;
#else
    *tokenlen = hd->tokenlen;
    return hd->token;
#endif
}

/* Encodes the transport parameters |params| the endpoint (|is_server|)
 * sends; 0.12 wants to know which message carries them. */
static inline ngtcp2_ssize
sslq_ngtcp2_transport_params_encode(uint8_t *dest, size_t destlen,
                                    int is_server,
                                    const ngtcp2_transport_params *params)
{
#if SSLQ_NGTCP2_LEGACY
    return ngtcp2_encode_transport_params(
        dest, destlen,
        is_server ? NGTCP2_TRANSPORT_PARAMS_TYPE_ENCRYPTED_EXTENSIONS
                  : NGTCP2_TRANSPORT_PARAMS_TYPE_CLIENT_HELLO,
        params);
#else
    (void)is_server;
    return ngtcp2_transport_params_encode(dest, destlen, params);
#endif
}

/* Sets the initial_source_connection_id parameter (and its flag on 1.x). */
static inline void
sslq_ngtcp2_params_set_initial_scid(ngtcp2_transport_params *params,
                                    const ngtcp2_cid *scid)
{
    params->initial_scid = *scid;
#if !SSLQ_NGTCP2_LEGACY
    params->initial_scid_present = 1;
#endif
}

/* How many local connection IDs are in use: 1.x counts with a NULL
 * destination, where 0.12 would write through it. */
static inline size_t sslq_ngtcp2_conn_scid_count(ngtcp2_conn *conn)
{
#if SSLQ_NGTCP2_LEGACY
    return ngtcp2_conn_get_num_scid(conn);
#else
    return ngtcp2_conn_get_scid(conn, NULL);
#endif
}

static inline size_t sslq_ngtcp2_conn_active_dcid_count(ngtcp2_conn *conn)
{
#if SSLQ_NGTCP2_LEGACY
    return ngtcp2_conn_get_num_active_dcid(conn);
#else
    return ngtcp2_conn_get_active_dcid(conn, NULL);
#endif
}

#endif /* SSLQUIC_NGTCP2_COMPAT_H */
