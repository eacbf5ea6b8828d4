/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public API end to end: a blocking listener served by one thread, and
 * clients made with the SSLQ_ calls in the test's thread, over loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <openssl/err.h>

#include "helper_pki.h"
#include "sslquic/sslquic.h"

static const unsigned char alpn[] = {4, 't', 'e', 's', 't'};

static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    return SSL_select_next_proto((unsigned char **)out, outlen, alpn,
                                 sizeof(alpn), in, inlen) ==
                   OPENSSL_NPN_NEGOTIATED
               ? SSL_TLSEXT_ERR_OK
               : SSL_TLSEXT_ERR_ALERT_FATAL;
}

typedef struct server {
    SSL_CTX *ctx;
    SSL *listener;
    int fd;
    struct sockaddr_in addr;
    pthread_t thread;
    int conns;     /* how many connections to serve */
    int served;
    int failures;
} server;

static int udp_socket(struct sockaddr_in *addr, int bind_it)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = sizeof(*addr);

    if (!bind_it)
        return fd;
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) != 0)
        return -1;
    return fd;
}

/* Echo: read the default stream to its end, write it back, conclude. */
static void *serve(void *arg)
{
    server *sv = arg;

    for (int i = 0; i < sv->conns; i++) {
        SSL *c = SSLQ_accept_connection(sv->listener, 0);
        unsigned char *buf = malloc(1 << 16);
        size_t n, w;
        int ok = 1;

        if (c == NULL) {
            sv->failures++;
            free(buf);
            break;
        }
        for (;;) {
            if (!SSLQ_read_ex(c, buf, 1 << 16, &n)) {
                ok = SSLQ_get_error(c, 0) == SSL_ERROR_ZERO_RETURN;
                break;
            }
            if (!SSLQ_write_ex(c, buf, n, &w) || w != n) {
                ok = 0;
                break;
            }
        }
        if (ok && !SSLQ_stream_conclude(c, 0))
            ok = 0;
        if (ok && SSLQ_shutdown(c) != 1)
            ok = 0;
        if (!ok)
            sv->failures++;
        sv->served++;
        SSLQ_free(c);
        free(buf);
    }
    return NULL;
}

static sslq_test_pki *pki;

static int start_server(server *sv, int conns, uint64_t flags)
{
    memset(sv, 0, sizeof(*sv));
    sv->conns = conns;
    sv->ctx = SSLQ_CTX_new(SSLQ_QUIC_server_method());
    if (sv->ctx == NULL || !sslq_test_pki_use_server(sv->ctx, pki))
        return -1;
    SSL_CTX_set_alpn_select_cb(sv->ctx, select_alpn, NULL);
    sv->listener = SSLQ_new_listener(sv->ctx, flags);
    sv->fd = udp_socket(&sv->addr, 1);
    if (sv->listener == NULL || sv->fd < 0 ||
        !SSLQ_set_fd(sv->listener, sv->fd) || !SSLQ_listen(sv->listener))
        return -1;
    return pthread_create(&sv->thread, NULL, serve, sv);
}

static void stop_server(server *sv)
{
    pthread_join(sv->thread, NULL);
    SSLQ_free(sv->listener);
    SSL_CTX_free(sv->ctx);
    close(sv->fd);
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = SSLQ_CTX_new(SSLQ_QUIC_client_method());

    assert_non_null(ctx);
    assert_true(sslq_test_pki_trust(ctx, pki->ca));
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

static SSL *client_connect(SSL_CTX *ctx, const server *sv, int *fd)
{
    SSL *c = SSLQ_new(ctx);
    BIO_ADDR *peer = BIO_ADDR_new();
    struct sockaddr_in unused;

    assert_non_null(c);
    *fd = udp_socket(&unused, 0);
    assert_true(*fd >= 0);
    assert_true(SSLQ_set_fd(c, *fd));
    assert_true(BIO_ADDR_rawmake(peer, AF_INET, &sv->addr.sin_addr, 4,
                                 sv->addr.sin_port));
    assert_true(SSLQ_set1_initial_peer_addr(c, peer));
    BIO_ADDR_free(peer);
    assert_int_equal(SSLQ_set_alpn_protos(c, alpn, sizeof(alpn)), 0);
    assert_true(SSLQ_set_tlsext_host_name(c, "localhost"));
    assert_true(SSLQ_set1_host(c, "localhost"));
    assert_int_equal(SSLQ_connect(c), 1);
    return c;
}

static void echo(size_t len)
{
    server sv;
    SSL_CTX *ctx;
    SSL *c;
    int fd;
    unsigned char *out = malloc(len + 1), *in = malloc(len + 1);
    size_t got = 0, n, w;

    assert_int_equal(start_server(&sv, 1, 0), 0);
    ctx = client_ctx();
    c = client_connect(ctx, &sv, &fd);
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)(i * 7 + (i >> 11));
    assert_true(SSLQ_write_ex2(c, out, len, SSL_WRITE_FLAG_CONCLUDE, &w));
    assert_int_equal(w, len);
    while (SSLQ_read_ex(c, in + got, len + 1 - got, &n))
        got += n;
    assert_int_equal(SSLQ_get_error(c, 0), SSL_ERROR_ZERO_RETURN);
    assert_int_equal(got, len);
    assert_memory_equal(in, out, len);
    assert_int_equal(SSLQ_shutdown(c), 1);
    SSLQ_free(c);
    close(fd);
    SSL_CTX_free(ctx);
    stop_server(&sv);
    assert_int_equal(sv.failures, 0);
    assert_int_equal(sv.served, 1);
    free(out);
    free(in);
}

