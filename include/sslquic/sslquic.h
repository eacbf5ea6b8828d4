/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sslquic — OpenSSL 3.5's QUIC API for programs built on OpenSSL 3.0–3.4.
 *
 * Every OpenSSL 3.5 QUIC function SSL_xxx has a twin SSLQ_xxx here with the
 * same prototype and the same behaviour (OSSL_QUIC_xxx_method becomes
 * SSLQ_QUIC_xxx_method).  The handles are ordinary SSL * objects made on the
 * program's own SSL_CTX, so everything libssl does natively on an SSL *
 * (SSL_up_ref, ex_data, verify settings, ...) keeps working; the functions
 * below are the ones QUIC changes.  Each of them, given an SSL * that is not
 * a QUIC object, behaves exactly as the libssl function of the same name, so
 * one program can use them for TLS over TCP and for QUIC alike.
 *
 * Types and constants keep their OpenSSL names and values and are defined
 * here only when the OpenSSL headers in use lack them, so this header is
 * usable (and harmless) on OpenSSL 3.5 as well.
 *
 * Errors follow OpenSSL's convention: 1 / 0 / NULL returns, and a reason
 * from sslquic's own ERR library (SSLQ_get_err_lib, SSLQ_R_* at the end of
 * this file) on the OpenSSL error queue.
 *
 * To build an unchanged OpenSSL 3.5 QUIC program instead, see
 * <sslquic/compat.h> (pkg-config sslquic-compat).
 */
#ifndef SSLQUIC_SSLQUIC_H
#define SSLQUIC_SSLQUIC_H

#include <stddef.h>
#include <stdint.h>
#ifdef _WIN32
#include <winsock2.h> /* struct timeval */
#else
#include <sys/time.h>
#endif

#include <openssl/bio.h>
#include <openssl/ssl.h>

/* 0xMMNNPP00: major, minor, patch; kept equal to project() in CMakeLists */
#define SSLQUIC_VERSION_NUMBER 0x00010000L
#define SSLQUIC_VERSION_TEXT "0.1.0"

/* The library is built with hidden visibility; only these names leave it. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define SSLQUIC_API __attribute__((visibility("default")))
#else
#define SSLQUIC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ===== Types and constants OpenSSL before 3.5 lacks =======================
 *
 * Each type is guarded by a macro OpenSSL defines next to it, each constant
 * by its own name, so the partial QUIC support of OpenSSL 3.2–3.4 mixes with
 * this header cleanly.  tests/unit/test_headers.c pins every value and
 * layout against OpenSSL 3.5's real headers.
 */

/* Poll descriptors: what SSL_get_rpoll_descriptor and SSL_poll exchange. */
#ifndef BIO_POLL_DESCRIPTOR_TYPE_NONE
typedef struct bio_poll_descriptor_st {
    uint32_t type; /* BIO_POLL_DESCRIPTOR_TYPE_* */
    union {
        int fd;
        void *custom;
        uintptr_t custom_ui;
        SSL *ssl;
    } value;
} BIO_POLL_DESCRIPTOR;
#endif
#ifndef BIO_POLL_DESCRIPTOR_TYPE_NONE
#define BIO_POLL_DESCRIPTOR_TYPE_NONE 0
#endif
#ifndef BIO_POLL_DESCRIPTOR_TYPE_SOCK_FD
#define BIO_POLL_DESCRIPTOR_TYPE_SOCK_FD 1
#endif
#ifndef BIO_POLL_DESCRIPTOR_TYPE_SSL
#define BIO_POLL_DESCRIPTOR_TYPE_SSL 2
#endif
#ifndef BIO_POLL_DESCRIPTOR_CUSTOM_START
#define BIO_POLL_DESCRIPTOR_CUSTOM_START 8192
#endif

/* Listeners (SSL_new_listener, SSL_accept_connection). */
#ifndef SSL_LISTENER_FLAG_NO_VALIDATE
#define SSL_LISTENER_FLAG_NO_VALIDATE (1UL << 1)
#endif
#ifndef SSL_ACCEPT_CONNECTION_NO_BLOCK
#define SSL_ACCEPT_CONNECTION_NO_BLOCK (1UL << 0)
#endif

/* Domains (SSL_new_domain, SSL_CTX_set_domain_flags). */
#ifndef SSL_DOMAIN_FLAG_SINGLE_THREAD
#define SSL_DOMAIN_FLAG_SINGLE_THREAD (1U << 0)
#endif
#ifndef SSL_DOMAIN_FLAG_MULTI_THREAD
#define SSL_DOMAIN_FLAG_MULTI_THREAD (1U << 1)
#endif
#ifndef SSL_DOMAIN_FLAG_THREAD_ASSISTED
#define SSL_DOMAIN_FLAG_THREAD_ASSISTED (1U << 2)
#endif
#ifndef SSL_DOMAIN_FLAG_BLOCKING
#define SSL_DOMAIN_FLAG_BLOCKING (1U << 3)
#endif
#ifndef SSL_DOMAIN_FLAG_LEGACY_BLOCKING
#define SSL_DOMAIN_FLAG_LEGACY_BLOCKING (1U << 4)
#endif

/* Connection shutdown (SSL_shutdown_ex). */
#ifndef SSL_SHUTDOWN_FLAG_RAPID
typedef struct ssl_shutdown_ex_args_st {
    uint64_t quic_error_code; /* application error code sent to the peer */
    const char *quic_reason;  /* reason phrase, may be NULL */
} SSL_SHUTDOWN_EX_ARGS;
#endif
#ifndef SSL_SHUTDOWN_FLAG_RAPID
#define SSL_SHUTDOWN_FLAG_RAPID (1U << 0)
#endif
#ifndef SSL_SHUTDOWN_FLAG_NO_STREAM_FLUSH
#define SSL_SHUTDOWN_FLAG_NO_STREAM_FLUSH (1U << 1)
#endif
#ifndef SSL_SHUTDOWN_FLAG_NO_BLOCK
#define SSL_SHUTDOWN_FLAG_NO_BLOCK (1U << 2)
#endif
#ifndef SSL_SHUTDOWN_FLAG_WAIT_PEER
#define SSL_SHUTDOWN_FLAG_WAIT_PEER (1U << 3)
#endif

