/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sslquic/compat.h — build an OpenSSL 3.5 QUIC program unchanged.
 *
 * `pkg-config --cflags sslquic-compat` force-includes this header and puts
 * sslquic's openssl/quic.h shim on the include path.  While active, every
 * OpenSSL function QUIC changes is renamed to its sslquic twin
 * (SSL_read_ex -> SSLQ_read_ex, OSSL_QUIC_client_method ->
 * SSLQ_QUIC_client_method, ...), so the program's calls, and the function
 * pointers it takes, reach sslquic with OpenSSL 3.5's prototypes.  Functions
 * not listed here are libssl's own and work unchanged on QUIC objects.
 *
 * Active when OpenSSL is older than 3.5, or on any version when
 * SSLQUIC_FORCE_COMPAT is defined (to run sslquic under a program written for
 * native 3.5 QUIC on the same machine).  Inactive, it includes <openssl/ssl.h>
 * and nothing else.
 *
 * Being force-included, it runs before the program's first line: OpenSSL's
 * headers, and the system headers they pull in, are read before any feature
 * macro the program defines itself (_GNU_SOURCE, ...).  Pass such macros
 * with -D.  The renaming is by object-like macros: a program that declares
 * its own identifiers with these names needs the explicit API instead.
 *
 * SSL_set_tlsext_host_name, SSL_set_mode and the other SSL_ctrl-based
 * macros reach sslquic through the SSL_ctrl mapping.
 */
#ifndef SSLQUIC_COMPAT_H
#define SSLQUIC_COMPAT_H

#include <openssl/opensslv.h>
#include <openssl/ssl.h>

#if OPENSSL_VERSION_NUMBER < 0x30500000L || defined(SSLQUIC_FORCE_COMPAT)

#include <sslquic/sslquic.h>

/* Lets a program (and sslquic's tests) see that the renaming is in force. */
#define SSLQUIC_COMPAT_ACTIVE 1

/* methods */
#define OSSL_QUIC_client_method SSLQ_QUIC_client_method
#define OSSL_QUIC_client_thread_method SSLQ_QUIC_client_thread_method
#define OSSL_QUIC_server_method SSLQ_QUIC_server_method

/* contexts and objects */
#define SSL_CTX_new SSLQ_CTX_new
#define SSL_CTX_new_ex SSLQ_CTX_new_ex
#define SSL_new SSLQ_new
#define SSL_free SSLQ_free
#define SSL_clear SSLQ_clear

/* listener */
#define SSL_new_listener SSLQ_new_listener
#define SSL_new_listener_from SSLQ_new_listener_from
#define SSL_is_listener SSLQ_is_listener
#define SSL_get0_listener SSLQ_get0_listener
#define SSL_listen SSLQ_listen
#define SSL_accept_connection SSLQ_accept_connection
#define SSL_get_accept_connection_queue_len SSLQ_get_accept_connection_queue_len
#define SSL_new_from_listener SSLQ_new_from_listener

/* domain */
#define SSL_new_domain SSLQ_new_domain
#define SSL_is_domain SSLQ_is_domain
#define SSL_get0_domain SSLQ_get0_domain
#define SSL_CTX_set_domain_flags SSLQ_CTX_set_domain_flags
#define SSL_CTX_get_domain_flags SSLQ_CTX_get_domain_flags
#define SSL_get_domain_flags SSLQ_get_domain_flags

/* connection */
#define SSL_is_connection SSLQ_is_connection
#define SSL_get0_connection SSLQ_get0_connection
#define SSL_set1_initial_peer_addr SSLQ_set1_initial_peer_addr
#define SSL_set_connect_state SSLQ_set_connect_state
#define SSL_set_accept_state SSLQ_set_accept_state
#define SSL_connect SSLQ_connect
#define SSL_accept SSLQ_accept
#define SSL_do_handshake SSLQ_do_handshake
#define SSL_shutdown SSLQ_shutdown
#define SSL_shutdown_ex SSLQ_shutdown_ex
#define SSL_get_shutdown SSLQ_get_shutdown
#define SSL_get_conn_close_info SSLQ_get_conn_close_info
#define SSL_inject_net_dgram SSLQ_inject_net_dgram
#define SSL_key_update SSLQ_key_update
#define SSL_is_tls SSLQ_is_tls
#define SSL_is_quic SSLQ_is_quic
#define SSL_version SSLQ_version
#define SSL_get_version SSLQ_get_version

/* streams */
#define SSL_new_stream SSLQ_new_stream
#define SSL_accept_stream SSLQ_accept_stream
#define SSL_get_accept_stream_queue_len SSLQ_get_accept_stream_queue_len
#define SSL_set_default_stream_mode SSLQ_set_default_stream_mode
#define SSL_set_incoming_stream_policy SSLQ_set_incoming_stream_policy
#define SSL_get_stream_id SSLQ_get_stream_id
#define SSL_get_stream_type SSLQ_get_stream_type
#define SSL_is_stream_local SSLQ_is_stream_local
#define SSL_stream_conclude SSLQ_stream_conclude
#define SSL_stream_reset SSLQ_stream_reset
#define SSL_get_stream_read_state SSLQ_get_stream_read_state
#define SSL_get_stream_write_state SSLQ_get_stream_write_state
#define SSL_get_stream_read_error_code SSLQ_get_stream_read_error_code
#define SSL_get_stream_write_error_code SSLQ_get_stream_write_error_code

/* data */
#define SSL_read SSLQ_read
#define SSL_read_ex SSLQ_read_ex
#define SSL_peek SSLQ_peek
#define SSL_peek_ex SSLQ_peek_ex
#define SSL_write SSLQ_write
#define SSL_write_ex SSLQ_write_ex
#define SSL_write_ex2 SSLQ_write_ex2
#define SSL_pending SSLQ_pending
#define SSL_has_pending SSLQ_has_pending
#define SSL_get_error SSLQ_get_error
#define SSL_want SSLQ_want

