/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Misuse of the public API (issue 8): every function of <sslquic/sslquic.h>
 * called with NULL, with an object of the wrong kind (listener, domain,
 * client connection, stream, plain TLS SSL), and in the freed-and-reused
 * orders the API allows.  Each call must return its documented failure
 * value and, where the page says so, queue a reason of sslquic's library;
 * on a plain TLS object a libssl twin must answer exactly as libssl does.
 *
 * The tables are one per signature shape.  A coverage table built from
 * tests/tools/quic_functions.h counts the functions exercised, and the last
 * test fails if the header gains a function that no case here calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
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
#include "sslquic/sslquic.h"
#include "sslquic/version.h"

/* ---- coverage: one slot per function of the X-macro list ----------------- */

#define SSLQ_METHOD(n) X(QUIC_##n)
#define SSLQ_FN30(n) X(n)
#define SSLQ_FN35(n) X(n)
#define SSLQ_MACRO35(n) X(n)
/* sslquic's own names, outside the OpenSSL list */
#define SSLQ_OWN X(get_err_lib) X(library_version) X(set_tlsext_host_name)

enum fn_id {
#define X(n) F_##n,
#include "../tools/quic_functions.h"
    SSLQ_OWN F_COUNT
#undef X
};

static const char *const fn_names[F_COUNT] = {
#define X(n) "SSLQ_" #n,
#include "../tools/quic_functions.h"
    SSLQ_OWN
#undef X
};

static unsigned hits[F_COUNT];
static unsigned ncalls, mismatches;
#define HIT(n) (hits[F_##n]++, ncalls++)

/* ---- the objects misused -------------------------------------------------- */

enum kind { K_NULL, K_LIS, K_DOM, K_CONN, K_STREAM, K_PLAIN, NK };
static const char *const kind_names[NK + 1] = {
    "NULL", "listener", "domain", "connection", "stream", "plain TLS", "call"};

typedef struct world {
    SSL_CTX *sctx, *cctx, *tctx;
    SSL *l, *ac, *c, *st, *d, *p;
    int sfd, cfd;
    struct sockaddr_in addr;
} world;

static sslq_test_pki *pki;
static world W;
static const unsigned char alpn[] = {4, 't', 'e', 's', 't'};

static BIO_ADDR *listener_addr(const world *w)
{
    BIO_ADDR *a = BIO_ADDR_new();

    assert_true(BIO_ADDR_rawmake(a, AF_INET, &w->addr.sin_addr, 4,
                                 w->addr.sin_port));
    return a;
}

static void *accept_one(void *arg)
{
    world *w = arg;

    w->ac = SSLQ_accept_connection(w->l, 0);
    return NULL;
}

/* A listener on a loopback socket, a client connected to it (non-blocking
 * from then on) with its default stream and one more stream, the accepted
 * server side, a domain and a plain TLS object. */
static int world_setup(void **state)
{
    world *w = &W;
    pthread_t t;
    size_t n;

    (void)state;
    memset(w, 0, sizeof(*w));
    w->sctx = sslq_test_server_ctx(pki, alpn);
    assert_non_null(w->sctx);
    w->l = sslq_test_listen(w->sctx, 0, &w->sfd, &w->addr);
    assert_non_null(w->l);
    assert_int_equal(pthread_create(&t, NULL, accept_one, w), 0);

    w->cctx = sslq_test_client_ctx(pki);
    assert_non_null(w->cctx);
    w->c = sslq_test_client(w->cctx, &w->addr, alpn, 0, &w->cfd);
    assert_non_null(w->c);
    assert_int_equal(SSLQ_connect(w->c), 1);
    pthread_join(t, NULL);
    assert_non_null(w->ac);

    assert_true(SSLQ_set_blocking_mode(w->c, 0));
    assert_true(SSLQ_set_blocking_mode(w->ac, 0));
    assert_true(SSLQ_write_ex(w->c, "x", 1, &n)); /* opens the default stream */
    w->st = SSLQ_new_stream(w->c, SSL_STREAM_FLAG_NO_BLOCK);
    assert_non_null(w->st);
    assert_true(SSLQ_set_blocking_mode(w->st, 0));
    w->d = SSLQ_new_domain(w->sctx, 0);
    assert_non_null(w->d);
    w->tctx = SSL_CTX_new(TLS_client_method());
    w->p = SSL_new(w->tctx);
    assert_non_null(w->p);
    ERR_clear_error();
    return 0;
}

static int world_teardown(void **state)
{
    world *w = &W;

    (void)state;
    SSLQ_free(w->st);
    SSLQ_free(w->c);
    SSLQ_free(w->ac);
    SSLQ_free(w->l);
    SSLQ_free(w->d);
    SSL_free(w->p);
    SSL_CTX_free(w->sctx);
    SSL_CTX_free(w->cctx);
    SSL_CTX_free(w->tctx);
    if (w->sfd >= 0)
        close(w->sfd);
    close(w->cfd);
    ERR_clear_error();
    return 0;
}

static SSL *obj(enum kind k)
{
    SSL *o[NK] = {NULL, W.l, W.d, W.c, W.st, W.p};

    return o[k];
}

/* ---- checking one result -------------------------------------------------- */

/* Expected values: a number, or one of these. */
#define SKIP INT_MIN      /* the right kind, or a call that would change it */
#define ANY (INT_MIN + 1) /* anything, as long as it does not crash */
#define LE0 (INT_MIN + 2) /* failure of a 1 / 0 / -1 call */
#define LIB (INT_MIN + 3) /* what libssl's function of the same name says */
#define NN (INT_MIN + 4)  /* a pointer result: non-NULL */

static void mismatch(const char *fn, enum kind k, const char *fmt, ...)
{
    va_list ap;
    char msg[256];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("MISUSE %s on %s: %s\n", fn, kind_names[k], msg);
    mismatches++;
}

/* Error expectation: 'q' sslquic's library queued, 's' libssl's, 'e' either,
 * '-' nothing queued, '.' not checked.  Clears the queue. */
static void check_err(const char *fn, enum kind k, char want)
{
    unsigned long e = ERR_peek_error();
    int lib = ERR_GET_LIB(e);

    if ((want == 'q' && (e == 0 || lib != SSLQ_get_err_lib())) ||
        (want == 's' && (e == 0 || lib != ERR_LIB_SSL)) ||
        (want == 'e' && e == 0) || (want == '-' && e != 0))
        mismatch(fn, k, "error queue: want '%c', have lib %d \"%s\"", want,
                 lib, e ? ERR_reason_error_string(e) : "-");
    ERR_clear_error();
}

