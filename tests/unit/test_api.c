/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public API end to end: a blocking listener served by one thread, and
 * clients made with the SSLQ_ calls in the test's thread, over loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <openssl/err.h>

#include "helper_net.h"
#include "helper_pki.h"
#include "object.h"
#include "sslquic/sslquic.h"

static const unsigned char alpn[] = {4, 't', 'e', 's', 't'};

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
    if ((sv->ctx = sslq_test_server_ctx(pki, alpn)) == NULL ||
        (sv->listener = sslq_test_listen(sv->ctx, flags, &sv->fd,
                                         &sv->addr)) == NULL)
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
    SSL_CTX *ctx = sslq_test_client_ctx(pki);

    assert_non_null(ctx);
    return ctx;
}

static SSL *client_connect(SSL_CTX *ctx, const server *sv, int *fd)
{
    SSL *c = sslq_test_client(ctx, &sv->addr, alpn, 0, fd);

    assert_non_null(c);
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

/* Reads the echo to its end, closes the client and stops the server. */
static void finish_echo_client(SSL *c, int fd, SSL_CTX *ctx, server *sv)
{
    unsigned char buf[64];
    size_t n;

    while (SSLQ_read_ex(c, buf, sizeof(buf), &n))
        ;
    assert_int_equal(SSLQ_shutdown(c), 1);
    SSLQ_free(c);
    close(fd);
    SSL_CTX_free(ctx);
    stop_server(sv);
}

/* After an exchange settles, the next timer of an idle connection is its
 * keep-alive, seconds away: no pacing or acknowledgement time left in the
 * past, which would make an application's event loop spin. */
static void test_idle_connection_timer_is_not_due(void **state)
{
    server sv;
    SSL_CTX *ctx;
    SSL *c;
    int fd, inf = 1;
    unsigned char buf[8];
    size_t n, got = 0;
    struct timeval tv;
    uint64_t t0;

    (void)state;
    assert_int_equal(start_server(&sv, 1, 0), 0);
    ctx = client_ctx();
    c = client_connect(ctx, &sv, &fd);
    assert_true(SSLQ_write_ex(c, "ping", 4, &n));
    while (got < 4 && SSLQ_read_ex(c, buf + got, sizeof(buf) - got, &n))
        got += n;
    assert_int_equal(got, 4);
    t0 = sslq_now();
    while (sslq_now() - t0 < 300000000ULL) { /* 300 ms of idling */
        assert_true(SSLQ_handle_events(c));
        usleep(10000);
    }
    assert_true(SSLQ_get_event_timeout(c, &tv, &inf));
    assert_false(inf);
    assert_true(tv.tv_sec >= 1);
    assert_true(SSLQ_stream_conclude(c, 0));
    finish_echo_client(c, fd, ctx, &sv);
    assert_int_equal(sv.failures, 0);
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
    {
        /* Terminated: EC and ECD hold, but only what is asked is said. */
        SSL_POLL_ITEM it = {SSLQ_as_poll_descriptor(c), SSL_POLL_EVENT_R, 0};
        struct timeval zero = {0, 0};
        size_t nready = 99;

        assert_true(SSLQ_poll(&it, 1, sizeof(it), &zero, 0, &nready));
        assert_int_equal(it.revents, 0);
        assert_int_equal(nready, 0);
        it.events = SSL_POLL_EVENT_EC | SSL_POLL_EVENT_ECD;
        assert_true(SSLQ_poll(&it, 1, sizeof(it), &zero, 0, &nready));
        assert_int_equal(it.revents, SSL_POLL_EVENT_EC | SSL_POLL_EVENT_ECD);
        assert_int_equal(nready, 1);
    }
    SSLQ_free(c);
    close(fd);
    SSL_CTX_free(ctx);
    stop_server(&sv);
    assert_int_equal(sv.failures, 0);
}

/* ---- threads: one thread accepts while others read and write ------------ */

typedef struct conn_job {
    SSL *conn;
    int ok;
} conn_job;

static void *serve_one(void *arg)
{
    conn_job *j = arg;
    unsigned char buf[16384];
    size_t n, w;

    j->ok = 1;
    while (SSLQ_read_ex(j->conn, buf, sizeof(buf), &n))
        if (!SSLQ_write_ex(j->conn, buf, n, &w) || w != n)
            j->ok = 0;
    if (SSLQ_get_error(j->conn, 0) != SSL_ERROR_ZERO_RETURN ||
        !SSLQ_stream_conclude(j->conn, 0) || SSLQ_shutdown(j->conn) != 1)
        j->ok = 0;
    SSLQ_free(j->conn);
    return NULL;
}

enum { NTHREADS = 8, PAYLOAD = 48 * 1024 };

typedef struct threaded_server {
    server sv;
    pthread_t workers[NTHREADS];
    conn_job jobs[NTHREADS];
} threaded_server;

static void *accept_loop(void *arg)
{
    threaded_server *ts = arg;

    for (int i = 0; i < NTHREADS; i++) {
        ts->jobs[i].conn = SSLQ_accept_connection(ts->sv.listener, 0);
        if (ts->jobs[i].conn == NULL)
            break;
        pthread_create(&ts->workers[i], NULL, serve_one, &ts->jobs[i]);
    }
    return NULL;
}

typedef struct client_job {
    const server *sv;
    SSL_CTX *ctx;
    int ok;
} client_job;

static void *client_run(void *arg)
{
    client_job *cj = arg;
    unsigned char out[PAYLOAD], in[PAYLOAD + 1];
    size_t got = 0, n, w;
    int fd;
    SSL *c = client_connect(cj->ctx, cj->sv, &fd);

    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (unsigned char)(i ^ (uintptr_t)cj);
    cj->ok = SSLQ_write_ex2(c, out, sizeof(out), SSL_WRITE_FLAG_CONCLUDE, &w) &&
             w == sizeof(out);
    while (SSLQ_read_ex(c, in + got, sizeof(in) - got, &n))
        got += n;
    cj->ok = cj->ok && got == sizeof(out) && memcmp(in, out, got) == 0 &&
             SSLQ_get_error(c, 0) == SSL_ERROR_ZERO_RETURN;
    SSLQ_shutdown(c);
    SSLQ_free(c);
    close(fd);
    return NULL;
}

static void test_accept_thread_and_worker_threads_share_a_listener(void **state)
{
    threaded_server *ts = calloc(1, sizeof(*ts));
    pthread_t acceptor, clients[NTHREADS];
    client_job cj[NTHREADS];
    SSL_CTX *ctx;

    (void)state;
    /* The server's own thread is not used: the acceptor replaces it. */
    memset(&ts->sv, 0, sizeof(ts->sv));
    ts->sv.ctx = SSLQ_CTX_new(SSLQ_QUIC_server_method());
    assert_true(sslq_test_pki_use_server(ts->sv.ctx, pki));
    SSL_CTX_set_alpn_select_cb(ts->sv.ctx, sslq_test_select_alpn,
                               (void *)alpn);
    ts->sv.listener = SSLQ_new_listener(ts->sv.ctx, 0);
    ts->sv.fd = sslq_test_udp_socket(&ts->sv.addr, 1);
    assert_true(SSLQ_set_fd(ts->sv.listener, ts->sv.fd));
    assert_int_equal(pthread_create(&acceptor, NULL, accept_loop, ts), 0);
    ctx = client_ctx();
    for (int i = 0; i < NTHREADS; i++) {
        cj[i].sv = &ts->sv;
        cj[i].ctx = ctx;
        assert_int_equal(pthread_create(&clients[i], NULL, client_run, &cj[i]),
                         0);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(clients[i], NULL);
    pthread_join(acceptor, NULL);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(ts->workers[i], NULL);
        assert_true(cj[i].ok);
        assert_true(ts->jobs[i].ok);
    }
    SSLQ_free(ts->sv.listener);
    SSL_CTX_free(ts->sv.ctx);
    SSL_CTX_free(ctx);
    close(ts->sv.fd);
    free(ts);
}

/* ---- a client-only listener: many outgoing connections, one socket ------ */

static void test_client_only_listener_carries_ten_connections_on_one_socket(void **state)
{
    enum { N = 10 };
    server sv;
    SSL_CTX *ctx;
    SSL *l, *c[N];
    BIO_ADDR *peer = BIO_ADDR_new();
    struct sockaddr_in caddr;
    int cfd;
    unsigned char in[64];

    (void)state;
    assert_int_equal(start_server(&sv, N, 0), 0);
    ctx = client_ctx();
    l = SSLQ_new_listener(ctx, 0);
    assert_non_null(l);
    cfd = sslq_test_udp_socket(&caddr, 1);
    assert_true(SSLQ_set_fd(l, cfd));
    /* A client-only listener accepts nothing, at once. */
    assert_null(SSLQ_accept_connection(l, SSL_ACCEPT_CONNECTION_NO_BLOCK));
    assert_true(BIO_ADDR_rawmake(peer, AF_INET, &sv.addr.sin_addr, 4,
                                 sv.addr.sin_port));
    for (int i = 0; i < N; i++) {
        size_t w;

        c[i] = SSLQ_new_from_listener(l, 0);
        assert_non_null(c[i]);
        assert_ptr_equal(SSLQ_get0_listener(c[i]), l);
        assert_true(SSLQ_set1_initial_peer_addr(c[i], peer));
        assert_int_equal(SSLQ_set_alpn_protos(c[i], alpn, sizeof(alpn)), 0);
        assert_true(SSLQ_set1_host(c[i], "localhost"));
        assert_int_equal(SSLQ_connect(c[i]), 1);
        assert_false(SSLQ_is_server(c[i]));
        assert_int_equal(SSLQ_get_fd(l), cfd);
        assert_true(SSLQ_write_ex2(c[i], &i, sizeof(i), SSL_WRITE_FLAG_CONCLUDE,
                                   &w));
    }
    for (int i = 0; i < N; i++) {
        size_t n, got = 0;
        int v;

        while (SSLQ_read_ex(c[i], in + got, sizeof(in) - got, &n))
            got += n;
        assert_int_equal(got, sizeof(int));
        memcpy(&v, in, sizeof(v));
        assert_int_equal(v, i);
        assert_int_equal(SSLQ_shutdown(c[i]), 1);
        SSLQ_free(c[i]);
    }
    BIO_ADDR_free(peer);
    SSLQ_free(l);
    close(cfd);
    SSL_CTX_free(ctx);
    stop_server(&sv);
    assert_int_equal(sv.failures, 0);
    assert_int_equal(sv.served, N);
}

static void test_new_from_listener_refuses_flags_and_server_context_connect(void **state)
{
    SSL_CTX *ctx = SSLQ_CTX_new(SSLQ_QUIC_server_method());
    SSL *l = SSLQ_new_listener(ctx, 0), *c;

    (void)state;
    ERR_clear_error();
    assert_null(SSLQ_new_from_listener(l, 1));
    assert_int_equal(ERR_peek_error(), 0);
    c = SSLQ_new_from_listener(l, 0);
    assert_non_null(c);
    assert_true(SSLQ_is_server(c)); /* until it connects, as 3.5 says */
    assert_true(SSLQ_connect(c) <= 0);
    assert_int_equal(SSLQ_get_error(c, -1), SSL_ERROR_SSL);
    SSLQ_free(c);
    SSLQ_free(l);
    SSL_CTX_free(ctx);
    ERR_clear_error();
}

/* ---- a flood of Initials ------------------------------------------------- */

/* A well-formed client Initial (1200 bytes) whose protected payload is
 * noise: it passes every header check and fails only to decrypt. */
static void forged_initial(unsigned char *p, size_t len, unsigned seed)
{
    size_t i;

    for (i = 0; i < len; i++)
        p[i] = (unsigned char)((seed * 2654435761u) >> (i % 24)) ^ (unsigned char)i;
    p[0] = 0xc3;                      /* long header, Initial, 4-byte PN */
    p[1] = 0; p[2] = 0; p[3] = 0; p[4] = 1; /* QUIC v1 */
    p[5] = 8;                         /* DCID length */
    memcpy(p + 6, &seed, sizeof(seed));
    p[14] = 8;                        /* SCID length */
    p[23] = 0;                        /* no token */
    p[24] = 0x40 | (unsigned char)((len - 26) >> 8); /* 2-byte length */
    p[25] = (unsigned char)(len - 26);
}

/* Connections the listener's port holds now (internal counter: RSS says
 * nothing under ASan, whose quarantine keeps freed memory). */
static sslq_port_stats listener_stats(SSL *listener)
{
    sslq_port_stats st;

    sslq_port_get_stats(sslq_engine_port(sslq_obj_get(listener)->eng), &st);
    return st;
}

static uint64_t live_conns(SSL *listener)
{
    return listener_stats(listener).conns_live;
}

static void test_initial_flood_from_many_addresses_stays_under_pending_cap(void **state)
{
    enum { SOURCES = 50, PER_SOURCE = 60, CAP = 8 };
    server sv;
    SSL_CTX *ctx;
    SSL *c;
    int socks[SOURCES], fd;
    unsigned char pkt[1200];
    uint64_t most = 0;
    size_t w, n, got = 0;
    uint64_t v = 0;
    char in[8];

    (void)state;
    /* The serving thread starts only after the flood. */
    memset(&sv, 0, sizeof(sv));
    sv.conns = 1;
    sv.ctx = SSLQ_CTX_new(SSLQ_QUIC_server_method());
    assert_true(sslq_test_pki_use_server(sv.ctx, pki));
    SSL_CTX_set_alpn_select_cb(sv.ctx, sslq_test_select_alpn,
                               (void *)alpn);
    sv.listener = SSLQ_new_listener(sv.ctx, SSL_LISTENER_FLAG_NO_VALIDATE);
    sv.fd = sslq_test_udp_socket(&sv.addr, 1);
    assert_true(SSLQ_set_fd(sv.listener, sv.fd));
    assert_true(SSLQ_set_value_uint(sv.listener, SSL_VALUE_CLASS_GENERIC,
                                    SSL_VALUE_QUIC_MAX_PENDING_CONNS, CAP));
    assert_true(SSLQ_get_value_uint(sv.listener, SSL_VALUE_CLASS_GENERIC,
                                    SSL_VALUE_QUIC_MAX_PENDING_CONNS, &v));
    assert_int_equal(v, CAP);
    assert_true(SSLQ_listen(sv.listener));
    for (int i = 0; i < SOURCES; i++) {
        struct sockaddr_in a = {0};

        socks[i] = socket(AF_INET, SOCK_DGRAM, 0);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)i); /* 127.0.0.2+ */
        assert_int_equal(bind(socks[i], (struct sockaddr *)&a, sizeof(a)), 0);
    }
    for (int r = 0; r < PER_SOURCE; r++) {
        for (int i = 0; i < SOURCES; i++) {
            forged_initial(pkt, sizeof(pkt), (unsigned)(r * SOURCES + i + 1));
            sendto(socks[i], pkt, sizeof(pkt), 0,
                   (struct sockaddr *)&sv.addr, sizeof(sv.addr));
        }
        for (int k = 0; k < 4; k++) {
            assert_true(SSLQ_handle_events(sv.listener));
            if (live_conns(sv.listener) > most)
                most = live_conns(sv.listener);
        }
    }
    for (int k = 0; k < 50; k++)
        assert_true(SSLQ_handle_events(sv.listener));
    /* Each forged Initial cost a connection that failed to decrypt and was
     * reclaimed at once: never more than the cap alive, none left over. */
    print_message("flood: %d Initials from %d addresses, %llu connections "
                  "made, at most %llu alive, %llu after\n",
                  SOURCES * PER_SOURCE, SOURCES,
                  (unsigned long long)listener_stats(sv.listener).conns_created,
                  (unsigned long long)most,
                  (unsigned long long)live_conns(sv.listener));
    assert_true(listener_stats(sv.listener).conns_created >= SOURCES);
    assert_true(most <= CAP);
    assert_int_equal(live_conns(sv.listener), 0);
    assert_int_equal(SSLQ_get_accept_connection_queue_len(sv.listener), 0);
    for (int i = 0; i < SOURCES; i++)
        close(socks[i]);

    /* The cap was not used up by the dead: a real client still gets in. */
    assert_int_equal(pthread_create(&sv.thread, NULL, serve, &sv), 0);
    ctx = client_ctx();
    c = client_connect(ctx, &sv, &fd);
    assert_true(SSLQ_write_ex2(c, "ok", 2, SSL_WRITE_FLAG_CONCLUDE, &w));
    while (SSLQ_read_ex(c, in + got, sizeof(in) - got, &n))
        got += n;
    assert_int_equal(got, 2);
    assert_int_equal(SSLQ_shutdown(c), 1);
    SSLQ_free(c);
    close(fd);
    SSL_CTX_free(ctx);
    stop_server(&sv);
    assert_int_equal(sv.failures, 0);
}