/* Why a connection ended (SSL_get_conn_close_info). */
#ifndef SSL_CONN_CLOSE_FLAG_LOCAL
typedef struct ssl_conn_close_info_st {
    uint64_t error_code, frame_type;
    const char *reason; /* reason_len bytes of UTF-8 text, or NULL */
    size_t reason_len;
    uint32_t flags; /* SSL_CONN_CLOSE_FLAG_* */
} SSL_CONN_CLOSE_INFO;
#endif
#ifndef SSL_CONN_CLOSE_FLAG_LOCAL
#define SSL_CONN_CLOSE_FLAG_LOCAL (1U << 0)
#endif
#ifndef SSL_CONN_CLOSE_FLAG_TRANSPORT
#define SSL_CONN_CLOSE_FLAG_TRANSPORT (1U << 1)
#endif

/* Streams: types, creation and acceptance flags, default-stream mode,
 * incoming policy, per-direction state. */
#ifndef SSL_STREAM_STATE_NONE
typedef struct ssl_stream_reset_args_st {
    uint64_t quic_error_code; /* application error code sent in RESET_STREAM */
} SSL_STREAM_RESET_ARGS;
#endif
#ifndef SSL_STREAM_TYPE_NONE
#define SSL_STREAM_TYPE_NONE 0
#endif
#ifndef SSL_STREAM_TYPE_READ
#define SSL_STREAM_TYPE_READ (1U << 0)
#endif
#ifndef SSL_STREAM_TYPE_WRITE
#define SSL_STREAM_TYPE_WRITE (1U << 1)
#endif
#ifndef SSL_STREAM_TYPE_BIDI
#define SSL_STREAM_TYPE_BIDI (SSL_STREAM_TYPE_READ | SSL_STREAM_TYPE_WRITE)
#endif
#ifndef SSL_DEFAULT_STREAM_MODE_NONE
#define SSL_DEFAULT_STREAM_MODE_NONE 0
#endif
#ifndef SSL_DEFAULT_STREAM_MODE_AUTO_BIDI
#define SSL_DEFAULT_STREAM_MODE_AUTO_BIDI 1
#endif
#ifndef SSL_DEFAULT_STREAM_MODE_AUTO_UNI
#define SSL_DEFAULT_STREAM_MODE_AUTO_UNI 2
#endif
#ifndef SSL_STREAM_FLAG_UNI
#define SSL_STREAM_FLAG_UNI (1U << 0)
#endif
#ifndef SSL_STREAM_FLAG_NO_BLOCK
#define SSL_STREAM_FLAG_NO_BLOCK (1U << 1)
#endif
#ifndef SSL_STREAM_FLAG_ADVANCE
#define SSL_STREAM_FLAG_ADVANCE (1U << 2)
#endif
#ifndef SSL_INCOMING_STREAM_POLICY_AUTO
#define SSL_INCOMING_STREAM_POLICY_AUTO 0
#endif
#ifndef SSL_INCOMING_STREAM_POLICY_ACCEPT
#define SSL_INCOMING_STREAM_POLICY_ACCEPT 1
#endif
#ifndef SSL_INCOMING_STREAM_POLICY_REJECT
#define SSL_INCOMING_STREAM_POLICY_REJECT 2
#endif
#ifndef SSL_ACCEPT_STREAM_NO_BLOCK
#define SSL_ACCEPT_STREAM_NO_BLOCK (1U << 0)
#endif
#ifndef SSL_STREAM_STATE_NONE
#define SSL_STREAM_STATE_NONE 0
#endif
#ifndef SSL_STREAM_STATE_OK
#define SSL_STREAM_STATE_OK 1
#endif
#ifndef SSL_STREAM_STATE_WRONG_DIR
#define SSL_STREAM_STATE_WRONG_DIR 2
#endif
#ifndef SSL_STREAM_STATE_FINISHED
#define SSL_STREAM_STATE_FINISHED 3
#endif
#ifndef SSL_STREAM_STATE_RESET_LOCAL
#define SSL_STREAM_STATE_RESET_LOCAL 4
#endif
#ifndef SSL_STREAM_STATE_RESET_REMOTE
#define SSL_STREAM_STATE_RESET_REMOTE 5
#endif
#ifndef SSL_STREAM_STATE_CONN_CLOSED
#define SSL_STREAM_STATE_CONN_CLOSED 6
#endif

/* Writing (SSL_write_ex2). */
#ifndef SSL_WRITE_FLAG_CONCLUDE
#define SSL_WRITE_FLAG_CONCLUDE (1U << 0)
#endif

/* SSL_poll: one item per object, events in, revents out. */
#ifndef SSL_POLL_FLAG_NO_HANDLE_EVENTS
typedef struct ssl_poll_item_st {
    BIO_POLL_DESCRIPTOR desc;
    uint64_t events, revents; /* SSL_POLL_EVENT_* */
} SSL_POLL_ITEM;
#endif
#ifndef SSL_POLL_FLAG_NO_HANDLE_EVENTS
#define SSL_POLL_FLAG_NO_HANDLE_EVENTS (1U << 0)
#endif
/* Single events: failure, exceptions (listener, connection, connection
 * drained, read, write), readable, writable, incoming connection, incoming
 * and outgoing stream capacity (bidi, uni). */
