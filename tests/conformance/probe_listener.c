/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prints, one "key: value" line each, what the listener API observably does
 * on a fixed script (OpenSSL 3.5's API only): probe_listener --cert F --key F
 * The output holds no addresses, ports, timings or reason codes, so native
 * 3.5 and sslquic builds must print the same lines.  Server and client share
 * this process, non-blocking, driven from poll(2); each NULL-argument call
 * runs in a forked child, so a crash is an observation, not the end.
 */
#include <sys/wait.h>

#include "conformance.h"

static SSL *L; /* the listener under test */

static const char *errq(void)
{
    const char *q = ERR_peek_error() != 0 ? "set" : "empty";

    ERR_clear_error();
    return q;
}

/* An I/O call's answer: return value, SSL_get_error, ERR queue. */
static void io(const char *key, SSL *s, int ret)
{
    int e = SSL_get_error(s, ret);

    printf("%s: ret=%d err=%s errq=%s\n", key, ret, conf_err_name(e), errq());
}

static void val(const char *key, long long v)
{
    printf("%s: %lld errq=%s\n", key, v, errq());
}

/* Which object a getter returned, relative to the object asked. */
static const char *who(SSL *got, SSL *self)
{
    if (got == NULL)
        return "NULL";
    return got == self ? "self" : got == L ? "listener" : "other";
}

/* A getter's or constructor's answer ("other": a new object). */
static SSL *obj(const char *key, SSL *got, SSL *self)
{
    printf("%s: %s errq=%s\n", key, who(got, self), errq());
    return got;
}

static SSL *acc(const char *key, SSL *l, uint64_t flags)
{
    SSL *c = SSL_accept_connection(l, flags);
    int e = c == NULL ? SSL_get_error(l, 0) : -1;

    printf("%s: %s err=%s errq=%s\n", key, c != NULL ? "conn" : "NULL",
           c == NULL ? conf_err_name(e) : "-", errq());
    return c;
}

/* What an object says it is, what it hangs off, its mode and queue (each
 * answer taken before the ERR queue is looked at). */
static void kinds(const char *name, SSL *s)
{
    uint64_t f = 0;
    int r = SSL_get_domain_flags(s, &f), b = SSL_get_blocking_mode(s);
    size_t q = SSL_get_accept_connection_queue_len(s);
    const char *l = who(SSL_get0_listener(s), s),
               *c = who(SSL_get0_connection(s), s),
               *d = who(SSL_get0_domain(s), s);

    printf("%s.is: listener=%d connection=%d domain=%d server=%d\n", name,
           SSL_is_listener(s), SSL_is_connection(s), SSL_is_domain(s),
           SSL_is_server(s));
    printf("%s.get0: listener=%s connection=%s domain=%s\n", name, l, c, d);
    printf("%s.state: blocking=%d queue_len=%zu domain_flags=%d/%llu "
           "errq=%s\n",
           name, b, q, r, (unsigned long long)f, errq());
}

static void timeout_of(const char *key, SSL *s)
{
    struct timeval tv = {-1, -1};
    int inf = -1, r = SSL_get_event_timeout(s, &tv, &inf);

    printf("%s: ret=%d infinite=%d zero=%d errq=%s\n", key, r, inf,
           tv.tv_sec == 0 && tv.tv_usec == 0, errq());
}

static void close_info(const char *key, SSL *s)
{
    SSL_CONN_CLOSE_INFO ci;
    int r;

    memset(&ci, 0, sizeof(ci));
    r = SSL_get_conn_close_info(s, &ci, sizeof(ci));
    printf("%s: ret=%d code=%llu frame=%llu reason_len=%zu flags=%u\n", key, r,
           (unsigned long long)ci.error_code, (unsigned long long)ci.frame_type,
           ci.reason_len, ci.flags);
}

/* One round of the event loop for two objects: tick both, then sleep in
 * poll(2) until either socket is readable or the earlier deadline. */
static void drive(SSL *a, SSL *b)
{
    struct pollfd p[4];
    nfds_t n = 0;
    int ms = 50;

    SSL_handle_events(a);
    SSL_handle_events(b);
    conf_poll_add(a, p, &n, 4, &ms);
    conf_poll_add(b, p, &n, 4, &ms);
    ERR_clear_error();
    poll(p, n, ms);
}

#define UNTIL(cond, a, b)                                                      \
    for (n = 0; !(cond) && n < 600; n++)                                       \
    drive((a), (b))

/* Runs one NULL-argument call in a child; "crash" if the child dies. */
#define NULLCALL(key, expr)                                                    \
    do {                                                                       \
        fflush(stdout);                                                        \
        if ((pid = fork()) == 0)                                               \
            _exit(printf("%s: %lld\n", key, (long long)(expr)) < 0);           \
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))  \
            printf("%s: crash\n", key);                                        \
    } while (0)