/* Real clients from many addresses complete their handshakes and are never
 * accepted: the listener holds at most the cap, refuses the rest with
 * CONNECTION_REFUSED, and keeps the ones it holds for SSL_accept_connection. */
static void test_unaccepted_clients_beyond_pending_cap_are_refused(void **state)
{
    /* The queue holds CAP; handshakes in flight may reach 4 x CAP more, so
     * 60 clients at once are more than the listener may take. */
    enum { SOURCES = 12, PER_SOURCE = 5, CAP = 8, N = SOURCES * PER_SOURCE,
           MOST = 5 * CAP };
    SSL_CTX *sctx, *cctx;
    SSL *l, *cl[SOURCES], *c[N];
    int lfd, cfd[SOURCES], established = 0, refused = 0, other = 0;
    struct sockaddr_in laddr;
    BIO_ADDR *peer = BIO_ADDR_new();
    uint64_t most = 0;

    (void)state;
    sctx = sslq_test_server_ctx(pki, alpn);
    assert_non_null(sctx);
    l = SSLQ_new_listener(sctx, 0);
    lfd = sslq_test_udp_socket(&laddr, 1);
    assert_true(SSLQ_set_fd(l, lfd));
    assert_true(SSLQ_set_value_uint(l, SSL_VALUE_CLASS_GENERIC,
                                    SSL_VALUE_QUIC_MAX_PENDING_CONNS, CAP));
    assert_true(SSLQ_listen(l));
    assert_true(BIO_ADDR_rawmake(peer, AF_INET, &laddr.sin_addr, 4,
                                 laddr.sin_port));
    cctx = client_ctx();
    for (int i = 0; i < SOURCES; i++) {
        struct sockaddr_in a = {0};

        cl[i] = SSLQ_new_listener(cctx, 0); /* client-only: one socket each */
        cfd[i] = socket(AF_INET, SOCK_DGRAM, 0);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(0x7f000040u + (uint32_t)i); /* 127.0.0.64+ */
        assert_int_equal(bind(cfd[i], (struct sockaddr *)&a, sizeof(a)), 0);
        assert_true(SSLQ_set_fd(cl[i], cfd[i]));
        for (int j = 0; j < PER_SOURCE; j++) {
            SSL *x = c[i * PER_SOURCE + j] = SSLQ_new_from_listener(cl[i], 0);

            assert_true(SSLQ_set_blocking_mode(x, 0));
            assert_true(SSLQ_set1_initial_peer_addr(x, peer));
            assert_int_equal(SSLQ_set_alpn_protos(x, alpn, sizeof(alpn)), 0);
            assert_true(SSLQ_set1_host(x, "localhost"));
        }
    }
    /* Drive everything until every client knows its fate (bounded). */
    for (int round = 0; round < 4000 && established + refused + other < N;
         round++) {
        established = refused = other = 0;
        assert_true(SSLQ_handle_events(l));
        for (int k = 0; k < N; k++) {
            int r = SSLQ_connect(c[k]);

            if (r == 1)
                established++;
            else if (SSLQ_get_error(c[k], r) != SSL_ERROR_WANT_READ) {
                SSL_CONN_CLOSE_INFO ci;

                if (SSLQ_get_conn_close_info(c[k], &ci, sizeof(ci)) == 1 &&
                    (ci.flags & SSL_CONN_CLOSE_FLAG_TRANSPORT) &&
                    !(ci.flags & SSL_CONN_CLOSE_FLAG_LOCAL) &&
                    ci.error_code == OSSL_QUIC_ERR_CONNECTION_REFUSED)
                    refused++;
                else
                    other++;
            }
        }
        if (live_conns(l) > most)
            most = live_conns(l);
        usleep(1000);
    }
    print_message("cap %d: %d established, %d refused, %d other, at most "
                  "%llu held\n",
                  CAP, established, refused, other, (unsigned long long)most);
    assert_int_equal(established + refused, N);
    assert_int_equal(other, 0);
    assert_true(established >= CAP);
    assert_true(refused >= N - MOST);
    assert_true(most <= MOST);
    /* The server completes each handshake a moment after its client; every
     * established client ends up in the queue, nothing else does. */
    for (int round = 0; round < 2000 &&
                        SSLQ_get_accept_connection_queue_len(l) <
                            (size_t)established;
         round++) {
        assert_true(SSLQ_handle_events(l));
        for (int k = 0; k < N; k++)
            (void)SSLQ_handle_events(c[k]);
        usleep(1000);
    }
    assert_int_equal(SSLQ_get_accept_connection_queue_len(l), established);
    for (int k = 0; k < N; k++)
        SSLQ_free(c[k]);
    for (int i = 0; i < SOURCES; i++) {
        SSLQ_free(cl[i]);
        close(cfd[i]);
    }
    SSLQ_free(l);
    close(lfd);
    BIO_ADDR_free(peer);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* ---- thread assistance, explicit event handling, a slow reader ---------- */

/* A server whose idle timeout is 1 s; the connection idles 2.5 s. */
static int idle_then_echo(const SSL_METHOD *client_method)
{
    server sv;
    SSL_CTX *ctx;
    SSL *c;
    int fd, ok;
    size_t w, n, got = 0;
    char in[8];

    memset(&sv, 0, sizeof(sv));
    sv.conns = 1;
    sv.ctx = SSLQ_CTX_new(SSLQ_QUIC_server_method());
    assert_true(sslq_test_pki_use_server(sv.ctx, pki));
    SSL_CTX_set_alpn_select_cb(sv.ctx, sslq_test_select_alpn,
                               (void *)alpn);
    sv.listener = SSLQ_new_listener(sv.ctx, 0);
    sv.fd = sslq_test_udp_socket(&sv.addr, 1);
    assert_true(SSLQ_set_fd(sv.listener, sv.fd));
    assert_true(SSLQ_set_value_uint(sv.listener, SSL_VALUE_CLASS_GENERIC,
                                    SSL_VALUE_QUIC_IDLE_TIMEOUT, 1000));
    assert_int_equal(pthread_create(&sv.thread, NULL, serve, &sv), 0);
    ctx = SSLQ_CTX_new(client_method);
    assert_true(sslq_test_pki_trust(ctx, pki->ca));
    c = client_connect(ctx, &sv, &fd);
    /* The behaviour under test is what happens while nobody calls in. */
    usleep(2500 * 1000);
    ok = SSLQ_write_ex2(c, "hi", 2, SSL_WRITE_FLAG_CONCLUDE, &w);
    while (ok && SSLQ_read_ex(c, in + got, sizeof(in) - got, &n))
        got += n;
    ok = ok && got == 2 && memcmp(in, "hi", 2) == 0;
    SSLQ_free(c);
    close(fd);
    SSL_CTX_free(ctx);
    pthread_join(sv.thread, NULL);
    SSLQ_free(sv.listener);
    SSL_CTX_free(sv.ctx);
    close(sv.fd);
    return ok;
}

static void test_thread_assisted_client_stays_alive_while_idle(void **state)
{
    (void)state;
    assert_true(idle_then_echo(SSLQ_QUIC_client_thread_method()));
}

static void test_plain_client_idle_past_timeout_loses_connection(void **state)
{
    (void)state;
    ERR_clear_error();
    assert_false(idle_then_echo(SSLQ_QUIC_client_method()));
    ERR_clear_error();
}

static void test_explicit_event_mode_waits_for_handle_events(void **state)
{
    server sv;
    SSL_CTX *ctx;
    SSL *c = NULL;
    int fd, r = 0;

    (void)state;
    assert_int_equal(start_server(&sv, 1, 0), 0);
    ctx = client_ctx();
    c = sslq_test_client(ctx, &sv.addr, alpn, 0, &fd);
    assert_non_null(c);
    assert_true(SSLQ_set_blocking_mode(c, 0));
    assert_true(SSLQ_set_event_handling_mode(
        c, SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT));
    /* Without SSL_handle_events nothing goes out: the calls only ask. */
    for (int i = 0; i < 50; i++) {
        assert_int_equal(SSLQ_connect(c), -1);
        assert_int_equal(SSLQ_get_error(c, -1), SSL_ERROR_WANT_READ);
        usleep(2000);
    }
    assert_int_equal(SSLQ_get_accept_connection_queue_len(sv.listener), 0);
    for (int i = 0; i < 2000 && r != 1; i++) {
        assert_true(SSLQ_handle_events(c));
        r = SSLQ_connect(c);
        usleep(1000);
    }
    assert_int_equal(r, 1);
    /* Finish the echo the server thread waits for, so it ends now rather
     * than at its idle timeout. */
    {
        char buf[16];
        size_t w;

        assert_true(SSLQ_set_event_handling_mode(
            c, SSL_VALUE_EVENT_HANDLING_MODE_IMPLICIT));
        assert_true(SSLQ_set_blocking_mode(c, 1));
        assert_true(SSLQ_write_ex2(c, "x", 1, SSL_WRITE_FLAG_CONCLUDE, &w));
        while (SSLQ_read_ex(c, buf, sizeof(buf), &w))
            ;
        assert_int_equal(SSLQ_get_error(c, 0), SSL_ERROR_ZERO_RETURN);
        assert_int_equal(SSLQ_shutdown(c), 1);
    }
    SSLQ_free(c);
    close(fd);
    SSL_CTX_free(ctx);
    pthread_join(sv.thread, NULL);
    SSLQ_free(sv.listener);
    SSL_CTX_free(sv.ctx);
    close(sv.fd);
}

/* The sender's buffer stays capped while the reader does not read, and the
 * transfer completes intact once it does. */
typedef struct slow_ctx {
    server sv;
    SSL *conn;
    size_t total, written;
    uint64_t most_used, size;
    int ok;
    const char *why; /* where it failed */
    int err;
} slow_ctx;

static void *slow_sender(void *arg)
{
    slow_ctx *x = arg;
    unsigned char buf[16384];
    size_t w;
    uint64_t used;

    x->conn = SSLQ_accept_connection(x->sv.listener, 0);
    if (x->conn == NULL)
        return NULL;
    /* Read the client's first bytes so that the answer goes on its stream
     * (writing first would open a stream of the server's own). */
    if (!SSLQ_read_ex(x->conn, buf, 2, &w) || w != 2)
        return NULL;
    assert_true(SSLQ_set_blocking_mode(x->conn, 0));
    x->ok = 1;
    while (x->written < x->total) {
        size_t n = x->total - x->written < sizeof(buf) ? x->total - x->written
                                                       : sizeof(buf);

        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)((x->written + i) * 13);
        if (SSLQ_write_ex(x->conn, buf, n, &w)) {
            x->written += w;
        } else if (SSLQ_get_error(x->conn, 0) == SSL_ERROR_WANT_WRITE) {
            usleep(1000);
            /* The repeat call must carry the same bytes: the state of an
             * unfinished write is kept by the library. */
        } else {
            x->ok = 0;
            SSL_CONN_CLOSE_INFO ci;

            x->why = "write";
            x->err = SSLQ_get_error(x->conn, 0);
            if (SSLQ_get_conn_close_info(x->conn, &ci, sizeof(ci)) == 1)
                print_message("sender's connection closed: code 0x%llx "
                              "flags %u reason %.*s\n",
                              (unsigned long long)ci.error_code, ci.flags,
                              (int)ci.reason_len,
                              ci.reason ? ci.reason : "");
            ERR_print_errors_fp(stderr);
            break;
        }
        if (SSLQ_get_stream_write_buf_used(x->conn, &used) && used > x->most_used)
            x->most_used = used;
    }
    (void)SSLQ_get_stream_write_buf_size(x->conn, &x->size);
    assert_true(SSLQ_set_blocking_mode(x->conn, 1));
    if (!x->ok) {
        SSLQ_free(x->conn);
        return NULL;
    }
    if (!SSLQ_stream_conclude(x->conn, 0)) {
        x->ok = 0;
        x->why = "conclude";
    } else if ((x->err = SSLQ_shutdown(x->conn)) != 1) {
        x->ok = 0;
        x->why = "shutdown";
    }
    SSLQ_free(x->conn);
    return NULL;
}