#ifndef SSL_POLL_EVENT_NONE
#define SSL_POLL_EVENT_NONE 0
#endif
#ifndef SSL_POLL_EVENT_F
#define SSL_POLL_EVENT_F (1U << 0)
#endif
#ifndef SSL_POLL_EVENT_EL
#define SSL_POLL_EVENT_EL (1U << 1)
#endif
#ifndef SSL_POLL_EVENT_EC
#define SSL_POLL_EVENT_EC (1U << 2)
#endif
#ifndef SSL_POLL_EVENT_ECD
#define SSL_POLL_EVENT_ECD (1U << 3)
#endif
#ifndef SSL_POLL_EVENT_ER
#define SSL_POLL_EVENT_ER (1U << 4)
#endif
#ifndef SSL_POLL_EVENT_EW
#define SSL_POLL_EVENT_EW (1U << 5)
#endif
#ifndef SSL_POLL_EVENT_R
#define SSL_POLL_EVENT_R (1U << 6)
#endif
#ifndef SSL_POLL_EVENT_W
#define SSL_POLL_EVENT_W (1U << 7)
#endif
#ifndef SSL_POLL_EVENT_IC
#define SSL_POLL_EVENT_IC (1U << 8)
#endif
#ifndef SSL_POLL_EVENT_ISB
#define SSL_POLL_EVENT_ISB (1U << 9)
#endif
#ifndef SSL_POLL_EVENT_ISU
#define SSL_POLL_EVENT_ISU (1U << 10)
#endif
#ifndef SSL_POLL_EVENT_OSB
#define SSL_POLL_EVENT_OSB (1U << 11)
#endif
#ifndef SSL_POLL_EVENT_OSU
#define SSL_POLL_EVENT_OSU (1U << 12)
#endif
/* Composites. */
#ifndef SSL_POLL_EVENT_RW
#define SSL_POLL_EVENT_RW (SSL_POLL_EVENT_R | SSL_POLL_EVENT_W)
#endif
#ifndef SSL_POLL_EVENT_RE
#define SSL_POLL_EVENT_RE (SSL_POLL_EVENT_R | SSL_POLL_EVENT_ER)
#endif
#ifndef SSL_POLL_EVENT_WE
#define SSL_POLL_EVENT_WE (SSL_POLL_EVENT_W | SSL_POLL_EVENT_EW)
#endif
#ifndef SSL_POLL_EVENT_RWE
#define SSL_POLL_EVENT_RWE (SSL_POLL_EVENT_RE | SSL_POLL_EVENT_WE)
#endif
#ifndef SSL_POLL_EVENT_E
#define SSL_POLL_EVENT_E                                                       \
    (SSL_POLL_EVENT_EL | SSL_POLL_EVENT_EC | SSL_POLL_EVENT_ER |               \
     SSL_POLL_EVENT_EW)
#endif
#ifndef SSL_POLL_EVENT_IS
#define SSL_POLL_EVENT_IS (SSL_POLL_EVENT_ISB | SSL_POLL_EVENT_ISU)
#endif
#ifndef SSL_POLL_EVENT_ISE
#define SSL_POLL_EVENT_ISE (SSL_POLL_EVENT_IS | SSL_POLL_EVENT_EC)
#endif
#ifndef SSL_POLL_EVENT_I
#define SSL_POLL_EVENT_I (SSL_POLL_EVENT_IS | SSL_POLL_EVENT_IC)
#endif
#ifndef SSL_POLL_EVENT_OS
#define SSL_POLL_EVENT_OS (SSL_POLL_EVENT_OSB | SSL_POLL_EVENT_OSU)
#endif
#ifndef SSL_POLL_EVENT_OSE
#define SSL_POLL_EVENT_OSE (SSL_POLL_EVENT_OS | SSL_POLL_EVENT_EC)
#endif

/* SSL_get_value_uint / SSL_set_value_uint: classes, ids, modes. */
#ifndef SSL_VALUE_CLASS_GENERIC
#define SSL_VALUE_CLASS_GENERIC 0
#endif
#ifndef SSL_VALUE_CLASS_FEATURE_REQUEST
#define SSL_VALUE_CLASS_FEATURE_REQUEST 1
#endif
#ifndef SSL_VALUE_CLASS_FEATURE_PEER_REQUEST
#define SSL_VALUE_CLASS_FEATURE_PEER_REQUEST 2
#endif
#ifndef SSL_VALUE_CLASS_FEATURE_NEGOTIATED
#define SSL_VALUE_CLASS_FEATURE_NEGOTIATED 3
#endif
#ifndef SSL_VALUE_NONE
#define SSL_VALUE_NONE 0
#endif
#ifndef SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL
#define SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL 1
#endif
#ifndef SSL_VALUE_QUIC_STREAM_BIDI_REMOTE_AVAIL
#define SSL_VALUE_QUIC_STREAM_BIDI_REMOTE_AVAIL 2
#endif
#ifndef SSL_VALUE_QUIC_STREAM_UNI_LOCAL_AVAIL
#define SSL_VALUE_QUIC_STREAM_UNI_LOCAL_AVAIL 3
#endif
#ifndef SSL_VALUE_QUIC_STREAM_UNI_REMOTE_AVAIL
#define SSL_VALUE_QUIC_STREAM_UNI_REMOTE_AVAIL 4
#endif
#ifndef SSL_VALUE_QUIC_IDLE_TIMEOUT
#define SSL_VALUE_QUIC_IDLE_TIMEOUT 5
#endif
#ifndef SSL_VALUE_EVENT_HANDLING_MODE
#define SSL_VALUE_EVENT_HANDLING_MODE 6
#endif
#ifndef SSL_VALUE_STREAM_WRITE_BUF_SIZE
#define SSL_VALUE_STREAM_WRITE_BUF_SIZE 7
#endif
#ifndef SSL_VALUE_STREAM_WRITE_BUF_USED
#define SSL_VALUE_STREAM_WRITE_BUF_USED 8
#endif
#ifndef SSL_VALUE_STREAM_WRITE_BUF_AVAIL
#define SSL_VALUE_STREAM_WRITE_BUF_AVAIL 9
#endif
#ifndef SSL_VALUE_QUIC_MAX_PENDING_CONNS
#define SSL_VALUE_QUIC_MAX_PENDING_CONNS 16
#endif
#ifndef SSL_VALUE_EVENT_HANDLING_MODE_INHERIT
#define SSL_VALUE_EVENT_HANDLING_MODE_INHERIT 0
#endif
#ifndef SSL_VALUE_EVENT_HANDLING_MODE_IMPLICIT
#define SSL_VALUE_EVENT_HANDLING_MODE_IMPLICIT 1
#endif
#ifndef SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT
#define SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT 2
#endif