/* events (SSL_as_poll_descriptor is an inline function in 3.5) */
#define SSL_handle_events SSLQ_handle_events
#define SSL_get_event_timeout SSLQ_get_event_timeout
#define SSL_get_rpoll_descriptor SSLQ_get_rpoll_descriptor
#define SSL_get_wpoll_descriptor SSLQ_get_wpoll_descriptor
#define SSL_net_read_desired SSLQ_net_read_desired
#define SSL_net_write_desired SSLQ_net_write_desired
#define SSL_set_blocking_mode SSLQ_set_blocking_mode
#define SSL_get_blocking_mode SSLQ_get_blocking_mode
#define SSL_poll SSLQ_poll
#define SSL_as_poll_descriptor SSLQ_as_poll_descriptor

/* values; the shorthands are macros in OpenSSL 3.5, replaced here */
#define SSL_get_value_uint SSLQ_get_value_uint
#define SSL_set_value_uint SSLQ_set_value_uint
#undef SSL_get_generic_value_uint
#define SSL_get_generic_value_uint SSLQ_get_generic_value_uint
#undef SSL_set_generic_value_uint
#define SSL_set_generic_value_uint SSLQ_set_generic_value_uint
#undef SSL_get_feature_request_uint
#define SSL_get_feature_request_uint SSLQ_get_feature_request_uint
#undef SSL_set_feature_request_uint
#define SSL_set_feature_request_uint SSLQ_set_feature_request_uint
#undef SSL_get_feature_peer_request_uint
#define SSL_get_feature_peer_request_uint SSLQ_get_feature_peer_request_uint
#undef SSL_get_feature_negotiated_uint
#define SSL_get_feature_negotiated_uint SSLQ_get_feature_negotiated_uint
#undef SSL_get_quic_stream_bidi_local_avail
#define SSL_get_quic_stream_bidi_local_avail                                   \
    SSLQ_get_quic_stream_bidi_local_avail
#undef SSL_get_quic_stream_bidi_remote_avail
#define SSL_get_quic_stream_bidi_remote_avail                                  \
    SSLQ_get_quic_stream_bidi_remote_avail
#undef SSL_get_quic_stream_uni_local_avail
#define SSL_get_quic_stream_uni_local_avail SSLQ_get_quic_stream_uni_local_avail
#undef SSL_get_quic_stream_uni_remote_avail
#define SSL_get_quic_stream_uni_remote_avail                                   \
    SSLQ_get_quic_stream_uni_remote_avail
#undef SSL_get_event_handling_mode
#define SSL_get_event_handling_mode SSLQ_get_event_handling_mode
#undef SSL_set_event_handling_mode
#define SSL_set_event_handling_mode SSLQ_set_event_handling_mode
#undef SSL_get_stream_write_buf_size
#define SSL_get_stream_write_buf_size SSLQ_get_stream_write_buf_size
#undef SSL_get_stream_write_buf_used
#define SSL_get_stream_write_buf_used SSLQ_get_stream_write_buf_used
#undef SSL_get_stream_write_buf_avail
#define SSL_get_stream_write_buf_avail SSLQ_get_stream_write_buf_avail

/* network */
#define SSL_set_bio SSLQ_set_bio
#define SSL_set0_rbio SSLQ_set0_rbio
#define SSL_set0_wbio SSLQ_set0_wbio
#define SSL_get_rbio SSLQ_get_rbio
#define SSL_get_wbio SSLQ_get_wbio
#define SSL_set_fd SSLQ_set_fd
#define SSL_set_rfd SSLQ_set_rfd
#define SSL_set_wfd SSLQ_set_wfd
#define SSL_get_fd SSLQ_get_fd
#define SSL_get_rfd SSLQ_get_rfd
#define SSL_get_wfd SSLQ_get_wfd

/* answered by the connection when called on a stream */
#define SSL_ctrl SSLQ_ctrl
#define SSL_set_alpn_protos SSLQ_set_alpn_protos
#define SSL_set1_host SSLQ_set1_host
#define SSL_get0_alpn_selected SSLQ_get0_alpn_selected
#define SSL_get_servername SSLQ_get_servername
#define SSL_get_servername_type SSLQ_get_servername_type
#define SSL_get0_peer_certificate SSLQ_get0_peer_certificate
#define SSL_get1_peer_certificate SSLQ_get1_peer_certificate
#define SSL_get_peer_cert_chain SSLQ_get_peer_cert_chain
#define SSL_get0_verified_chain SSLQ_get0_verified_chain
#define SSL_get_verify_result SSLQ_get_verify_result
#define SSL_get_current_cipher SSLQ_get_current_cipher
#define SSL_get_session SSLQ_get_session
#define SSL_get1_session SSLQ_get1_session
#define SSL_session_reused SSLQ_session_reused
#define SSL_is_server SSLQ_is_server
#define SSL_in_init SSLQ_in_init
#define SSL_is_init_finished SSLQ_is_init_finished

/* callbacks the TLS layer chains */
#define SSL_CTX_set_keylog_callback SSLQ_CTX_set_keylog_callback
#define SSL_CTX_get_keylog_callback SSLQ_CTX_get_keylog_callback
#define SSL_CTX_set_msg_callback SSLQ_CTX_set_msg_callback
#define SSL_set_msg_callback SSLQ_set_msg_callback

#endif /* OpenSSL < 3.5 || SSLQUIC_FORCE_COMPAT */

#endif /* SSLQUIC_COMPAT_H */