static void test_slow_reader_caps_sender_buffer_and_loses_nothing(void **state)
{
    slow_ctx *x = calloc(1, sizeof(*x));
    SSL_CTX *ctx;
    SSL *c;
    int fd;
    size_t w, n, got = 0;
    unsigned char *in;

    (void)state;
    x->total = 24 * 1024 * 1024;
    in = malloc(x->total + 1);
    memset(&x->sv, 0, sizeof(x->sv));
    x->sv.ctx = SSLQ_CTX_new(SSLQ_QUIC_server_method());
    assert_true(sslq_test_pki_use_server(x->sv.ctx, pki));
    SSL_CTX_set_alpn_select_cb(x->sv.ctx, sslq_test_select_alpn,
                               (void *)alpn);
    x->sv.listener = SSLQ_new_listener(x->sv.ctx, 0);
    x->sv.fd = sslq_test_udp_socket(&x->sv.addr, 1);
    assert_true(SSLQ_set_fd(x->sv.listener, x->sv.fd));
    assert_int_equal(pthread_create(&x->sv.thread, NULL, slow_sender, x), 0);
    ctx = client_ctx();
    c = client_connect(ctx, &x->sv, &fd);
    /* Open the stream the server answers on, then stop reading a while. */
    assert_true(SSLQ_write_ex(c, "go", 2, &w));
    usleep(1500 * 1000);
    while (SSLQ_read_ex(c, in + got, x->total + 1 - got, &n))
        got += n;
    pthread_join(x->sv.thread, NULL);
    if (!x->ok)
        fail_msg("sender failed at %s (%d) after %zu bytes", x->why, x->err,
                 x->written);
    assert_int_equal(got, x->total);
    for (size_t i = 0; i < got; i++)
        if (in[i] != (unsigned char)(i * 13))
            fail_msg("byte %zu differs", i);
    print_message("slow reader: send buffer %llu, at most %llu used\n",
                  (unsigned long long)x->size,
                  (unsigned long long)x->most_used);
    assert_true(x->size > 0);
    assert_true(x->most_used <= x->size);
    SSLQ_free(c);
    close(fd);
    SSL_CTX_free(ctx);
    SSLQ_free(x->sv.listener);
    SSL_CTX_free(x->sv.ctx);
    close(x->sv.fd);
    free(in);
    free(x);
}