/* QUIC version and transport error codes (RFC 9000 section 20.1); a TLS
 * alert A travels as OSSL_QUIC_ERR_CRYPTO_ERR(A). */
#ifndef OSSL_QUIC1_VERSION
#define OSSL_QUIC1_VERSION 0x0000001
#endif
#ifndef OSSL_QUIC_ERR_NO_ERROR
#define OSSL_QUIC_ERR_NO_ERROR 0x00
#endif
#ifndef OSSL_QUIC_ERR_INTERNAL_ERROR
#define OSSL_QUIC_ERR_INTERNAL_ERROR 0x01
#endif
#ifndef OSSL_QUIC_ERR_CONNECTION_REFUSED
#define OSSL_QUIC_ERR_CONNECTION_REFUSED 0x02
#endif
#ifndef OSSL_QUIC_ERR_FLOW_CONTROL_ERROR
#define OSSL_QUIC_ERR_FLOW_CONTROL_ERROR 0x03
#endif
#ifndef OSSL_QUIC_ERR_STREAM_LIMIT_ERROR
#define OSSL_QUIC_ERR_STREAM_LIMIT_ERROR 0x04
#endif
#ifndef OSSL_QUIC_ERR_STREAM_STATE_ERROR
#define OSSL_QUIC_ERR_STREAM_STATE_ERROR 0x05
#endif
#ifndef OSSL_QUIC_ERR_FINAL_SIZE_ERROR
#define OSSL_QUIC_ERR_FINAL_SIZE_ERROR 0x06
#endif
#ifndef OSSL_QUIC_ERR_FRAME_ENCODING_ERROR
#define OSSL_QUIC_ERR_FRAME_ENCODING_ERROR 0x07
#endif
#ifndef OSSL_QUIC_ERR_TRANSPORT_PARAMETER_ERROR
#define OSSL_QUIC_ERR_TRANSPORT_PARAMETER_ERROR 0x08
#endif
#ifndef OSSL_QUIC_ERR_CONNECTION_ID_LIMIT_ERROR
#define OSSL_QUIC_ERR_CONNECTION_ID_LIMIT_ERROR 0x09
#endif
#ifndef OSSL_QUIC_ERR_PROTOCOL_VIOLATION
#define OSSL_QUIC_ERR_PROTOCOL_VIOLATION 0x0A
#endif
#ifndef OSSL_QUIC_ERR_INVALID_TOKEN
#define OSSL_QUIC_ERR_INVALID_TOKEN 0x0B
#endif
#ifndef OSSL_QUIC_ERR_APPLICATION_ERROR
#define OSSL_QUIC_ERR_APPLICATION_ERROR 0x0C
#endif
#ifndef OSSL_QUIC_ERR_CRYPTO_BUFFER_EXCEEDED
#define OSSL_QUIC_ERR_CRYPTO_BUFFER_EXCEEDED 0x0D
#endif
#ifndef OSSL_QUIC_ERR_KEY_UPDATE_ERROR
#define OSSL_QUIC_ERR_KEY_UPDATE_ERROR 0x0E
#endif
#ifndef OSSL_QUIC_ERR_AEAD_LIMIT_REACHED
#define OSSL_QUIC_ERR_AEAD_LIMIT_REACHED 0x0F
#endif
#ifndef OSSL_QUIC_ERR_NO_VIABLE_PATH
#define OSSL_QUIC_ERR_NO_VIABLE_PATH 0x10
#endif
#ifndef OSSL_QUIC_ERR_CRYPTO_ERR_BEGIN
#define OSSL_QUIC_ERR_CRYPTO_ERR_BEGIN 0x0100
#endif
#ifndef OSSL_QUIC_ERR_CRYPTO_ERR_END
#define OSSL_QUIC_ERR_CRYPTO_ERR_END 0x01FF
#endif
#ifndef OSSL_QUIC_ERR_CRYPTO_ERR
#define OSSL_QUIC_ERR_CRYPTO_ERR(X) (OSSL_QUIC_ERR_CRYPTO_ERR_BEGIN + (X))
#endif
/* Not a wire code: the error_code SSL_get_conn_close_info reports after an
 * idle timeout, when no CONNECTION_CLOSE frame was exchanged. */
#ifndef OSSL_QUIC_LOCAL_ERR_IDLE_TIMEOUT
#define OSSL_QUIC_LOCAL_ERR_IDLE_TIMEOUT ((uint64_t)0xFFFFFFFFFFFFFFFFULL)
#endif

/* The TLS extension carrying QUIC transport parameters (RFC 9001). */
#ifndef TLSEXT_TYPE_quic_transport_parameters
#define TLSEXT_TYPE_quic_transport_parameters 57
#endif

