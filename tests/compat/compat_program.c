/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An OpenSSL 3.5 QUIC program in miniature — server and client paths,
 * streams, SSL_poll, values, shutdown, error handling — written against
 * OpenSSL's API only.  It is compiled, never linked or run: built with
 * -Werror natively on OpenSSL 3.5 it proves itself valid 3.5 code, and built
 * through sslquic/compat.h (on 3.0, or on 3.5 with SSLQUIC_FORCE_COMPAT) it
 * proves sslquic's prototypes, types and constants take the same code
 * without a warning.  Function pointers are taken on purpose: gcc 14 rejects
 * an incompatible one outright.
 */
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/err.h>
#include <openssl/quic.h>
#include <openssl/ssl.h>

int compat_program_server(BIO *sock);
int compat_program_client(BIO *sock, const BIO_ADDR *peer);
int compat_program_poll(SSL *listener, SSL *conn, SSL *stream);
int compat_program_signatures(void);

static void keylog(const SSL *ssl, const char *line)
{
    (void)ssl;
    (void)line;
}

static void trace(int write_p, int version, int content_type, const void *buf,
                  size_t len, SSL *ssl, void *arg)
{
    if (content_type == SSL3_RT_QUIC_PACKET)
        (void)buf;
}

/* The usual retry helper of the OpenSSL guide, stream-aware. */
static int handle_io_failure(SSL *ssl, int res)
{
    switch (SSL_get_error(ssl, res)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return SSL_handle_events(ssl) ? 1 : -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SSL:
        switch (SSL_get_stream_read_state(ssl)) {
        case SSL_STREAM_STATE_RESET_REMOTE:
        case SSL_STREAM_STATE_CONN_CLOSED:
            break;
        default:
            break;
        }
        if (SSL_get_verify_result(ssl) != X509_V_OK)
            return -1;
        return -1;
    default:
        return -1;
    }
}

static int serve_stream(SSL *stream)
{
    unsigned char buf[512];
    size_t got = 0, written = 0;
    uint64_t avail = 0, code = 0;
    SSL_STREAM_RESET_ARGS reset = {0};

    while (!SSL_read_ex(stream, buf, sizeof(buf), &got)) {
        int r = handle_io_failure(stream, 0);

        if (r <= 0)
            return r;
    }
    if (SSL_get_stream_type(stream) == SSL_STREAM_TYPE_READ)
        return 1;
    if (!SSL_get_stream_write_buf_avail(stream, &avail))
        return -1;
    if (!SSL_write_ex2(stream, buf, got, SSL_WRITE_FLAG_CONCLUDE, &written)) {
        reset.quic_error_code = 1;
        if (!SSL_stream_reset(stream, &reset, sizeof(reset)))
            return -1;
    }
    if (SSL_get_stream_write_state(stream) == SSL_STREAM_STATE_RESET_REMOTE &&
        SSL_get_stream_write_error_code(stream, &code) == 1)
        return (int)code;
    return SSL_get_stream_id(stream) == 0 ? 1 : 0;
}