static void check_int(const char *fn, enum kind k, long want, long have)
{
    if (want == ANY || (want == LE0 && have <= 0) || (want == NN && have))
        return;
    if (want != have)
        mismatch(fn, k, "returned %ld, want %ld", have, want);
}

/* One direct call: counted, its result and error queue checked. */
#define CALL(n, want, call, err)                                               \
    do {                                                                       \
        HIT(n);                                                                \
        check_int("SSLQ_" #call, NK, (want), (long)(SSLQ_##call));             \
        check_err("SSLQ_" #call, NK, (err));                                   \
    } while (0)

/* ---- shape: int f(SSL *) -------------------------------------------------- */

typedef struct irow {
    enum fn_id id;
    int (*q)(SSL *), (*l)(SSL *); /* sslquic's, libssl's (or NULL) */
    int want[NK];
    const char *err; /* one char per kind */
} irow;

#define WQ(n, call) static int q_##n(SSL *s) { return (int)(SSLQ_##call); }
#define WL(n, call)                                                            \
    WQ(n, call) static int l_##n(SSL *s) { return (int)(SSL_##call); }

static struct timeval tv;
static int inf;
static uint64_t u64;
static BIO_POLL_DESCRIPTOR pd;
static SSL_CONN_CLOSE_INFO cci;
static unsigned char buf[64];
static size_t nbytes;

/* The one-argument calls: sslquic only (QW), or with a libssl twin (LW). */
#define QW(n) WQ(n, n(s))
#define LW(n) WL(n, n(s))
QW(is_listener) QW(is_domain) QW(is_connection) QW(listen) QW(is_tls)
QW(is_quic) QW(get_stream_type) QW(is_stream_local) QW(get_stream_read_state)
QW(get_stream_write_state) QW(handle_events) QW(net_read_desired)
QW(net_write_desired) QW(get_blocking_mode)
QW(get_accept_connection_queue_len) QW(get_accept_stream_queue_len)
LW(connect) LW(accept) LW(do_handshake) LW(shutdown) LW(get_shutdown)
LW(version) LW(pending) LW(has_pending) LW(want) LW(get_fd) LW(get_rfd)
LW(get_wfd) LW(get_servername_type) LW(session_reused) LW(is_server)
LW(in_init) LW(is_init_finished) LW(clear) LW(get_verify_result)
WL(get_error, get_error(s, 0))
WL(key_update, key_update(s, SSL_KEY_UPDATE_NOT_REQUESTED))
WQ(set_blocking_mode, set_blocking_mode(s, 0))
WQ(stream_conclude, stream_conclude(s, 0))
WQ(stream_reset, stream_reset(s, NULL, 0))
WQ(set_default_stream_mode, set_default_stream_mode(s, 1))
WQ(set_incoming_stream_policy, set_incoming_stream_policy(s, 0, 0))
WQ(get_stream_read_error_code, get_stream_read_error_code(s, &u64))
WQ(get_stream_write_error_code, get_stream_write_error_code(s, &u64))
WQ(get_event_timeout, get_event_timeout(s, &tv, &inf))
WQ(get_rpoll_descriptor, get_rpoll_descriptor(s, &pd))
WQ(get_wpoll_descriptor, get_wpoll_descriptor(s, &pd))
WQ(get_domain_flags, get_domain_flags(s, &u64))
WQ(get_conn_close_info, get_conn_close_info(s, &cci, sizeof(cci)))
WQ(shutdown_ex, shutdown_ex(s, SSL_SHUTDOWN_FLAG_RAPID, NULL, 0))
WQ(set1_initial_peer_addr, set1_initial_peer_addr(s, NULL))
WQ(get_value_uint, get_value_uint(s, 0, SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL, &u64))
WQ(set_value_uint, set_value_uint(s, 0, SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL, 1))
WQ(get_generic_value_uint, get_generic_value_uint(s, 0, &u64))
WQ(set_generic_value_uint, set_generic_value_uint(s, 0, 1))
WQ(get_feature_request_uint, get_feature_request_uint(s, SSL_VALUE_QUIC_IDLE_TIMEOUT, &u64))
WQ(set_feature_request_uint, set_feature_request_uint(s, SSL_VALUE_QUIC_IDLE_TIMEOUT, 1))
WQ(get_feature_peer_request_uint, get_feature_peer_request_uint(s, SSL_VALUE_QUIC_IDLE_TIMEOUT, &u64))
WQ(get_feature_negotiated_uint, get_feature_negotiated_uint(s, SSL_VALUE_QUIC_IDLE_TIMEOUT, &u64))
WQ(get_quic_stream_bidi_local_avail, get_quic_stream_bidi_local_avail(s, &u64))
WQ(get_quic_stream_bidi_remote_avail, get_quic_stream_bidi_remote_avail(s, &u64))
WQ(get_quic_stream_uni_local_avail, get_quic_stream_uni_local_avail(s, &u64))
WQ(get_quic_stream_uni_remote_avail, get_quic_stream_uni_remote_avail(s, &u64))
WQ(get_event_handling_mode, get_event_handling_mode(s, &u64))
WQ(set_event_handling_mode, set_event_handling_mode(s, 1))
WQ(get_stream_write_buf_size, get_stream_write_buf_size(s, &u64))
WQ(get_stream_write_buf_used, get_stream_write_buf_used(s, &u64))
WQ(get_stream_write_buf_avail, get_stream_write_buf_avail(s, &u64))
WL(read, read(s, buf, 4))
WL(read_ex, read_ex(s, buf, 4, &nbytes))
WL(peek, peek(s, buf, 4))
WL(peek_ex, peek_ex(s, buf, 4, &nbytes))
WL(write, write(s, "x", 1))
WL(write_ex, write_ex(s, "x", 1, &nbytes))
WQ(write_ex2, write_ex2(s, "x", 1, SSL_WRITE_FLAG_CONCLUDE, &nbytes))
WL(set_fd, set_fd(s, -1))
WL(set_rfd, set_rfd(s, -1))
WL(set_wfd, set_wfd(s, -1))
WL(ctrl, ctrl(s, SSL_CTRL_MODE, 0, NULL))
WL(set_tlsext_host_name, set_tlsext_host_name(s, "example"))
WL(set_alpn_protos, set_alpn_protos(s, alpn, sizeof(alpn)))
WL(set1_host, set1_host(s, "example"))

static int q_inject_net_dgram(SSL *s)
{
    BIO_ADDR *a = listener_addr(&W);
    int r = SSLQ_inject_net_dgram(s, buf, 1, a, NULL);

    BIO_ADDR_free(a);
    return r;
}

#define I(n, lq, a, b, c, d, e, f, err) {F_##n, q_##n, lq, {a, b, c, d, e, f}, err}
#define IQ(n, ...) I(n, NULL, __VA_ARGS__)
#define IL(n, ...) I(n, l_##n, __VA_ARGS__)
#define QV1 OSSL_QUIC1_VERSION
#define BIDI SSL_STREAM_TYPE_BIDI
#define SOK SSL_STREAM_STATE_OK
#define E SSL_ERROR_SSL

/* Kinds:          NULL  listener domain conn  stream plain  errors */
static const irow int_rows[] = {
    IQ(is_listener,      0, 1, 0, 0, 0, 0, "------"),
    IQ(is_domain,        0, 0, 1, 0, 0, 0, "------"),
    IQ(is_connection,    0, 0, 0, 1, 0, 0, "-..---"),
    IQ(listen,           0, SKIP, 0, 0, 0, 0, "q.qqqq"),
    IL(connect,          LE0, 0, 0, 1, LE0, LIB, "qqq-.."),
    IL(accept,           LE0, -1, -1, -1, -1, LIB, "qqqqq."),
    IL(do_handshake,     LE0, 0, 0, 1, 1, LIB, "qqq--."),
    IL(shutdown,         -1, LE0, LE0, SKIP, LE0, LIB, "q....."),
    IL(get_shutdown,     0, 0, 0, 0, 0, LIB, "-..--."),
    IQ(is_tls,           0, 0, 0, 0, 0, 1, "------"),
    IQ(is_quic,          0, 1, 1, 1, 1, 0, "------"),
    IL(version,          0, ANY, ANY, QV1, QV1, LIB, "-..--."),
    IQ(get_stream_type,  BIDI, BIDI, BIDI, BIDI, BIDI, BIDI, "...--."),
    IQ(is_stream_local,  -1, -1, -1, 1, 1, -1, "...--."),
    IQ(get_stream_read_state,  0, 0, 0, SOK, SOK, 0, "...--."),
    IQ(get_stream_write_state, 0, 0, 0, SOK, SOK, 0, "...--."),
    IL(pending,          0, 0, 0, 0, 0, LIB, "-..--."),
    IL(has_pending,      0, 0, 0, 0, 0, LIB, "-..--."),
    IL(want,             SSL_NOTHING, ANY, ANY, ANY, ANY, LIB, "-----."),
    IQ(handle_events,    0, 1, 1, 1, 1, 1, "q-----"),
    IQ(net_read_desired, 0, ANY, ANY, ANY, ANY, 0, "......"),
    IQ(net_write_desired, 0, ANY, ANY, ANY, ANY, 0, "......"),
    IQ(get_blocking_mode, -1, ANY, ANY, 0, 0, -1, "q..--q"),
    IL(get_fd,           -1, NN, -1, NN, ANY, LIB, "......"),
    IL(get_rfd,          -1, NN, -1, NN, ANY, LIB, "......"),
    IL(get_wfd,          -1, NN, -1, NN, ANY, LIB, "......"),
    IL(get_servername_type, -1, -1, -1, 0, 0, LIB, "......"),
    IL(session_reused,   0, 0, 0, 0, 0, LIB, "......"),
    IL(is_server,        0, ANY, ANY, 0, 0, LIB, "......"),
    IL(in_init,          0, ANY, ANY, 0, 0, LIB, "......"),
    IL(is_init_finished, 0, ANY, ANY, 1, 1, LIB, "......"),
    IL(clear,            0, 0, 0, 0, 0, LIB, "qqqqq."),
    IL(get_verify_result, X509_V_ERR_INVALID_CALL, ANY, ANY, 0, 0, LIB, "......"),
    IQ(get_accept_connection_queue_len, 0, 0, 0, 0, 0, 0, "......"),
    IQ(get_accept_stream_queue_len,     0, 0, 0, 0, 0, 0, "......"),
    IL(get_error,        E, ANY, ANY, ANY, ANY, LIB, "------"),
    IL(key_update,       0, 0, 0, SKIP, ANY, LIB, "qqq..."),
    IQ(set_blocking_mode, 0, SKIP, ANY, SKIP, SKIP, 0, "q....q"),
    IQ(stream_conclude,  0, 0, 0, SKIP, SKIP, 0, "qqq..q"),
    IQ(stream_reset,     0, 0, 0, SKIP, SKIP, 0, "qqq..q"),
    IQ(set_default_stream_mode, 0, 0, 0, SKIP, 0, 0, "qqq.qq"),
    IQ(set_incoming_stream_policy, 0, 0, 0, SKIP, 0, 0, "qqq.qq"),
    IQ(get_stream_read_error_code,  -1, -1, -1, -1, -1, -1, "...--."),
    IQ(get_stream_write_error_code, -1, -1, -1, -1, -1, -1, "...--."),
    IQ(get_event_timeout, 0, 1, 1, 1, 1, 1, "q-----"),
    IQ(get_rpoll_descriptor, 0, 1, ANY, 1, 1, 0, "q-.--q"),
    IQ(get_wpoll_descriptor, 0, 1, ANY, 1, 1, 0, "q-.--q"),
    IQ(get_domain_flags, 0, 1, 1, ANY, ANY, 0, "q--..q"),
    IQ(get_conn_close_info, -1, -1, -1, 0, -1, -1, "qqq-q."),
    IQ(shutdown_ex,      -1, LE0, LE0, SKIP, LE0, LE0, "q....q"),
    IQ(set1_initial_peer_addr, 0, 0, 0, 0, 0, 0, "qqqqqq"),
    IQ(get_value_uint,   0, 0, ANY, 1, ANY, 0, "qq.-.q"),
    IQ(set_value_uint,   0, 0, 0, 0, 0, 0, "qqqqqq"),
    IQ(get_generic_value_uint, 0, 0, 0, 0, 0, 0, "qqqqqq"),
    IQ(set_generic_value_uint, 0, 0, 0, 0, 0, 0, "qqqqqq"),
    IQ(get_feature_request_uint, 0, 0, ANY, ANY, ANY, 0, "qq...q"),
    IQ(set_feature_request_uint, 0, ANY, ANY, 0, 0, 0, "q..qqq"),
    IQ(get_feature_peer_request_uint, 0, ANY, ANY, ANY, ANY, 0, "q....q"),
    IQ(get_feature_negotiated_uint, 0, ANY, ANY, ANY, ANY, 0, "q....q"),
    IQ(get_quic_stream_bidi_local_avail, 0, 0, ANY, 1, ANY, 0, "qq.-.q"),
    IQ(get_quic_stream_bidi_remote_avail, 0, 0, ANY, 1, ANY, 0, "qq.-.q"),
    IQ(get_quic_stream_uni_local_avail, 0, 0, ANY, 1, ANY, 0, "qq.-.q"),
    IQ(get_quic_stream_uni_remote_avail, 0, 0, ANY, 1, ANY, 0, "qq.-.q"),
    IQ(get_event_handling_mode, 0, 0, ANY, 1, 1, 0, "qq.--q"),
    IQ(set_event_handling_mode, 0, 0, ANY, SKIP, SKIP, 0, "qq...q"),
    IQ(get_stream_write_buf_size, 0, 0, 0, 1, 1, 0, "qqq--q"),
    IQ(get_stream_write_buf_used, 0, 0, 0, 1, 1, 0, "qqq--q"),
    IQ(get_stream_write_buf_avail, 0, 0, 0, 1, 1, 0, "qqq--q"),
    IL(read,             LE0, LE0, LE0, LE0, LE0, LIB, "qqq--."),
    IL(read_ex,          0, 0, 0, 0, 0, LIB, "qqq--."),
    IL(peek,             LE0, LE0, LE0, LE0, LE0, LIB, "qqq--."),
    IL(peek_ex,          0, 0, 0, 0, 0, LIB, "qqq--."),
    IL(write,            LE0, LE0, LE0, SKIP, SKIP, LIB, "qqq..."),
    IL(write_ex,         0, 0, 0, SKIP, SKIP, LIB, "qqq..."),
    IQ(write_ex2,        0, 0, 0, SKIP, SKIP, 0, "qqq..q"),
    IL(set_fd,           0, SKIP, 0, SKIP, 0, LIB, "q.q.q."),
    IL(set_rfd,          0, SKIP, 0, SKIP, 0, LIB, "q.q.q."),
    IL(set_wfd,          0, SKIP, 0, SKIP, 0, LIB, "q.q.q."),
    IQ(inject_net_dgram, 0, 1, ANY, ANY, ANY, 0, "q....q"),
    IL(ctrl,             0, ANY, ANY, ANY, ANY, LIB, "q....."),
    IL(set_tlsext_host_name, 0, ANY, ANY, SKIP, SKIP, LIB, "q....."),
    IL(set_alpn_protos,  1, ANY, ANY, SKIP, SKIP, LIB, "q....."),
    IL(set1_host,        0, ANY, ANY, SKIP, SKIP, LIB, "q....."),
};

/* Runs libssl's twin on the plain object and checks sslquic's answer and
 * error (library and reason) are the same. */
static void run_lib(const char *fn, int (*q)(SSL *), int (*l)(SSL *))
{
    int rq, rl;
    unsigned long eq, el;

    ERR_clear_error();
    rq = q(W.p);
    eq = ERR_peek_error();
    ERR_clear_error();
    rl = l(W.p);
    el = ERR_peek_error();
    ERR_clear_error();
    if (rq != rl || ERR_GET_LIB(eq) != ERR_GET_LIB(el) ||
        ERR_GET_REASON(eq) != ERR_GET_REASON(el))
        mismatch(fn, K_PLAIN, "returned %d err %lx, libssl %d err %lx", rq,
                 eq, rl, el);
}

static void test_int_calls_on_null_and_wrong_objects(void **state)
{
    (void)state;
    mismatches = 0;
    for (size_t i = 0; i < sizeof(int_rows) / sizeof(int_rows[0]); i++) {
        const irow *r = &int_rows[i];
        const char *fn = fn_names[r->id];

        for (int k = 0; k < NK; k++) {
            if (r->want[k] == SKIP)
                continue;
            hits[r->id]++;
            ncalls++;
            if (r->want[k] == LIB) {
                assert_non_null(r->l);
                run_lib(fn, r->q, r->l);
                continue;
            }
            ERR_clear_error();
            check_int(fn, k, r->want[k], r->q(obj(k)));
            check_err(fn, k, r->err[k]);
        }
    }
    for (int k = 0; k < NK; k++) {
        uint64_t want = k == K_CONN ? 0 : k == K_STREAM ? 4 : UINT64_MAX;

        HIT(get_stream_id);
        if (SSLQ_get_stream_id(obj(k)) != want)
            mismatch("SSLQ_get_stream_id", k, "wrong id");
    }
    /* The right objects survived all of it. */
    assert_false(SSLQ_is_server(W.c));
    assert_int_equal(SSLQ_get_fd(W.c), W.cfd);
    assert_int_equal(SSLQ_get_fd(W.l), W.sfd);
    assert_int_equal(mismatches, 0);
}

/* ---- shape: pointer f(SSL *) ---------------------------------------------- */

typedef struct prow {
    enum fn_id id;
    const void *(*q)(SSL *), *(*l)(SSL *);
    int want[NK]; /* 0: NULL, 1: the object itself, NN, ANY, SKIP, LIB */
    const char *err;
} prow;

#define PQ(n, call) static const void *q_##n(SSL *s) { return SSLQ_##call; }
#define PL(n, call)                                                            \
    PQ(n, call) static const void *l_##n(SSL *s) { return SSL_##call; }
/* Returns a new object: freed at once, only whether it was NULL counts. */
#define PNEW(pfx, n, call, freer)                                              \
    static const void *pfx##_##n(SSL *s)                                       \
    {                                                                          \
        void *r = call;                                                        \
        freer(r);                                                              \
        return r ? &W : NULL;                                                  \
    }

PQ(get0_listener, get0_listener(s))
PQ(get0_connection, get0_connection(s))
PQ(get0_domain, get0_domain(s))
PNEW(q, new_listener_from, SSLQ_new_listener_from(s, 0), SSLQ_free)
PNEW(q, accept_connection,
     SSLQ_accept_connection(s, SSL_ACCEPT_CONNECTION_NO_BLOCK), SSLQ_free)
PNEW(q, new_from_listener, SSLQ_new_from_listener(s, 0), SSLQ_free)
PNEW(q, new_stream, SSLQ_new_stream(s, SSL_STREAM_FLAG_NO_BLOCK), SSLQ_free)
PNEW(q, accept_stream, SSLQ_accept_stream(s, SSL_ACCEPT_STREAM_NO_BLOCK),
     SSLQ_free)
PL(get_rbio, get_rbio(s))
PL(get_wbio, get_wbio(s))
PL(get0_peer_certificate, get0_peer_certificate(s))
PNEW(q, get1_peer_certificate, SSLQ_get1_peer_certificate(s), X509_free)
PNEW(l, get1_peer_certificate, SSL_get1_peer_certificate(s), X509_free)
PL(get_peer_cert_chain, get_peer_cert_chain(s))
PL(get0_verified_chain, get0_verified_chain(s))
PL(get_current_cipher, get_current_cipher(s))
PL(get_session, get_session(s))
PNEW(q, get1_session, SSLQ_get1_session(s), SSL_SESSION_free)
PNEW(l, get1_session, SSL_get1_session(s), SSL_SESSION_free)
PL(get_version, get_version(s))
PL(get_servername, get_servername(s, TLSEXT_NAMETYPE_host_name))

#define P(n, lq, a, b, c, d, e, f, err) {F_##n, q_##n, lq, {a, b, c, d, e, f}, err}

/* Kinds:          NULL  listener domain conn  stream plain  errors */
static const prow ptr_rows[] = {
    P(get0_listener,     NULL, 0, 1, 0, 0, 0, 0, "......"),
    P(get0_connection,   NULL, 0, 0, 0, 1, NN, 1, "......"),
    P(get0_domain,       NULL, 0, 0, 1, 0, 0, 0, "......"),
    P(new_listener_from, NULL, 0, 0, SKIP, 0, 0, 0, "qq.qqq"),
    P(accept_connection, NULL, 0, 0, 0, 0, 0, 0, "q-qqqq"),
    P(new_from_listener, NULL, 0, SKIP, 0, 0, 0, 0, "q.qqqq"),
    P(new_stream,        NULL, 0, 0, 0, SKIP, 0, 0, "qqq.qq"),
    P(accept_stream,     NULL, 0, 0, 0, 0, 0, 0, "qqqqqq"),
    P(get_rbio,          l_get_rbio, 0, NN, 0, NN, ANY, LIB, "......"),
    P(get_wbio,          l_get_wbio, 0, NN, 0, NN, ANY, LIB, "......"),
    P(get0_peer_certificate, l_get0_peer_certificate, 0, 0, 0, NN, NN, LIB, "......"),
    P(get1_peer_certificate, l_get1_peer_certificate, 0, 0, 0, NN, NN, LIB, "......"),
    P(get_peer_cert_chain, l_get_peer_cert_chain, 0, 0, 0, NN, NN, LIB, "......"),
    P(get0_verified_chain, l_get0_verified_chain, 0, 0, 0, NN, NN, LIB, "......"),
    P(get_current_cipher, l_get_current_cipher, 0, 0, 0, NN, NN, LIB, "......"),
    P(get_session,       l_get_session, 0, 0, 0, NN, NN, LIB, "......"),
    P(get1_session,      l_get1_session, 0, 0, 0, NN, NN, LIB, "......"),
    P(get_version,       l_get_version, NN, NN, NN, NN, NN, LIB, "......"),
    P(get_servername,    l_get_servername, 0, 0, 0, NN, NN, LIB, "......"),
};

static void test_pointer_calls_on_null_and_wrong_objects(void **state)
{
    (void)state;
    mismatches = 0;
    for (size_t i = 0; i < sizeof(ptr_rows) / sizeof(ptr_rows[0]); i++) {
        const prow *r = &ptr_rows[i];
        const char *fn = fn_names[r->id];

        for (int k = 0; k < NK; k++) {
            const void *have;
            int w = r->want[k];

            if (w == SKIP)
                continue;
            hits[r->id]++;
            ncalls++;
            ERR_clear_error();
            have = r->q(obj(k));
            if (w == LIB) {
                /* Same answer as libssl (both NULL, or both something). */
                if ((have == NULL) != (r->l(W.p) == NULL))
                    mismatch(fn, k, "differs from libssl");
                ERR_clear_error();
                continue;
            }
            if ((w == 0 && have != NULL) || (w == 1 && have != obj(k)) ||
                (w == NN && have == NULL))
                mismatch(fn, k, "returned %p, want %s", have,
                         w == 0 ? "NULL" : w == 1 ? "itself" : "non-NULL");
            check_err(fn, k, r->err[k]);
        }
    }
    assert_ptr_equal(SSLQ_get0_connection(W.st), W.c);
    assert_int_equal(mismatches, 0);
}

/* ---- shapes without a result to judge: they must only not crash ---------- */

static void cb_msg(int w, int v, int t, const void *b, size_t n, SSL *s,
                   void *a)
{
    (void)w, (void)v, (void)t, (void)b, (void)n, (void)s, (void)a;
}

static void test_void_calls_on_null_and_wrong_objects(void **state)
{
    const unsigned char *data;
    unsigned int len;

    (void)state;
    for (int k = 0; k < NK; k++) {
        SSL *s = obj(k);

        /* On the client connection these would re-wire or re-role it. */
        if (k != K_CONN) {
            SSLQ_set_connect_state(s), HIT(set_connect_state);
            SSLQ_set_accept_state(s), HIT(set_accept_state);
            SSLQ_set_msg_callback(s, cb_msg), HIT(set_msg_callback);
            SSLQ_set_msg_callback(s, NULL), HIT(set_msg_callback);
        }
        if (k != K_CONN && k != K_LIS) {
            SSLQ_set_bio(s, NULL, NULL), HIT(set_bio);
            SSLQ_set0_rbio(s, NULL), HIT(set0_rbio);
            SSLQ_set0_wbio(s, NULL), HIT(set0_wbio);
        }
        data = (const unsigned char *)"junk";
        len = 99;
        SSLQ_get0_alpn_selected(s, &data, &len), HIT(get0_alpn_selected);
        if (k == K_CONN || k == K_STREAM)
            assert_memory_equal(data, alpn + 1, len);
        else if (k != K_LIS && k != K_DOM)
            assert_int_equal(len, 0);
        SSLQ_get0_alpn_selected(s, NULL, &len), HIT(get0_alpn_selected);
        SSLQ_get0_alpn_selected(s, &data, NULL), HIT(get0_alpn_selected);
        (void)SSLQ_as_poll_descriptor(s), HIT(as_poll_descriptor);
        ERR_clear_error();
    }
    SSLQ_free(NULL), HIT(free);
    SSLQ_CTX_set_keylog_callback(NULL, NULL), HIT(CTX_set_keylog_callback);
    assert_null(SSLQ_CTX_get_keylog_callback(NULL)), HIT(CTX_get_keylog_callback);
    assert_null(SSLQ_CTX_get_keylog_callback(W.tctx)), HIT(CTX_get_keylog_callback);
    SSLQ_CTX_set_msg_callback(NULL, cb_msg), HIT(CTX_set_msg_callback);
    SSLQ_CTX_set_msg_callback(W.tctx, NULL), HIT(CTX_set_msg_callback);
    /* The client and its stream still talk to the network. */
    assert_false(SSLQ_is_server(W.c));
    assert_non_null(SSLQ_get_rbio(W.c));
    assert_int_equal(SSLQ_get_stream_write_state(W.st), SSL_STREAM_STATE_OK);
    ERR_clear_error();
}

/* ---- contexts, methods and the library's own names ------------------------ */

static void test_context_calls_refuse_null_and_plain_contexts(void **state)
{
    const SSL_METHOD *m[3] = {SSLQ_QUIC_client_method(),
                              SSLQ_QUIC_client_thread_method(),
                              SSLQ_QUIC_server_method()};
    uint64_t f = 99;
    SSL *s;

    (void)state;
    mismatches = 0;
    HIT(QUIC_client_method), HIT(QUIC_client_thread_method),
        HIT(QUIC_server_method);
    assert_true(m[0] && m[1] && m[2] && m[0] != m[1] && m[1] != m[2]);
    ERR_clear_error();
    CALL(CTX_new, 0, CTX_new(NULL) != NULL, 'e');
    CALL(CTX_new_ex, 0, CTX_new_ex(NULL, NULL, NULL) != NULL, 'e');
    CALL(new, 0, new(NULL) != NULL, 'e');
    CALL(new, 0, new(W.sctx) != NULL, 'q'); /* server: only via a listener */
    s = SSLQ_new(W.tctx), HIT(new);        /* a plain context: SSL_new */
    assert_false(SSLQ_is_quic(s));
    SSLQ_free(s);
    CALL(new_listener, 0, new_listener(NULL, 0) != NULL, 'q');
    CALL(new_listener, 0, new_listener(W.tctx, 0) != NULL, 'q');
    CALL(new_domain, 0, new_domain(NULL, 0) != NULL, 'q');
    CALL(new_domain, 0, new_domain(W.tctx, 0) != NULL, 'q');
    CALL(CTX_set_domain_flags, 0, CTX_set_domain_flags(NULL, 0), 'q');
    CALL(CTX_set_domain_flags, 0,
        CTX_set_domain_flags(W.tctx, SSL_DOMAIN_FLAG_SINGLE_THREAD), 'q');
    CALL(CTX_get_domain_flags, 0, CTX_get_domain_flags(NULL, &f), 'q');
    CALL(CTX_get_domain_flags, 1, CTX_get_domain_flags(W.sctx, NULL), '-');
    CALL(CTX_get_domain_flags, 0, CTX_get_domain_flags(W.tctx, &f), 'q');
    assert_true(SSLQ_get_domain_flags(W.l, NULL)), HIT(get_domain_flags);
    assert_true(SSLQ_get_err_lib() > 0 &&
                SSLQ_get_err_lib() == SSLQ_get_err_lib()), HIT(get_err_lib);
    assert_non_null(strstr(SSLQ_library_version(), SSLQUIC_VERSION_TEXT)),
        HIT(library_version);
    assert_int_equal(mismatches, 0);
}

/* ---- NULL in each pointer argument, one at a time ------------------------- */

static void test_null_pointer_arguments_fail_cleanly(void **state)
{
    SSL_POLL_ITEM it[2];
    struct timeval zero = {0, 0};
    size_t n = 99;
    BIO_ADDR *a = listener_addr(&W);
    SSL_STREAM_RESET_ARGS ra = {7};

    (void)state;
    mismatches = 0;
    ERR_clear_error();
    CALL(read_ex, 0, read_ex(W.st, NULL, 4, &n), 'q');
    CALL(read_ex, 0, read_ex(W.st, buf, 4, NULL), '.');
    CALL(peek_ex, 0, peek_ex(W.st, NULL, 4, &n), 'q');
    CALL(peek_ex, 0, peek_ex(W.st, buf, 4, NULL), '.');
    CALL(read, LE0, read(W.st, NULL, 4), 'q');
    CALL(peek, LE0, peek(W.st, NULL, 4), 'q');
    CALL(write_ex, 0, write_ex(W.st, NULL, 4, &n), 'q');
    CALL(write, LE0, write(W.st, NULL, 4), 'q');
    CALL(write_ex2, 0, write_ex2(W.st, NULL, 4, 0, &n), 'q');
    CALL(write_ex, 1, write_ex(W.st, "y", 1, NULL), '-');
    CALL(write_ex2, 1, write_ex2(W.st, "y", 1, 0, NULL), '-');
    CALL(get_event_timeout, 0, get_event_timeout(W.c, NULL, &inf), 'q');
    CALL(get_event_timeout, 0, get_event_timeout(W.c, &tv, NULL), 'q');
    CALL(get_rpoll_descriptor, 0, get_rpoll_descriptor(W.c, NULL), 'q');
    CALL(get_wpoll_descriptor, 0, get_wpoll_descriptor(W.c, NULL), 'q');
    CALL(get_value_uint, 0, get_value_uint(W.c, 0, SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL, NULL), 'q');
    CALL(get_conn_close_info, 0, get_conn_close_info(W.c, NULL, sizeof(cci)), 'q');
    CALL(get_conn_close_info, 0, get_conn_close_info(W.c, &cci, 1), 'q');
    CALL(get_stream_read_error_code, -1, get_stream_read_error_code(W.st, NULL), '-');
    CALL(get_stream_write_error_code, -1, get_stream_write_error_code(W.st, NULL), '-');
    CALL(inject_net_dgram, 0, inject_net_dgram(W.l, NULL, 1, a, NULL), 'q');
    CALL(inject_net_dgram, 0, inject_net_dgram(W.l, buf, 1, NULL, NULL), 'q');
    CALL(get_domain_flags, 0, get_domain_flags(NULL, &u64), 'q');
    CALL(set1_host, ANY, set1_host(W.st, NULL), '.');
    CALL(set_alpn_protos, ANY, set_alpn_protos(W.d, NULL, 0), '.');
    CALL(get_servername, 0, get_servername(NULL, TLSEXT_NAMETYPE_host_name), '.');
    CALL(ctrl, ANY, ctrl(W.st, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, NULL), '.');
    CALL(set_tlsext_host_name, 0, set_tlsext_host_name(NULL, "x"), 'q');
    CALL(shutdown_ex, LE0, shutdown_ex(W.p, SSL_SHUTDOWN_FLAG_RAPID, NULL, 0), 'q');
    CALL(write_ex2, 0, write_ex2(W.p, "x", 1, SSL_WRITE_FLAG_CONCLUDE, &n), 'q');
    /* SSL_poll: no array, a NULL item, a plain TLS item. */
    CALL(poll, 0, poll(NULL, 1, sizeof(it[0]), &zero, 0, &n), 'q');
    assert_int_equal(n, 0);
    it[0].desc = SSLQ_as_poll_descriptor(W.c), HIT(as_poll_descriptor);
    it[0].events = SSL_POLL_EVENT_R;
    /* As OpenSSL 3.5: an empty slot is passed over, a TLS object fails. */
    it[1].desc = SSLQ_as_poll_descriptor(NULL);
    it[1].events = SSL_POLL_EVENT_R;
    CALL(poll, 1, poll(it, 2, sizeof(it[0]), &zero, 0, &n), '-');
    assert_int_equal(it[1].revents, 0);
    it[1].desc = SSLQ_as_poll_descriptor(W.p);
    CALL(poll, 0, poll(it, 2, sizeof(it[0]), &zero, 0, &n), 'q');
    assert_true(it[1].revents & SSL_POLL_EVENT_F);
    it[1].desc.type = 4711; /* unknown descriptor type */
    CALL(poll, 0, poll(it, 2, sizeof(it[0]), &zero, 0, NULL), 'q');
    CALL(poll, 1, poll(it, 1, sizeof(it[0]), &zero, 0, NULL), '-');
    CALL(poll, ANY, poll(it, 1, 0, &zero, 0, &n), '.');
    CALL(stream_reset, ANY, stream_reset(W.st, &ra, 1), '.'); /* short */
    BIO_ADDR_free(a);
    ERR_clear_error();
    assert_int_equal(mismatches, 0);
}

/* ---- freed-and-reused orders the API allows ------------------------------- */

static void test_stream_outlives_its_freed_connection(void **state)
{
    SSL *st = W.st;
    size_t n;

    (void)state;
    SSLQ_free(W.c), HIT(free);
    W.c = NULL;
    /* The stream holds the connection: its calls still answer. */
    assert_non_null(SSLQ_get0_connection(st)), HIT(get0_connection);
    assert_int_equal(SSLQ_get_stream_id(st), 4), HIT(get_stream_id);
    assert_int_equal(SSLQ_is_stream_local(st), 1), HIT(is_stream_local);
    assert_true(SSLQ_write_ex(st, "z", 1, &n)), HIT(write_ex);
    assert_false(SSLQ_read_ex(st, buf, sizeof(buf), &n)), HIT(read_ex);
    assert_true(SSLQ_stream_conclude(st, 0)), HIT(stream_conclude);
    SSLQ_free(st), HIT(free);
    W.st = NULL;
    ERR_clear_error();
}

static void test_connection_outlives_its_freed_listener(void **state)
{
    SSL *ac = W.ac, *l = W.l;
    size_t n;
    int r;

    (void)state;
    SSLQ_free(l), HIT(free);
    W.l = NULL;
    assert_ptr_equal(SSLQ_get0_listener(ac), l), HIT(get0_listener);
    assert_true(SSLQ_is_connection(ac)), HIT(is_connection);
    assert_true(SSLQ_is_server(ac)), HIT(is_server);
    r = SSLQ_read_ex(ac, buf, sizeof(buf), &n), HIT(read_ex);
    assert_true(r == 1 || SSLQ_get_error(ac, r) == SSL_ERROR_WANT_READ);
    assert_true(SSLQ_write_ex(ac, "s", 1, &n)), HIT(write_ex);
    assert_true(SSLQ_handle_events(ac)), HIT(handle_events);
    n = (size_t)SSLQ_get_fd(ac), HIT(get_fd); /* its listener's, or none */
    assert_true((int)n == -1 || (int)n == W.sfd);
    (void)SSLQ_shutdown_ex(ac, SSL_SHUTDOWN_FLAG_RAPID, NULL, 0),
        HIT(shutdown_ex);
    SSLQ_free(ac), HIT(free);
    W.ac = NULL;
    ERR_clear_error();
}

static void test_calls_after_completed_shutdown_fail_cleanly(void **state)
{
    SSL *c = W.c, *s;
    SSL_SHUTDOWN_EX_ARGS args = {42, "bye"};
    size_t n;
    int r = 0;

    (void)state;
    mismatches = 0;
    /* Non-blocking, and nobody drives the peer: no flush (it would wait
     * for ACKs), done once the closing period (3 PTO) has passed. */
    HIT(shutdown_ex);
    for (int i = 0; i < 20000 && r != 1; i++) {
        r = SSLQ_shutdown_ex(c, SSL_SHUTDOWN_FLAG_RAPID |
                                    SSL_SHUTDOWN_FLAG_NO_STREAM_FLUSH,
                             &args, sizeof(args));
        assert_true(r >= 0);
        if (r != 1)
            usleep(1000);
    }
    assert_int_equal(r, 1);
    assert_int_equal(SSLQ_shutdown(c), 1), HIT(shutdown);
    assert_int_equal(SSLQ_get_conn_close_info(c, &cci, sizeof(cci)), 1),
        HIT(get_conn_close_info);
    assert_int_equal(cci.error_code, 42);
    assert_true(cci.flags & SSL_CONN_CLOSE_FLAG_LOCAL);
    assert_true(SSLQ_get_shutdown(c) & SSL_SENT_SHUTDOWN), HIT(get_shutdown);
    ERR_clear_error();
    CALL(write_ex, 0, write_ex(c, "x", 1, &n), 'q');
    CALL(write_ex, 0, write_ex(W.st, "x", 1, &n), 'q');
    CALL(read_ex, 0, read_ex(c, buf, sizeof(buf), &n), '.');
    CALL(read_ex, 0, read_ex(W.st, buf, sizeof(buf), &n), '.');
    CALL(get_error, SSL_ERROR_SSL, get_error(W.st, 0), '-');
    CALL(stream_conclude, ANY, stream_conclude(W.st, 0), '.');
    CALL(key_update, 0, key_update(c, SSL_KEY_UPDATE_REQUESTED), 'q');
    CALL(connect, LE0, connect(c), '.');
    CALL(get_stream_read_state, SSL_STREAM_STATE_CONN_CLOSED, get_stream_read_state(W.st), '-');
    CALL(get_stream_write_error_code, -1, get_stream_write_error_code(W.st, &u64), '-');
    CALL(handle_events, 1, handle_events(c), '.');
    s = SSLQ_new_stream(c, SSL_STREAM_FLAG_NO_BLOCK), HIT(new_stream);
    assert_null(s);
    check_err("new_stream after shutdown", K_CONN, 'q');
    s = SSLQ_accept_stream(c, SSL_ACCEPT_STREAM_NO_BLOCK), HIT(accept_stream);
    assert_null(s);
    ERR_clear_error();
    assert_int_equal(mismatches, 0);
}

static void test_double_conclude_and_read_after_reset(void **state)
{
    SSL *st = W.st;
    SSL_STREAM_RESET_ARGS ra = {9};
    size_t n;
    int r;

    (void)state;
    mismatches = 0;
    ERR_clear_error();
    CALL(stream_conclude, 1, stream_conclude(st, 0), '-');
    /* Native 3.5 refuses the second one ("stream finished"), harmlessly. */
    CALL(stream_conclude, 0, stream_conclude(st, 0), 'q');
    CALL(write_ex, 0, write_ex(st, "x", 1, &n), 'q');
    HIT(get_stream_write_state);
    r = SSLQ_get_stream_write_state(st); /* FINISHED once the FIN is acked */
    assert_true(r == SSL_STREAM_STATE_OK || r == SSL_STREAM_STATE_FINISHED);
    CALL(stream_conclude, 0, stream_conclude(st, 1), 'q'); /* flags: none */
    /* The default stream: reset, then every call on it. */
    CALL(stream_reset, 1, stream_reset(W.c, &ra, sizeof(ra)), '-');
    CALL(stream_reset, ANY, stream_reset(W.c, NULL, 0), '.');
    CALL(get_stream_write_state, SSL_STREAM_STATE_RESET_LOCAL, get_stream_write_state(W.c), '-');
    CALL(get_stream_write_error_code, 1, get_stream_write_error_code(W.c, &u64), '-');
    assert_int_equal(u64, 9);
    CALL(write_ex, 0, write_ex(W.c, "x", 1, &n), 'q');
    CALL(read_ex, 0, read_ex(W.c, buf, sizeof(buf), &n), '-');
    CALL(get_error, SSL_ERROR_WANT_READ, get_error(W.c, 0), '-');
    CALL(read, LE0, read(W.c, buf, sizeof(buf)), '-');
    CALL(peek_ex, 0, peek_ex(W.c, buf, sizeof(buf), &n), '-');
    CALL(stream_conclude, ANY, stream_conclude(W.c, 0), '.');
    CALL(pending, 0, pending(W.c), '-');
    /* The peer reads on until its half of that stream shows the reset. */
    for (int i = 0; i < 20000 && SSLQ_get_stream_read_state(W.ac) !=
                                     SSL_STREAM_STATE_RESET_REMOTE; i++) {
        (void)SSLQ_handle_events(W.c);
        if (!SSLQ_read_ex(W.ac, buf, sizeof(buf), &n))
            usleep(1000);
    }
    ERR_clear_error();
    CALL(get_stream_read_state, SSL_STREAM_STATE_RESET_REMOTE, get_stream_read_state(W.ac), '-');
    CALL(read_ex, 0, read_ex(W.ac, buf, sizeof(buf), &n), 'q');
    CALL(get_error, SSL_ERROR_SSL, get_error(W.ac, 0), '-');
    CALL(read, LE0, read(W.ac, buf, sizeof(buf)), 'q');
    CALL(peek_ex, 0, peek_ex(W.ac, buf, sizeof(buf), &n), 'q');
    CALL(get_stream_read_error_code, 1, get_stream_read_error_code(W.ac, &u64), '-');
    assert_int_equal(u64, 9);
    CALL(write_ex, 1, write_ex(W.ac, "w", 1, &n), '-'); /* its other half */
    ERR_clear_error();
    assert_int_equal(mismatches, 0);
}

static void test_accept_on_listener_with_closed_socket_fails_cleanly(void **state)
{
    SSL *c;

    (void)state;
    mismatches = 0;
    close(W.sfd);
    W.sfd = -1;
    ERR_clear_error();
    c = SSLQ_accept_connection(W.l, SSL_ACCEPT_CONNECTION_NO_BLOCK);
    HIT(accept_connection);
    assert_null(c);
    CALL(get_error, SSL_ERROR_SSL, get_error(W.l, 0), '.');
    CALL(handle_events, ANY, handle_events(W.l), '.');
    CALL(get_accept_connection_queue_len, 0, get_accept_connection_queue_len(W.l), '.');
    CALL(listen, ANY, listen(W.l), '.');
    /* Blocking, it must give up too, not poll the dead descriptor for
     * ever (ctest's timeout turns a hang into a failure). */
    assert_true(SSLQ_set_blocking_mode(W.l, 1));
    c = SSLQ_accept_connection(W.l, 0);
    assert_null(c);
    ERR_clear_error();
    assert_int_equal(mismatches, 0);
}

/* ---- coverage ----------------------------------------------------------------- */

static void test_every_listed_function_was_misused(void **state)
{
    int missing = 0;

    (void)state;
    for (int i = 0; i < F_COUNT; i++)
        if (hits[i] == 0) {
            print_error("no misuse case calls %s\n", fn_names[i]);
            missing++;
        }
    print_message("misuse: %u calls over %d functions\n", ncalls, F_COUNT);
    assert_int_equal(missing, 0);
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

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_int_calls_on_null_and_wrong_objects),
        T(test_pointer_calls_on_null_and_wrong_objects),
        T(test_void_calls_on_null_and_wrong_objects),
        T(test_context_calls_refuse_null_and_plain_contexts),
        T(test_null_pointer_arguments_fail_cleanly),
        T(test_stream_outlives_its_freed_connection),
        T(test_connection_outlives_its_freed_listener),
        T(test_calls_after_completed_shutdown_fail_cleanly),
        T(test_double_conclude_and_read_after_reset),
        T(test_accept_on_listener_with_closed_socket_fails_cleanly),
        cmocka_unit_test(test_every_listed_function_was_misused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