/* content_type values a message callback sees for QUIC-level tracing. */
#ifndef SSL3_RT_QUIC_DATAGRAM
#define SSL3_RT_QUIC_DATAGRAM 0x200
#endif
#ifndef SSL3_RT_QUIC_PACKET
#define SSL3_RT_QUIC_PACKET 0x201
#endif
#ifndef SSL3_RT_QUIC_FRAME_FULL
#define SSL3_RT_QUIC_FRAME_FULL 0x202
#endif
#ifndef SSL3_RT_QUIC_FRAME_HEADER
#define SSL3_RT_QUIC_FRAME_HEADER 0x203
#endif
#ifndef SSL3_RT_QUIC_FRAME_PADDING
#define SSL3_RT_QUIC_FRAME_PADDING 0x204
#endif

/*
 * ===== Functions ===========================================================
 *
 * Prototypes are OpenSSL 3.5's, name for name; the man page of the OpenSSL
 * function is the contract (API.md lists them).
 */

/* Methods: marker methods that only SSLQ_CTX_new accepts; the context it
 * builds is TLS 1.3 only and speaks QUIC in the given role. */
SSLQUIC_API __owur const SSL_METHOD *SSLQ_QUIC_client_method(void);
SSLQUIC_API __owur const SSL_METHOD *SSLQ_QUIC_client_thread_method(void);
SSLQUIC_API __owur const SSL_METHOD *SSLQ_QUIC_server_method(void);

/* Contexts and objects: a QUIC method makes a QUIC context, SSLQ_new on one
 * makes a client connection, SSLQ_free releases a handle's QUIC state with
 * it, and SSLQ_clear refuses QUIC objects (0, as OpenSSL 3.5) rather than
 * reset the TLS layer under a live connection. */
SSLQUIC_API __owur SSL_CTX *SSLQ_CTX_new(const SSL_METHOD *meth);
SSLQUIC_API __owur SSL_CTX *SSLQ_CTX_new_ex(OSSL_LIB_CTX *libctx,
                                            const char *propq,
                                            const SSL_METHOD *meth);
SSLQUIC_API SSL *SSLQ_new(SSL_CTX *ctx);
SSLQUIC_API void SSLQ_free(SSL *ssl);
SSLQUIC_API __owur int SSLQ_clear(SSL *s);

/* Listener: one UDP endpoint that accepts connections. */
SSLQUIC_API __owur SSL *SSLQ_new_listener(SSL_CTX *ctx, uint64_t flags);
SSLQUIC_API __owur SSL *SSLQ_new_listener_from(SSL *ssl, uint64_t flags);
SSLQUIC_API __owur int SSLQ_is_listener(SSL *ssl);
SSLQUIC_API __owur SSL *SSLQ_get0_listener(SSL *s);
SSLQUIC_API __owur int SSLQ_listen(SSL *ssl);
SSLQUIC_API __owur SSL *SSLQ_accept_connection(SSL *ssl, uint64_t flags);
SSLQUIC_API __owur size_t SSLQ_get_accept_connection_queue_len(SSL *ssl);
SSLQUIC_API __owur SSL *SSLQ_new_from_listener(SSL *ssl, uint64_t flags);

/* Domain: the event loop, lock and thread policy listeners share. */
SSLQUIC_API __owur SSL *SSLQ_new_domain(SSL_CTX *ctx, uint64_t flags);
SSLQUIC_API __owur int SSLQ_is_domain(SSL *s);
SSLQUIC_API __owur SSL *SSLQ_get0_domain(SSL *s);
SSLQUIC_API __owur int SSLQ_CTX_set_domain_flags(SSL_CTX *ctx,
                                                 uint64_t domain_flags);
SSLQUIC_API __owur int SSLQ_CTX_get_domain_flags(const SSL_CTX *ctx,
                                                 uint64_t *domain_flags);
SSLQUIC_API __owur int SSLQ_get_domain_flags(const SSL *ssl,
                                             uint64_t *domain_flags);

/* Connection: handshake, role, version, shutdown and close reporting.
 * These answer from the QUIC connection, never from the libssl object that
 * runs its handshake: SSLQ_get_shutdown reports the QUIC close state,
 * SSLQ_key_update starts a QUIC key update (QUIC forbids TLS KeyUpdate),
 * SSLQ_version is OSSL_QUIC1_VERSION and SSLQ_get_version "QUICv1". */
SSLQUIC_API __owur int SSLQ_is_connection(SSL *s);
SSLQUIC_API __owur SSL *SSLQ_get0_connection(SSL *s);
SSLQUIC_API __owur int SSLQ_set1_initial_peer_addr(SSL *s,
                                                   const BIO_ADDR *peer_addr);
SSLQUIC_API void SSLQ_set_connect_state(SSL *s);
SSLQUIC_API void SSLQ_set_accept_state(SSL *s);
SSLQUIC_API __owur int SSLQ_connect(SSL *ssl);
SSLQUIC_API __owur int SSLQ_accept(SSL *ssl);
SSLQUIC_API __owur int SSLQ_do_handshake(SSL *s);
SSLQUIC_API int SSLQ_shutdown(SSL *s);
SSLQUIC_API __owur int SSLQ_shutdown_ex(SSL *ssl, uint64_t flags,
                                        const SSL_SHUTDOWN_EX_ARGS *args,
                                        size_t args_len);
SSLQUIC_API __owur int SSLQ_get_shutdown(const SSL *ssl);
SSLQUIC_API __owur int
SSLQ_get_conn_close_info(SSL *ssl, SSL_CONN_CLOSE_INFO *info, size_t info_len);
SSLQUIC_API __owur int SSLQ_inject_net_dgram(SSL *s, const unsigned char *buf,
                                             size_t buf_len,
                                             const BIO_ADDR *peer,
                                             const BIO_ADDR *local);
