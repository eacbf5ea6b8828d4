/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every OpenSSL name sslquic gives a twin, as one X-macro list, in the order
 * of <sslquic/sslquic.h>.  tests/unit/test_headers.c checks each twin's
 * prototype against OpenSSL's; tests/compat/test_compat_build.c checks that
 * <sslquic/compat.h> renames each one, and that neither header has a name
 * this list lacks.
 *
 * The includer defines, each taking the name without its SSL_ (or
 * OSSL_QUIC_) prefix:
 *   SSLQ_METHOD(n)  OSSL_QUIC_n  -> SSLQ_QUIC_n   (OpenSSL 3.5)
 *   SSLQ_FN30(n)    SSL_n        -> SSLQ_n        (already in OpenSSL 3.0)
 *   SSLQ_FN35(n)    SSL_n        -> SSLQ_n        (new with QUIC, 3.2 to 3.5)
 *   SSLQ_MACRO35(n) SSL_n        -> SSLQ_n        (function-like macro in 3.5)
 * No include guard: it is meant to be expanded more than once.
 */

/* methods */
SSLQ_METHOD(client_method)
SSLQ_METHOD(client_thread_method)
SSLQ_METHOD(server_method)

/* contexts and objects */
SSLQ_FN30(CTX_new)
SSLQ_FN30(CTX_new_ex)
SSLQ_FN30(new)
SSLQ_FN30(free)
SSLQ_FN30(clear)

/* listener */
SSLQ_FN35(new_listener)
SSLQ_FN35(new_listener_from)
SSLQ_FN35(is_listener)
SSLQ_FN35(get0_listener)
SSLQ_FN35(listen)
SSLQ_FN35(accept_connection)
SSLQ_FN35(get_accept_connection_queue_len)
SSLQ_FN35(new_from_listener)

/* domain */
SSLQ_FN35(new_domain)
SSLQ_FN35(is_domain)
SSLQ_FN35(get0_domain)
SSLQ_FN35(CTX_set_domain_flags)
SSLQ_FN35(CTX_get_domain_flags)
SSLQ_FN35(get_domain_flags)

/* connection */
SSLQ_FN35(is_connection)
SSLQ_FN35(get0_connection)
SSLQ_FN35(set1_initial_peer_addr)
SSLQ_FN30(set_connect_state)
SSLQ_FN30(set_accept_state)
SSLQ_FN30(connect)
SSLQ_FN30(accept)
SSLQ_FN30(do_handshake)
SSLQ_FN30(shutdown)
SSLQ_FN35(shutdown_ex)
SSLQ_FN30(get_shutdown)
SSLQ_FN35(get_conn_close_info)
SSLQ_FN35(inject_net_dgram)
SSLQ_FN30(key_update)
SSLQ_FN35(is_tls)
SSLQ_FN35(is_quic)
SSLQ_FN30(version)
SSLQ_FN30(get_version)

/* streams */
SSLQ_FN35(new_stream)
SSLQ_FN35(accept_stream)
SSLQ_FN35(get_accept_stream_queue_len)
SSLQ_FN35(set_default_stream_mode)
SSLQ_FN35(set_incoming_stream_policy)
SSLQ_FN35(get_stream_id)
SSLQ_FN35(get_stream_type)
SSLQ_FN35(is_stream_local)
SSLQ_FN35(stream_conclude)
SSLQ_FN35(stream_reset)
SSLQ_FN35(get_stream_read_state)
SSLQ_FN35(get_stream_write_state)
SSLQ_FN35(get_stream_read_error_code)
SSLQ_FN35(get_stream_write_error_code)

/* data */
SSLQ_FN30(read)
SSLQ_FN30(read_ex)
SSLQ_FN30(peek)
SSLQ_FN30(peek_ex)
SSLQ_FN30(write)
SSLQ_FN30(write_ex)
SSLQ_FN35(write_ex2)
SSLQ_FN30(pending)
SSLQ_FN30(has_pending)
SSLQ_FN30(get_error)
SSLQ_FN30(want)

/* events */
SSLQ_FN35(handle_events)
SSLQ_FN35(get_event_timeout)
SSLQ_FN35(get_rpoll_descriptor)
SSLQ_FN35(get_wpoll_descriptor)
SSLQ_FN35(net_read_desired)
SSLQ_FN35(net_write_desired)
SSLQ_FN35(set_blocking_mode)
SSLQ_FN35(get_blocking_mode)
SSLQ_FN35(poll)
SSLQ_FN35(as_poll_descriptor)

/* values */
SSLQ_FN35(get_value_uint)
SSLQ_FN35(set_value_uint)
SSLQ_MACRO35(get_generic_value_uint)
SSLQ_MACRO35(set_generic_value_uint)
SSLQ_MACRO35(get_feature_request_uint)
SSLQ_MACRO35(set_feature_request_uint)
SSLQ_MACRO35(get_feature_peer_request_uint)
SSLQ_MACRO35(get_feature_negotiated_uint)
SSLQ_MACRO35(get_quic_stream_bidi_local_avail)
SSLQ_MACRO35(get_quic_stream_bidi_remote_avail)
SSLQ_MACRO35(get_quic_stream_uni_local_avail)
SSLQ_MACRO35(get_quic_stream_uni_remote_avail)
SSLQ_MACRO35(get_event_handling_mode)
SSLQ_MACRO35(set_event_handling_mode)
SSLQ_MACRO35(get_stream_write_buf_size)
SSLQ_MACRO35(get_stream_write_buf_used)
SSLQ_MACRO35(get_stream_write_buf_avail)

/* network */
SSLQ_FN30(set_bio)
SSLQ_FN30(set0_rbio)
SSLQ_FN30(set0_wbio)
SSLQ_FN30(get_rbio)
SSLQ_FN30(get_wbio)
SSLQ_FN30(set_fd)
SSLQ_FN30(set_rfd)
SSLQ_FN30(set_wfd)
SSLQ_FN30(get_fd)
SSLQ_FN30(get_rfd)
SSLQ_FN30(get_wfd)

/* answered by the connection when called on a stream */
SSLQ_FN30(ctrl)
SSLQ_FN30(set_alpn_protos)
SSLQ_FN30(set1_host)
SSLQ_FN30(get0_alpn_selected)
SSLQ_FN30(get_servername)
SSLQ_FN30(get_servername_type)
SSLQ_FN30(get0_peer_certificate)
SSLQ_FN30(get1_peer_certificate)
SSLQ_FN30(get_peer_cert_chain)
SSLQ_FN30(get0_verified_chain)
SSLQ_FN30(get_verify_result)
SSLQ_FN30(get_current_cipher)
SSLQ_FN30(get_session)
SSLQ_FN30(get1_session)
SSLQ_FN30(session_reused)
SSLQ_FN30(is_server)
SSLQ_FN30(in_init)
SSLQ_FN30(is_init_finished)

/* callbacks the TLS layer chains */
SSLQ_FN30(CTX_set_keylog_callback)
SSLQ_FN30(CTX_get_keylog_callback)
SSLQ_FN30(CTX_set_msg_callback)
SSLQ_FN30(set_msg_callback)