static void test_blocking_echo_one_byte(void **state)
{
    (void)state;
    echo(1);
}

static void test_blocking_echo_one_mebibyte(void **state)
{
    (void)state;
    echo(1 << 20);
}

static void test_listener_refuses_data_calls(void **state)
{
    server sv;
    size_t n;
    unsigned char b[4];

    (void)state;
    memset(&sv, 0, sizeof(sv));
    sv.ctx = SSLQ_CTX_new(SSLQ_QUIC_server_method());
    sv.listener = SSLQ_new_listener(sv.ctx, 0);
    assert_non_null(sv.listener);
    assert_true(SSLQ_is_listener(sv.listener));
    assert_false(SSLQ_is_connection(sv.listener));
    assert_ptr_equal(SSLQ_get0_listener(sv.listener), sv.listener);
    ERR_clear_error();
    assert_false(SSLQ_read_ex(sv.listener, b, sizeof(b), &n));
    assert_int_equal(SSLQ_get_error(sv.listener, 0), SSL_ERROR_SSL);
    assert_int_equal(ERR_GET_LIB(ERR_peek_error()), SSLQ_get_err_lib());
    assert_false(SSLQ_write_ex(sv.listener, b, sizeof(b), &n));
    /* No BIO yet: listening still works; accepting does not block. */
    assert_int_equal(SSLQ_listen(sv.listener), 1);
    assert_int_equal(SSLQ_listen(sv.listener), 1);
    assert_int_equal(SSLQ_get_blocking_mode(sv.listener), 0);
    ERR_clear_error();
    assert_null(SSLQ_accept_connection(sv.listener,
                                       SSL_ACCEPT_CONNECTION_NO_BLOCK));
    assert_int_equal(SSLQ_get_error(sv.listener, 0), SSL_ERROR_SSL);
    assert_int_equal(ERR_peek_error(), 0);
    assert_int_equal(SSLQ_get_accept_connection_queue_len(sv.listener), 0);
    SSLQ_free(sv.listener);
    SSL_CTX_free(sv.ctx);
}

static void test_null_and_wrong_objects_fail_cleanly(void **state)
{
    SSL_CTX *tls = SSL_CTX_new(TLS_client_method());
    SSL *plain = SSL_new(tls);
    size_t n;

    (void)state;
    assert_null(SSLQ_new_listener(NULL, 0));
    assert_null(SSLQ_new_listener(tls, 0)); /* not a QUIC context */
    assert_false(SSLQ_is_listener(NULL));
    assert_false(SSLQ_is_listener(plain));
    assert_null(SSLQ_get0_listener(plain));
    assert_null(SSLQ_accept_connection(NULL, 0));
    assert_null(SSLQ_accept_connection(plain, 0));
    assert_int_equal(SSLQ_get_accept_connection_queue_len(NULL), 0);
    assert_int_equal(SSLQ_get_accept_connection_queue_len(plain), 0);
    assert_null(SSLQ_new_from_listener(plain, 0));
    assert_false(SSLQ_listen(NULL));
    assert_false(SSLQ_stream_conclude(NULL, 0));
    assert_false(SSLQ_set1_initial_peer_addr(NULL, NULL));
    assert_int_equal(SSLQ_get_blocking_mode(NULL), -1);
    assert_false(SSLQ_read_ex(NULL, NULL, 0, &n) && 0);
    ERR_clear_error();
    SSL_free(plain);
    SSL_CTX_free(tls);
}

static void test_accepted_connection_reports_listener_and_version(void **state)
{
    server sv;
    SSL_CTX *ctx;
    SSL *c;
    int fd;
    size_t w;
    char buf[16];

    (void)state;
    assert_int_equal(start_server(&sv, 1, SSL_LISTENER_FLAG_NO_VALIDATE), 0);
    ctx = client_ctx();
    c = client_connect(ctx, &sv, &fd);
    assert_int_equal(SSLQ_version(c), OSSL_QUIC1_VERSION);
    assert_string_equal(SSLQ_get_version(c), "QUICv1");
    assert_null(SSLQ_get0_listener(c)); /* a plain client has none */
    assert_true(SSLQ_is_connection(c));
    assert_false(SSLQ_is_server(c));
    assert_true(SSLQ_write_ex2(c, "x", 1, SSL_WRITE_FLAG_CONCLUDE, &w));
    while (SSLQ_read_ex(c, buf, sizeof(buf), &w))
        ;
    assert_int_equal(SSLQ_get_error(c, 0), SSL_ERROR_ZERO_RETURN);
    assert_int_equal(SSLQ_shutdown(c), 1);
    SSLQ_free(c);
    close(fd);
    SSL_CTX_free(ctx);
    stop_server(&sv);
    assert_int_equal(sv.failures, 0);
}

static int setup(void **state)
{
    (void)state;
    pki = sslq_test_pki_new(0, 0);
    return pki ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sslq_test_pki_free(pki);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocking_echo_one_byte),
        cmocka_unit_test(test_blocking_echo_one_mebibyte),
        cmocka_unit_test(test_listener_refuses_data_calls),
        cmocka_unit_test(test_null_and_wrong_objects_fail_cleanly),
        cmocka_unit_test(test_accepted_connection_reports_listener_and_version),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