SSLQUIC_API int SSLQ_key_update(SSL *s, int updatetype);
SSLQUIC_API int SSLQ_is_tls(const SSL *s);
SSLQUIC_API int SSLQ_is_quic(const SSL *s);
SSLQUIC_API __owur int SSLQ_version(const SSL *ssl);
SSLQUIC_API __owur const char *SSLQ_get_version(const SSL *s);

/* Streams: creation, acceptance, policy, identity and per-direction state. */
SSLQUIC_API __owur SSL *SSLQ_new_stream(SSL *s, uint64_t flags);
SSLQUIC_API __owur SSL *SSLQ_accept_stream(SSL *s, uint64_t flags);
SSLQUIC_API __owur size_t SSLQ_get_accept_stream_queue_len(SSL *s);
SSLQUIC_API __owur int SSLQ_set_default_stream_mode(SSL *s, uint32_t mode);
SSLQUIC_API __owur int SSLQ_set_incoming_stream_policy(SSL *s, int policy,
                                                       uint64_t aec);
SSLQUIC_API __owur uint64_t SSLQ_get_stream_id(SSL *s);
SSLQUIC_API __owur int SSLQ_get_stream_type(SSL *s);
SSLQUIC_API __owur int SSLQ_is_stream_local(SSL *s);
SSLQUIC_API __owur int SSLQ_stream_conclude(SSL *ssl, uint64_t flags);
SSLQUIC_API __owur int
SSLQ_stream_reset(SSL *ssl, const SSL_STREAM_RESET_ARGS *args, size_t args_len);
SSLQUIC_API __owur int SSLQ_get_stream_read_state(SSL *ssl);
SSLQUIC_API __owur int SSLQ_get_stream_write_state(SSL *ssl);
SSLQUIC_API __owur int
SSLQ_get_stream_read_error_code(SSL *ssl, uint64_t *app_error_code);
SSLQUIC_API __owur int
SSLQ_get_stream_write_error_code(SSL *ssl, uint64_t *app_error_code);

/* Data: on a connection these act on its default stream. */
SSLQUIC_API __owur int SSLQ_read(SSL *ssl, void *buf, int num);
SSLQUIC_API __owur int SSLQ_read_ex(SSL *ssl, void *buf, size_t num,
                                    size_t *readbytes);
SSLQUIC_API __owur int SSLQ_peek(SSL *ssl, void *buf, int num);
SSLQUIC_API __owur int SSLQ_peek_ex(SSL *ssl, void *buf, size_t num,
                                    size_t *readbytes);
SSLQUIC_API __owur int SSLQ_write(SSL *ssl, const void *buf, int num);
SSLQUIC_API __owur int SSLQ_write_ex(SSL *s, const void *buf, size_t num,
                                     size_t *written);
SSLQUIC_API __owur int SSLQ_write_ex2(SSL *s, const void *buf, size_t num,
                                      uint64_t flags, size_t *written);
SSLQUIC_API __owur int SSLQ_pending(const SSL *s);
SSLQUIC_API __owur int SSLQ_has_pending(const SSL *s);
SSLQUIC_API __owur int SSLQ_get_error(const SSL *s, int ret_code);
SSLQUIC_API __owur int SSLQ_want(const SSL *s);

/* Events: driving the stack, timeouts, poll descriptors, blocking mode. */
SSLQUIC_API int SSLQ_handle_events(SSL *s);
SSLQUIC_API __owur int SSLQ_get_event_timeout(SSL *s, struct timeval *tv,
                                              int *is_infinite);
SSLQUIC_API __owur int SSLQ_get_rpoll_descriptor(SSL *s,
                                                 BIO_POLL_DESCRIPTOR *desc);
SSLQUIC_API __owur int SSLQ_get_wpoll_descriptor(SSL *s,
                                                 BIO_POLL_DESCRIPTOR *desc);
SSLQUIC_API __owur int SSLQ_net_read_desired(SSL *s);
SSLQUIC_API __owur int SSLQ_net_write_desired(SSL *s);
SSLQUIC_API __owur int SSLQ_set_blocking_mode(SSL *s, int blocking);
SSLQUIC_API __owur int SSLQ_get_blocking_mode(SSL *s);
SSLQUIC_API __owur int SSLQ_poll(SSL_POLL_ITEM *items, size_t num_items,
                                 size_t stride, const struct timeval *timeout,
                                 uint64_t flags, size_t *result_count);

/* A poll descriptor naming an SSL object, for SSL_POLL_ITEM.desc. */
static ossl_inline ossl_unused BIO_POLL_DESCRIPTOR
SSLQ_as_poll_descriptor(SSL *s)
{
    BIO_POLL_DESCRIPTOR desc;

    desc.type = BIO_POLL_DESCRIPTOR_TYPE_SSL;
    desc.value.ssl = s;
    return desc;
}

/* Values: typed per-object settings and counters, and their shorthands. */
SSLQUIC_API int SSLQ_get_value_uint(SSL *s, uint32_t class_, uint32_t id,
                                    uint64_t *v);
SSLQUIC_API int SSLQ_set_value_uint(SSL *s, uint32_t class_, uint32_t id,
                                    uint64_t v);

#define SSLQ_get_generic_value_uint(ssl, id, v)                                \
    SSLQ_get_value_uint((ssl), SSL_VALUE_CLASS_GENERIC, (id), (v))
#define SSLQ_set_generic_value_uint(ssl, id, v)                                \
    SSLQ_set_value_uint((ssl), SSL_VALUE_CLASS_GENERIC, (id), (v))
#define SSLQ_get_feature_request_uint(ssl, id, v)                              \
    SSLQ_get_value_uint((ssl), SSL_VALUE_CLASS_FEATURE_REQUEST, (id), (v))
#define SSLQ_set_feature_request_uint(ssl, id, v)                              \
    SSLQ_set_value_uint((ssl), SSL_VALUE_CLASS_FEATURE_REQUEST, (id), (v))