int main(int argc, char **argv)
{
    SSL_CTX *sctx, *cctx;
    SSL *x, *C, *A;
    BIO_POLL_DESCRIPTOR d[2];
    const unsigned char *alpn;
    const char *sn;
    unsigned port, alen;
    uint64_t f, v;
    char buf[64];
    size_t got;
    int fd, cfd, n, r, st;
    pid_t pid;

    if (argc != 5 || !conf_arg_is(argv[1], "--cert"))
        return fprintf(stderr, "usage: probe_listener --cert F --key F\n"), 2;
    sctx = conf_server_ctx(argv[2], argv[4]);
    cctx = conf_client_ctx(NULL);
    if (sctx == NULL || cctx == NULL || (fd = conf_udp_socket(0, &port)) < 0)
        return ERR_print_errors_fp(stderr), 1;
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* --- a listener without a network --- */
    if ((L = obj("new_listener", SSL_new_listener(sctx, 0), NULL)) == NULL)
        return 1;
    kinds("L", L);
    r = SSL_CTX_get_domain_flags(sctx, &f);
    printf("ctx.domain_flags: ret=%d v=%llu\n", r,
           r ? (unsigned long long)f : 0);
    v = 0;
    r = SSL_get_generic_value_uint(L, SSL_VALUE_QUIC_MAX_PENDING_CONNS, &v);
    printf("L.max_pending_conns.default: ret=%d v=%llu errq=%s\n", r,
           (unsigned long long)v, errq());
    timeout_of("L.event_timeout.fresh", L);
    x = SSL_new_listener(sctx, 0);
    io("nobio.listen", x, SSL_listen(x));
    acc("nobio.accept_no_block", x, SSL_ACCEPT_CONNECTION_NO_BLOCK);
    SSL_free(x);
    SSL_free(obj("new_listener.unknown_flag",
                 SSL_new_listener(sctx, UINT64_C(1) << 40), NULL));
    if ((x = obj("new_listener.client_ctx", SSL_new_listener(cctx, 0), NULL)))
        kinds("Lclient", x);
    SSL_free(x);

    /* --- the listener on its socket --- */
    val("L.set_fd", SSL_set_fd(L, fd));
    kinds("L.with_fd", L);
    memset(d, 0, sizeof(d));
    r = SSL_get_rpoll_descriptor(L, &d[0]) * 2 +
        SSL_get_wpoll_descriptor(L, &d[1]);
    printf("L.poll_descriptors: ret=%d types=%u/%u fds=%s\n", r, d[0].type,
           d[1].type,
           d[0].value.fd == fd && d[1].value.fd == fd ? "same" : "other");
    io("L.listen", L, SSL_listen(L));
    io("L.listen.again", L, SSL_listen(L));
    timeout_of("L.event_timeout.listening", L);
    printf("L.net_desired: read=%d write=%d\n", SSL_net_read_desired(L),
           SSL_net_write_desired(L));
    acc("L.accept.empty_no_block", L, SSL_ACCEPT_CONNECTION_NO_BLOCK);
    val("L.set_blocking_0", SSL_set_blocking_mode(L, 0));
    val("L.blocking.after_set_0", SSL_get_blocking_mode(L));
    acc("L.accept.empty_nonblocking", L, 0);
    val("L.handle_events", SSL_handle_events(L));
    timeout_of("L.event_timeout.after_tick", L);
    io("L.read_ex", L, SSL_read_ex(L, buf, sizeof(buf), &got));
    io("L.write_ex", L, SSL_write_ex(L, "x", 1, &got));
    io("L.stream_conclude", L, SSL_stream_conclude(L, 0));
    io("L.accept", L, SSL_accept(L));
    io("L.shutdown", L, SSL_shutdown(L));
    io("L.do_handshake", L, SSL_do_handshake(L));
    io("L.connect", L, SSL_connect(L));
    obj("L.new_stream", SSL_new_stream(L, 0), L);
    obj("L.accept_stream", SSL_accept_stream(L, SSL_ACCEPT_STREAM_NO_BLOCK), L);
    val("L.max_pending_conns.set_8",
        SSL_set_generic_value_uint(L, SSL_VALUE_QUIC_MAX_PENDING_CONNS, 8));
    v = 0;
    r = SSL_get_generic_value_uint(L, SSL_VALUE_QUIC_MAX_PENDING_CONNS, &v);
    printf("L.max_pending_conns.after_set: ret=%d v=%llu errq=%s\n", r,
           (unsigned long long)v, errq());
    SSL_free(
        obj("L.new_from_listener.flags_1", SSL_new_from_listener(L, 1), NULL));
    if ((x = obj("L.new_from_listener", SSL_new_from_listener(L, 0), NULL))) {
        kinds("F", x);
        io("F.connect.no_peer", x, SSL_connect(x));
        SSL_free(x);
    }

    /* NULL where native 3.5 survives it (README lists where it does not) */
    NULLCALL("null.is_listener", SSL_is_listener(NULL));
    NULLCALL("null.is_connection", SSL_is_connection(NULL));
    NULLCALL("null.get0_listener", SSL_get0_listener(NULL) != NULL);
    NULLCALL("null.queue_len", SSL_get_accept_connection_queue_len(NULL));
    NULLCALL("null.accept_connection", SSL_accept_connection(NULL, 0) != NULL);
    NULLCALL("null.listen", SSL_listen(NULL));
    NULLCALL("null.new_from_listener", SSL_new_from_listener(NULL, 0) != NULL);
    NULLCALL("null.domain_flags.out", SSL_get_domain_flags(L, NULL));
    NULLCALL("null.conn_close_info", SSL_get_conn_close_info(L, NULL, 0));

    /* --- a client connects --- */
    if ((C = conf_client_conn(cctx, port, &cfd)) == NULL)
        return ERR_print_errors_fp(stderr), 1;
    kinds("C", C);
    val("C.set_blocking_0", SSL_set_blocking_mode(C, 0));
    val("C.max_pending_conns.set",
        SSL_set_generic_value_uint(C, SSL_VALUE_QUIC_MAX_PENDING_CONNS, 8));
    io("C.connect.first", C, SSL_connect(C));
    UNTIL((r = SSL_connect(C)) == 1, L, C);
    io("C.connect.eventually", C, r);
    val("C.is_server.connected", SSL_is_server(C));
    UNTIL(SSL_get_accept_connection_queue_len(L) > 0, L, C);
    val("L.queue_len.after_connect",
        (long long)SSL_get_accept_connection_queue_len(L));
    if ((A = acc("L.accept.ready", L, SSL_ACCEPT_CONNECTION_NO_BLOCK)) == NULL)
        return 1;
    val("L.queue_len.after_accept",
        (long long)SSL_get_accept_connection_queue_len(L));
    kinds("A", A);
    SSL_get0_alpn_selected(A, &alpn, &alen);
    sn = SSL_get_servername(A, TLSEXT_NAMETYPE_host_name);
    printf("A.tls: alpn=%.*s servername=%s version=0x%x %s\n", (int)alen,
           alen ? (const char *)alpn : "", sn ? sn : "NULL", SSL_version(A),
           SSL_get_version(A));
    printf("C.tls: version=0x%x %s\n", SSL_version(C), SSL_get_version(C));
    ERR_clear_error();

    /* --- one exchange on the default stream --- */
    io("C.write_ex", C, SSL_write_ex(C, "ping", 4, &got));
    UNTIL((r = SSL_read_ex(A, buf, sizeof(buf), &got)) == 1, L, C);
    printf("A.read_ex: ret=%d data=%.*s\n", r, r ? (int)got : 0, buf);
    printf("stream_id: A=%llu C=%llu\n",
           (unsigned long long)SSL_get_stream_id(A),
           (unsigned long long)SSL_get_stream_id(C));
    io("A.write_ex", A, SSL_write_ex(A, "pong", 4, &got));
    UNTIL((r = SSL_read_ex(C, buf, sizeof(buf), &got)) == 1, L, C);
    printf("C.read_ex: ret=%d data=%.*s\n", r, r ? (int)got : 0, buf);
    timeout_of("A.event_timeout.open", A);

    /* --- the client closes without a FIN on the stream --- */
    UNTIL((r = SSL_shutdown(C)) == 1, L, C);
    val("C.shutdown.eventually", r);
    UNTIL(SSL_read_ex(A, buf, sizeof(buf), &got) == 1 ||
              SSL_get_error(A, 0) != SSL_ERROR_WANT_READ,
          L, C);
    io("A.read_ex.after_peer_shutdown", A,
       SSL_read_ex(A, buf, sizeof(buf), &got));
    printf("A.after_close: read=%d write=%d get_shutdown=%d\n",
           SSL_get_stream_read_state(A), SSL_get_stream_write_state(A),
           SSL_get_shutdown(A));
    close_info("A.close_info", A);
    close_info("C.close_info", C);
    io("A.write_ex.after_peer_shutdown", A, SSL_write_ex(A, "x", 1, &got));
    UNTIL((r = SSL_shutdown(A)) == 1, L, C);
    val("A.shutdown.eventually", r);
    timeout_of("L.event_timeout.after_close", L);

    /* --- the listener goes first; its connection keeps it --- */
    SSL_free(L); /* L keeps its value: compared, never dereferenced */
    obj("A.get0_listener.after_listener_free", SSL_get0_listener(A), A);
    SSL_free(A);
    SSL_free(C);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    close(cfd);
    close(fd);
    printf("end\n");
    return 0;
}