/* ---- callbacks before acceptance see no listener ------------------------ */

static int listener_seen_in_callback = -1;

static int alpn_checking_listener(SSL *ssl, const unsigned char **out,
                                  unsigned char *outlen,
                                  const unsigned char *in, unsigned int inlen,
                                  void *arg)
{
    listener_seen_in_callback = SSLQ_get0_listener(ssl) != NULL;
    return sslq_test_select_alpn(ssl, out, outlen, in, inlen, (void *)alpn);
}

static void test_get0_listener_is_null_in_callbacks_before_accept(void **state)
{
    server sv;
    SSL_CTX *ctx;
    SSL *c;
    int fd;
    size_t w;

    (void)state;
    assert_int_equal(start_server(&sv, 1, 0), 0);
    SSL_CTX_set_alpn_select_cb(sv.ctx, alpn_checking_listener, NULL);
    ctx = client_ctx();
    c = client_connect(ctx, &sv, &fd);
    assert_true(SSLQ_write_ex2(c, "x", 1, SSL_WRITE_FLAG_CONCLUDE, &w));
    finish_echo_client(c, fd, ctx, &sv);
    assert_int_equal(listener_seen_in_callback, 0);
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

/* Whether a client's handshake completes while the server application calls
 * nothing at all, its listener made from a domain with |domain_flags|. */
static int handshake_while_server_is_away(uint64_t domain_flags)
{
    SSL_CTX *sctx = sslq_test_server_ctx(pki, alpn), *cctx;
    SSL *domain, *listener, *c, *accepted;
    struct sockaddr_in saddr;
    int sfd, cfd, r = 0;
    uint64_t flags = 0;

    assert_non_null(sctx);
    domain = SSLQ_new_domain(sctx, domain_flags);
    assert_non_null(domain);
    listener = SSLQ_new_listener_from(domain, 0);
    assert_non_null(listener);
    assert_true(SSLQ_get_domain_flags(listener, &flags));
    assert_true((flags & SSL_DOMAIN_FLAG_THREAD_ASSISTED) ==
                (domain_flags & SSL_DOMAIN_FLAG_THREAD_ASSISTED));
    sfd = sslq_test_udp_socket(&saddr, 1);
    assert_true(sfd >= 0);
    assert_true(SSLQ_set_fd(listener, sfd));
    assert_true(SSLQ_listen(listener));

    cctx = client_ctx();
    c = sslq_test_client(cctx, &saddr, alpn, 0, &cfd);
    assert_non_null(c);
    assert_true(SSLQ_set_blocking_mode(c, 0));
    /* Only the client is driven; the server side is left to itself. */
    for (int i = 0; i < 300 && r != 1; i++) {
        r = SSLQ_connect(c);
        if (r != 1)
            usleep(10000);
    }
    if (r == 1) {
        accepted = SSLQ_accept_connection(listener,
                                          SSL_ACCEPT_CONNECTION_NO_BLOCK);
        assert_non_null(accepted);
        SSLQ_free(accepted);
    }
    ERR_clear_error();
    SSLQ_free(c);
    close(cfd);
    SSL_CTX_free(cctx);
    SSLQ_free(listener);
    SSLQ_free(domain);
    close(sfd);
    SSL_CTX_free(sctx);
    return r == 1;
}

static void test_thread_assisted_domain_handshakes_while_server_is_away(void **state)
{
    (void)state;
    assert_true(handshake_while_server_is_away(
        SSL_DOMAIN_FLAG_MULTI_THREAD | SSL_DOMAIN_FLAG_THREAD_ASSISTED));
}

static void test_plain_domain_does_nothing_between_calls(void **state)
{
    (void)state;
    assert_false(handshake_while_server_is_away(SSL_DOMAIN_FLAG_MULTI_THREAD));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocking_echo_one_byte),
        cmocka_unit_test(test_idle_connection_timer_is_not_due),
        cmocka_unit_test(test_blocking_echo_one_mebibyte),
        cmocka_unit_test(test_listener_refuses_data_calls),
        cmocka_unit_test(test_null_and_wrong_objects_fail_cleanly),
        cmocka_unit_test(test_accepted_connection_reports_listener_and_version),
        cmocka_unit_test(test_accept_thread_and_worker_threads_share_a_listener),
        cmocka_unit_test(
            test_client_only_listener_carries_ten_connections_on_one_socket),
        cmocka_unit_test(
            test_new_from_listener_refuses_flags_and_server_context_connect),
        cmocka_unit_test(
            test_initial_flood_from_many_addresses_stays_under_pending_cap),
        cmocka_unit_test(test_get0_listener_is_null_in_callbacks_before_accept),
        cmocka_unit_test(test_unaccepted_clients_beyond_pending_cap_are_refused),
        cmocka_unit_test(test_thread_assisted_client_stays_alive_while_idle),
        cmocka_unit_test(test_plain_client_idle_past_timeout_loses_connection),
        cmocka_unit_test(test_explicit_event_mode_waits_for_handle_events),
        cmocka_unit_test(test_slow_reader_caps_sender_buffer_and_loses_nothing),
        cmocka_unit_test(
            test_thread_assisted_domain_handshakes_while_server_is_away),
        cmocka_unit_test(test_plain_domain_does_nothing_between_calls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