#define SSLQ_get_feature_peer_request_uint(ssl, id, v)                         \
    SSLQ_get_value_uint((ssl), SSL_VALUE_CLASS_FEATURE_PEER_REQUEST, (id), (v))
#define SSLQ_get_feature_negotiated_uint(ssl, id, v)                           \
    SSLQ_get_value_uint((ssl), SSL_VALUE_CLASS_FEATURE_NEGOTIATED, (id), (v))

#define SSLQ_get_quic_stream_bidi_local_avail(ssl, value)                      \
    SSLQ_get_generic_value_uint((ssl), SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL, \
                                (value))
#define SSLQ_get_quic_stream_bidi_remote_avail(ssl, value)                     \
    SSLQ_get_generic_value_uint(                                               \
        (ssl), SSL_VALUE_QUIC_STREAM_BIDI_REMOTE_AVAIL, (value))
#define SSLQ_get_quic_stream_uni_local_avail(ssl, value)                       \
    SSLQ_get_generic_value_uint((ssl), SSL_VALUE_QUIC_STREAM_UNI_LOCAL_AVAIL,  \
                                (value))
#define SSLQ_get_quic_stream_uni_remote_avail(ssl, value)                      \
    SSLQ_get_generic_value_uint((ssl), SSL_VALUE_QUIC_STREAM_UNI_REMOTE_AVAIL, \
                                (value))
#define SSLQ_get_event_handling_mode(ssl, value)                               \
    SSLQ_get_generic_value_uint((ssl), SSL_VALUE_EVENT_HANDLING_MODE, (value))
#define SSLQ_set_event_handling_mode(ssl, value)                               \
    SSLQ_set_generic_value_uint((ssl), SSL_VALUE_EVENT_HANDLING_MODE, (value))
#define SSLQ_get_stream_write_buf_size(ssl, value)                             \
    SSLQ_get_generic_value_uint((ssl), SSL_VALUE_STREAM_WRITE_BUF_SIZE, (value))
#define SSLQ_get_stream_write_buf_used(ssl, value)                             \
    SSLQ_get_generic_value_uint((ssl), SSL_VALUE_STREAM_WRITE_BUF_USED, (value))
#define SSLQ_get_stream_write_buf_avail(ssl, value)                            \
    SSLQ_get_generic_value_uint((ssl), SSL_VALUE_STREAM_WRITE_BUF_AVAIL,       \
                                (value))

/* Network: a QUIC object's BIO carries datagrams (a UDP socket or any
 * datagram BIO); the getters answer with that BIO, not libssl's own. */
SSLQUIC_API void SSLQ_set_bio(SSL *s, BIO *rbio, BIO *wbio);
SSLQUIC_API void SSLQ_set0_rbio(SSL *s, BIO *rbio);
SSLQUIC_API void SSLQ_set0_wbio(SSL *s, BIO *wbio);
SSLQUIC_API __owur BIO *SSLQ_get_rbio(const SSL *s);
SSLQUIC_API __owur BIO *SSLQ_get_wbio(const SSL *s);
SSLQUIC_API __owur int SSLQ_set_fd(SSL *s, int fd);
SSLQUIC_API __owur int SSLQ_set_rfd(SSL *s, int fd);
SSLQUIC_API __owur int SSLQ_set_wfd(SSL *s, int fd);
SSLQUIC_API __owur int SSLQ_get_fd(const SSL *s);
SSLQUIC_API __owur int SSLQ_get_rfd(const SSL *s);
SSLQUIC_API __owur int SSLQ_get_wfd(const SSL *s);

/* Answered by the connection: called on a stream these act on the stream's
 * connection, as OpenSSL 3.5 does; on a connection or a non-QUIC object they
 * are libssl's own.  SSLQ_ctrl does the same for every SSL_ctrl-based macro
 * (SSL_set_tlsext_host_name, SSL_set_mode, ...) and applies the stream-level
 * modes (SSL_MODE_ENABLE_PARTIAL_WRITE, ...) to streams. */
SSLQUIC_API long SSLQ_ctrl(SSL *ssl, int cmd, long larg, void *parg);
SSLQUIC_API __owur int SSLQ_set_alpn_protos(SSL *ssl,
                                            const unsigned char *protos,
                                            unsigned int protos_len);
SSLQUIC_API __owur int SSLQ_set1_host(SSL *s, const char *host);
SSLQUIC_API void SSLQ_get0_alpn_selected(const SSL *ssl,
                                         const unsigned char **data,
                                         unsigned int *len);
SSLQUIC_API __owur const char *SSLQ_get_servername(const SSL *s,
                                                   const int type);
SSLQUIC_API __owur int SSLQ_get_servername_type(const SSL *s);
SSLQUIC_API __owur X509 *SSLQ_get0_peer_certificate(const SSL *s);
SSLQUIC_API __owur X509 *SSLQ_get1_peer_certificate(const SSL *s);
/* clang-format off */
SSLQUIC_API __owur STACK_OF(X509) *SSLQ_get_peer_cert_chain(const SSL *s);
SSLQUIC_API __owur STACK_OF(X509) *SSLQ_get0_verified_chain(const SSL *s);
/* clang-format on */
SSLQUIC_API __owur long SSLQ_get_verify_result(const SSL *ssl);
SSLQUIC_API __owur const SSL_CIPHER *SSLQ_get_current_cipher(const SSL *s);
SSLQUIC_API __owur SSL_SESSION *SSLQ_get_session(const SSL *ssl);
SSLQUIC_API __owur SSL_SESSION *SSLQ_get1_session(SSL *ssl);
SSLQUIC_API __owur int SSLQ_session_reused(const SSL *s);
SSLQUIC_API __owur int SSLQ_is_server(const SSL *s);
SSLQUIC_API int SSLQ_in_init(const SSL *s);
SSLQUIC_API int SSLQ_is_init_finished(const SSL *s);