int compat_program_server(BIO *sock)
{
    SSL_CTX *ctx = SSL_CTX_new(OSSL_QUIC_server_method());
    SSL *listener = NULL, *conn = NULL, *stream = NULL;
    SSL_CONN_CLOSE_INFO info;
    SSL_SHUTDOWN_EX_ARGS args = {0};
    uint64_t flags = 0;
    int ret = -1;

    if (ctx == NULL)
        return -1;
    SSL_CTX_set_keylog_callback(ctx, keylog);
    SSL_CTX_set_msg_callback(ctx, trace);
    if (!SSL_CTX_set_domain_flags(ctx, SSL_DOMAIN_FLAG_MULTI_THREAD |
                                           SSL_DOMAIN_FLAG_LEGACY_BLOCKING) ||
        !SSL_CTX_get_domain_flags(ctx, &flags))
        goto end;
    listener = SSL_new_listener(ctx, SSL_LISTENER_FLAG_NO_VALIDATE);
    if (listener == NULL)
        goto end;
    SSL_set_bio(listener, sock, sock);
    if (!SSL_set_generic_value_uint(listener, SSL_VALUE_QUIC_MAX_PENDING_CONNS,
                                    64) ||
        !SSL_set_blocking_mode(listener, 0) || !SSL_listen(listener))
        goto end;
    while ((conn = SSL_accept_connection(
                listener, SSL_ACCEPT_CONNECTION_NO_BLOCK)) == NULL)
        if (!SSL_handle_events(listener))
            goto end;
    if (SSL_get0_listener(conn) != listener || !SSL_is_connection(conn) ||
        SSL_get_accept_connection_queue_len(listener) > 100)
        goto end;
    if (!SSL_set_incoming_stream_policy(conn, SSL_INCOMING_STREAM_POLICY_ACCEPT,
                                        0) ||
        !SSL_set_default_stream_mode(conn, SSL_DEFAULT_STREAM_MODE_NONE))
        goto end;
    stream = SSL_accept_stream(conn, SSL_ACCEPT_STREAM_NO_BLOCK);
    if (stream != NULL && SSL_get_accept_stream_queue_len(conn) == 0 &&
        !SSL_is_stream_local(stream))
        ret = serve_stream(stream);

    args.quic_error_code = OSSL_QUIC_ERR_NO_ERROR;
    args.quic_reason = "bye";
    while (SSL_shutdown_ex(conn, SSL_SHUTDOWN_FLAG_NO_BLOCK, &args,
                           sizeof(args)) == 0)
        if (!SSL_handle_events(conn))
            break;
    if (SSL_get_conn_close_info(conn, &info, sizeof(info)) &&
        (info.flags & SSL_CONN_CLOSE_FLAG_TRANSPORT) != 0 &&
        info.error_code >= OSSL_QUIC_ERR_CRYPTO_ERR_BEGIN &&
        info.error_code <= OSSL_QUIC_ERR_CRYPTO_ERR_END)
        ret = -(int)(info.error_code - OSSL_QUIC_ERR_CRYPTO_ERR(0));
end:
    SSL_free(stream);
    SSL_free(conn);
    SSL_free(listener);
    SSL_CTX_free(ctx);
    return ret;
}

int compat_program_client(BIO *sock, const BIO_ADDR *peer)
{
    static const unsigned char alpn[] = {2, 'h', '3'};
    SSL_CTX *ctx = SSL_CTX_new(OSSL_QUIC_client_method());
    SSL *ssl = NULL, *uni = NULL;
    const unsigned char *proto = NULL;
    unsigned int proto_len = 0;
    X509 *cert;
    size_t written = 0;
    uint64_t left = 0;
    struct timeval tv;
    int infinite = 0, ret = -1, r;

    if (ctx == NULL)
        return -1;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    ssl = SSL_new(ctx);
    if (ssl == NULL)
        goto end;
    SSL_set_bio(ssl, sock, sock);
    if (!SSL_set_tlsext_host_name(ssl, "example.org") ||
        !SSL_set1_host(ssl, "example.org") ||
        SSL_set_alpn_protos(ssl, alpn, sizeof(alpn)) != 0 ||
        !SSL_set1_initial_peer_addr(ssl, peer) ||
        !SSL_set_blocking_mode(ssl, 0))
        goto end;
    while ((r = SSL_connect(ssl)) != 1)
        if (handle_io_failure(ssl, r) != 1)
            goto end;
    SSL_get0_alpn_selected(ssl, &proto, &proto_len);
    cert = SSL_get1_peer_certificate(ssl);
    X509_free(cert);
    if (SSL_version(ssl) != OSSL_QUIC1_VERSION || !SSL_is_quic(ssl) ||
        SSL_is_tls(ssl) || strcmp(SSL_get_version(ssl), "QUICv1") != 0)
        goto end;
    if (!SSL_get_quic_stream_uni_local_avail(ssl, &left) || left == 0)
        goto end;
    uni = SSL_new_stream(ssl, SSL_STREAM_FLAG_UNI | SSL_STREAM_FLAG_NO_BLOCK);
    if (uni == NULL || SSL_get0_connection(uni) != ssl)
        goto end;
    if (!SSL_write_ex(uni, "x", 1, &written) || !SSL_stream_conclude(uni, 0))
        goto end;
    if (SSL_get_event_timeout(ssl, &tv, &infinite) && !infinite &&
        (SSL_net_read_desired(ssl) || SSL_net_write_desired(ssl)))
        (void)SSL_handle_events(ssl);
    ret = SSL_shutdown(ssl) >= 0 ? 0 : -1;
end:
    SSL_free(uni);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return ret;
}