/* SNI for a client connection; a macro over SSLQ_ctrl as OpenSSL's is over
 * SSL_ctrl. */
#define SSLQ_set_tlsext_host_name(s, name)                                     \
    SSLQ_ctrl((s), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,    \
              (void *)(name))

/* Callbacks the TLS layer shares: sslquic's handshake over libssl 3.0 rides
 * on the keylog and message callbacks, so a program's own callbacks are
 * chained behind sslquic's instead of replacing them. */
SSLQUIC_API void SSLQ_CTX_set_keylog_callback(SSL_CTX *ctx,
                                              SSL_CTX_keylog_cb_func cb);
SSLQUIC_API SSL_CTX_keylog_cb_func
SSLQ_CTX_get_keylog_callback(const SSL_CTX *ctx);
SSLQUIC_API void SSLQ_CTX_set_msg_callback(
    SSL_CTX *ctx, void (*cb)(int write_p, int version, int content_type,
                             const void *buf, size_t len, SSL *ssl, void *arg));
SSLQUIC_API void SSLQ_set_msg_callback(
    SSL *ssl, void (*cb)(int write_p, int version, int content_type,
                         const void *buf, size_t len, SSL *ssl, void *arg));

/*
 * ===== Error library ========================================================
 *
 * sslquic's failures carry library SSLQ_get_err_lib() and one of the reasons
 * below; ERR_error_string and friends print them by name.  Test a queued
 * error with ERR_GET_LIB(e) == SSLQ_get_err_lib() && ERR_GET_REASON(e) ==
 * SSLQ_R_....  Failures of libssl or libcrypto underneath keep their own
 * library and reason.
 */
SSLQUIC_API int SSLQ_get_err_lib(void);

/* arguments and objects */
/* a required pointer was NULL */
#define SSLQ_R_PASSED_NULL_PARAMETER 100
/* a length, id or mode is invalid */
#define SSLQ_R_PASSED_INVALID_ARGUMENT 101
/* flag bits the call does not know */
#define SSLQ_R_UNSUPPORTED_FLAGS 102
/* the call does not apply to this kind of object */
#define SSLQ_R_WRONG_OBJECT_TYPE 103
/* listener-only call on another object */
#define SSLQ_R_NOT_A_LISTENER 104
/* domain-only call on another object */
#define SSLQ_R_NOT_A_DOMAIN 105
/* connection-only call on another object */
#define SSLQ_R_NOT_A_CONNECTION 106
/* stream-only call on another object */
#define SSLQ_R_NOT_A_STREAM 107
/* context not made for this QUIC role */
#define SSLQ_R_WRONG_METHOD 108
/* valid in OpenSSL, not offered by sslquic or QUIC */
#define SSLQ_R_OPERATION_NOT_SUPPORTED 109

/* network */
/* no network BIO set */
#define SSLQ_R_NO_BIO 110
/* the BIO cannot carry datagrams */
#define SSLQ_R_BIO_NOT_DATAGRAM 111
/* no initial peer address, none derivable */
#define SSLQ_R_PEER_ADDRESS_NOT_SET 112
/* blocking needs a pollable BIO */
#define SSLQ_R_BLOCKING_NOT_SUPPORTED 113
/* the socket failed */
#define SSLQ_R_NETWORK_ERROR 114
/* SSL_poll item it cannot wait on */
#define SSLQ_R_POLL_REQUEST_NOT_SUPPORTED 115

/* connection */
/* call only valid before the handshake */
#define SSLQ_R_ALREADY_CONNECTED 116
/* call needs a completed handshake */
#define SSLQ_R_NOT_CONNECTED 117
/* TLS handshake failed (alert sent or received) */
#define SSLQ_R_HANDSHAKE_FAILED 118
/* QUIC requires ALPN and none was agreed */
#define SSLQ_R_NO_APPLICATION_PROTOCOL 119
/* the peer violated QUIC */
#define SSLQ_R_PROTOCOL_ERROR 120
/* the connection is closing, draining or gone */
#define SSLQ_R_CONN_CLOSED 121
/* an accept queue or pending limit is full */
#define SSLQ_R_QUEUE_FULL 122

/* streams */
/* data call on a connection without a default stream */
#define SSLQ_R_NO_DEFAULT_STREAM 123
/* the peer allows no more streams of this type */
#define SSLQ_R_STREAM_LIMIT_REACHED 124
/* read on a stream that only sends (a local unidirectional stream) */
#define SSLQ_R_STREAM_SEND_ONLY 132
/* write or conclude on a stream that only receives (a peer's
 * unidirectional stream) */
#define SSLQ_R_STREAM_RECV_ONLY 133
/* no longer raised: SSLQ_R_STREAM_SEND_ONLY and SSLQ_R_STREAM_RECV_ONLY,
 * worded as OpenSSL 3.5's reasons, took its place; kept so that code
 * naming it still builds */
#define SSLQ_R_WRONG_STREAM_DIRECTION 125
/* write after the stream was concluded */
#define SSLQ_R_STREAM_FINISHED 126
/* the stream was reset (either side) */
#define SSLQ_R_STREAM_RESET 127

/* values */
/* unknown value id for this object */
#define SSLQ_R_UNSUPPORTED_VALUE 128
/* unknown or unsupported value class */
#define SSLQ_R_UNSUPPORTED_VALUE_CLASS 129
/* set on a value that can only be read */
#define SSLQ_R_VALUE_READ_ONLY 130

/* a bug in sslquic: state that cannot be */
#define SSLQ_R_INTERNAL_ERROR 131

#ifdef __cplusplus
}
#endif

#endif /* SSLQUIC_SSLQUIC_H */