int compat_program_poll(SSL *listener, SSL *conn, SSL *stream)
{
    SSL_POLL_ITEM items[3];
    struct timeval timeout = {1, 0};
    BIO_POLL_DESCRIPTOR rdesc;
    size_t ready = 0;
    uint64_t mode = 0;

    items[0].desc = SSL_as_poll_descriptor(listener);
    items[0].events = SSL_POLL_EVENT_IC | SSL_POLL_EVENT_EL;
    items[1].desc = SSL_as_poll_descriptor(conn);
    items[1].events = SSL_POLL_EVENT_I | SSL_POLL_EVENT_OS | SSL_POLL_EVENT_E;
    items[2].desc = SSL_as_poll_descriptor(stream);
    items[2].events = SSL_POLL_EVENT_RWE;
    items[0].revents = items[1].revents = items[2].revents = 0;
    if (!SSL_poll(items, 3, sizeof(items[0]), &timeout,
                  SSL_POLL_FLAG_NO_HANDLE_EVENTS, &ready))
        return -1;
    if (!SSL_get_rpoll_descriptor(conn, &rdesc) ||
        rdesc.type != BIO_POLL_DESCRIPTOR_TYPE_SOCK_FD)
        return -1;
    if (!SSL_get_event_handling_mode(conn, &mode) ||
        !SSL_set_event_handling_mode(conn,
                                     SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT))
        return -1;
    if ((items[2].revents & SSL_POLL_EVENT_R) != 0 && SSL_has_pending(stream))
        return SSL_pending(stream);
    return (int)ready + SSL_get_blocking_mode(conn);
}

/* The prototypes, as function pointers a program might store. */
int compat_program_signatures(void)
{
    const SSL_METHOD *(*method)(void) = OSSL_QUIC_client_thread_method;
    SSL *(*make)(SSL_CTX *, uint64_t) = SSL_new_domain;
    SSL *(*from)(SSL *, uint64_t) = SSL_new_listener_from;
    int (*read_ex)(SSL *, void *, size_t, size_t *) = SSL_read_ex;
    int (*peek_ex)(SSL *, void *, size_t, size_t *) = SSL_peek_ex;
    int (*write_ex2)(SSL *, const void *, size_t, uint64_t, size_t *) =
        SSL_write_ex2;
    int (*inject)(SSL *, const unsigned char *, size_t, const BIO_ADDR *,
                  const BIO_ADDR *) = SSL_inject_net_dgram;
    int (*get_value)(SSL *, uint32_t, uint32_t, uint64_t *) =
        SSL_get_value_uint;
    int (*read_err)(SSL *, uint64_t *) = SSL_get_stream_read_error_code;
    void (*free_fn)(SSL *) = SSL_free;
    long (*ctrl)(SSL *, int, long, void *) = SSL_ctrl;
    SSL_CTX_keylog_cb_func (*get_keylog)(const SSL_CTX *) =
        SSL_CTX_get_keylog_callback;
    int (*domain_flags)(const SSL *, uint64_t *) = SSL_get_domain_flags;
    SSL *(*domain)(SSL *) = SSL_get0_domain;

    return method != NULL && make != NULL && from != NULL && read_ex != NULL &&
           peek_ex != NULL && write_ex2 != NULL && inject != NULL &&
           get_value != NULL && read_err != NULL && free_fn != NULL &&
           ctrl != NULL && get_keylog != NULL && domain_flags != NULL &&
           domain != NULL && SSL_is_domain(NULL) == 0 &&
           SSL_is_listener(NULL) == 0 && SSL_get_fd(NULL) == -1 &&
           ERR_peek_error() == 0;
}
