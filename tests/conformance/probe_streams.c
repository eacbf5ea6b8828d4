/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prints, one "key: value" line each, what the stream, SSL_poll, value,
 * shutdown and close-info APIs observably do on a fixed script (OpenSSL
 * 3.5's API only): probe_streams --cert F --key F
 *
 * Sections: streams (states, errors, reset, STOP_SENDING, incoming stream
 * policy), poll (each SSL_POLL_EVENT_* situation and bad items), values
 * (every SSL_VALUE_* in each class), shutdown (each SSL_shutdown_ex flag)
 * and close info (application close, idle timeout, transport error).
 * Server and client connections share this process, non-blocking, driven
 * from poll(2).  The output holds no addresses, ports or timings: native
 * 3.5 and sslquic builds must print the same lines.  An error is printed as
 * the reason string of the first error on the queue.
 */
#include <sys/wait.h>
#include <time.h>

#include "conformance.h"

static SSL *L;      /* the listener every connection comes from */
static SSL *drv[8]; /* client connections the event loop ticks */
static int ndrv;

/* sslquic's ERR library (src/error.c) words some reasons differently from
 * libssl's.  Each pair names an sslquic text and the OpenSSL 3.5 reason it
 * stands for, so that only a different reason, not a different wording,
 * shows up as a difference.  Texts not listed are printed as they are. */
static const char *const same_reason[][2] = {
    {"not a connection", "conn use only"},
    {"no default stream", "no stream"},
    {"unsupported value class", "unsupported config value class"},
    {"unsupported value", "unsupported config value"},
    {"value is read-only", "unsupported config value op"},
    {"connection closed", "protocol is shutdown"},
    {"not connected", "feature negotiation not complete"},
    {"already connected", "feature not renegotiable"},
    {"operation not supported", "unsupported"},
};

/* The first queued error's reason text ("-": none); clears the queue. */
static const char *reason(void)
{
    unsigned long e = ERR_peek_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : "-";
    size_t i;

    ERR_clear_error();
    if (r == NULL)
        return "?";
    for (i = 0; i < sizeof(same_reason) / sizeof(same_reason[0]); i++)
        if (strcmp(r, same_reason[i][0]) == 0)
            return same_reason[i][1];
    return r;
}

/* An I/O call's answer: return value, SSL_get_error, first reason. */
static void io(const char *key, SSL *s, int ret)
{
    int e = SSL_get_error(s, ret);

    printf("%s: ret=%d err=%s reason=%s\n", key, ret, conf_err_name(e),
           reason());
}

static void val(const char *key, long long v)
{
    printf("%s: %lld reason=%s\n", key, v, reason());
}

static const char *state_name(int st)
{
    static const char *const n[] = {"NONE",       "OK",          "WRONG_DIR",
                                    "FINISHED",   "RESET_LOCAL", "RESET_REMOTE",
                                    "CONN_CLOSED"};

    return st >= 0 && st < 7 ? n[st] : "?";
}

/* Both directions' states and error codes of a stream (or connection). */
static void states(const char *key, SSL *s)
{
    uint64_t rc = 999, wc = 999;
    int rs = SSL_get_stream_read_state(s), ws = SSL_get_stream_write_state(s);
    int rr = SSL_get_stream_read_error_code(s, &rc);
    int wr = SSL_get_stream_write_error_code(s, &wc);

    printf("%s: read=%s write=%s read_ec=%d/%llu write_ec=%d/%llu "
           "reason=%s\n",
           key, state_name(rs), state_name(ws), rr,
           rr == 1 ? (unsigned long long)rc : 0, wr,
           wr == 1 ? (unsigned long long)wc : 0, reason());
}

static void ident(const char *key, SSL *s)
{
    uint64_t id = SSL_get_stream_id(s);
    int t = SSL_get_stream_type(s), l = SSL_is_stream_local(s);
    int isc = SSL_is_connection(s);

    printf("%s: id=%lld type=%d local=%d is_connection=%d conn=%s "
           "reason=%s\n",
           key, id == UINT64_MAX ? -1LL : (long long)id, t, l, isc,
           SSL_get0_connection(s) == s      ? "self"
           : SSL_get0_connection(s) == NULL ? "NULL"
                                            : "other",
           reason());
}

static void close_info(const char *key, SSL *s)
{
    SSL_CONN_CLOSE_INFO ci;
    int r;

    memset(&ci, 0, sizeof(ci));
    r = SSL_get_conn_close_info(s, &ci, sizeof(ci));
    printf("%s: ret=%d local=%d transport=%d code=0x%llx reason=\"%.*s\" "
           "errq=%s\n",
           key, r, (ci.flags & SSL_CONN_CLOSE_FLAG_LOCAL) != 0,
           (ci.flags & SSL_CONN_CLOSE_FLAG_TRANSPORT) != 0,
           (unsigned long long)ci.error_code,
           (ci.flags & SSL_CONN_CLOSE_FLAG_TRANSPORT) ? 0 : (int)ci.reason_len,
           ci.reason != NULL ? ci.reason : "", reason());
}

/* One round of the event loop: tick everything, then sleep in poll(2)
 * until a socket is readable or the earliest deadline. */
static void drive(void)
{
    struct pollfd p[10];
    nfds_t n = 0;
    int ms = 20, i;

    SSL_handle_events(L);
    for (i = 0; i < ndrv; i++)
        SSL_handle_events(drv[i]);
    conf_poll_add(L, p, &n, 10, &ms);
    for (i = 0; i < ndrv; i++)
        conf_poll_add(drv[i], p, &n, 10, &ms);
    ERR_clear_error();
    poll(p, n, ms > 20 ? 20 : ms);
}

/* Gives up on a condition after 20 s of wall-clock time (a generous bound:
 * every wait here is for a packet exchange or a timer of at most 1 s). */
static int until_n;
static int in_time(void)
{
    static struct timespec start;
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    if (until_n == 0)
        start = now;
    return now.tv_sec - start.tv_sec < 20;
}
#define UNTIL(cond)                                                            \
    for (until_n = 0; !(cond) && in_time(); until_n++)                         \
    drive()
/* The same, then one line saying whether the condition came true. */
#define UNTIL_SAY(key, cond)                                                   \
    do {                                                                       \
        UNTIL(cond);                                                           \
        printf("%s: %s\n", key, (cond) ? "yes" : "timeout");                   \
        ERR_clear_error();                                                     \
    } while (0)

static SSL_CTX *sctx, *cctx;
static unsigned port;
static int cfds[8];

/* A connected client/server pair; the client is driven from now on. */
static int pair(SSL **c, SSL **a, uint32_t cmode, uint64_t idle_ms)
{
    int fd, r;

    if ((*c = conf_client_conn(cctx, port, &fd)) == NULL)
        return 0;
    cfds[ndrv] = fd;
    drv[ndrv++] = *c;
    SSL_set_blocking_mode(*c, 0);
    SSL_set_default_stream_mode(*c, cmode);
    if (idle_ms != 0)
        SSL_set_feature_request_uint(*c, SSL_VALUE_QUIC_IDLE_TIMEOUT, idle_ms);
    UNTIL((r = SSL_connect(*c)) == 1 || SSL_get_error(*c, r) == SSL_ERROR_SSL);
    if (r != 1)
        return 0;
    *a = NULL;
    UNTIL((*a = SSL_accept_connection(L, SSL_ACCEPT_CONNECTION_NO_BLOCK)) !=
          NULL);
    if (*a == NULL)
        return 0;
    SSL_set_blocking_mode(*a, 0);
    printf("pair.accepted.handshake_done: %d\n", SSL_is_init_finished(*a));
    UNTIL((r = SSL_do_handshake(*a)) == 1);
    ERR_clear_error();
    return r == 1;
}

static SSL *accept_stream(SSL *a)
{
    SSL *s = NULL;

    UNTIL((s = SSL_accept_stream(a, SSL_ACCEPT_STREAM_NO_BLOCK)) != NULL);
    ERR_clear_error();
    return s;
}

/* Reads until |want| bytes, an end or an error; prints what came. */
static void read_all(const char *key, SSL *s, size_t want)
{
    char buf[256];
    size_t got = 0, n;
    int r = 0, e = SSL_ERROR_NONE;

    for (until_n = 0; in_time() && got < want; until_n++) {
        r = SSL_read_ex(s, buf + got, sizeof(buf) - got, &n);
        if (r == 1) {
            got += n;
            continue;
        }
        if ((e = SSL_get_error(s, r)) != SSL_ERROR_WANT_READ)
            break;
        drive();
    }
    printf("%s: got=%zu data=%.*s last_err=%s reason=%s\n", key, got, (int)got,
           buf, r == 1 ? "NONE" : conf_err_name(e), reason());
}

/* Reads once more after everything, waiting for the end or an error. */
static void read_end(const char *key, SSL *s)
{
    char buf[16];
    size_t n = 0;
    int r = 0;

    UNTIL((r = SSL_read_ex(s, buf, sizeof(buf), &n)) == 1 ||
          SSL_get_error(s, r) != SSL_ERROR_WANT_READ);
    io(key, s, r);
}

static void wr(const char *key, SSL *s, const char *data)
{
    size_t n = 0;

    io(key, s, SSL_write_ex(s, data, strlen(data), &n));
}

/* ---- poll ----------------------------------------------------------- */

static const char *ev_names(uint64_t ev, char *buf)
{
    static const char *const n[] = {"F", "EL", "EC",  "ECD", "ER",  "EW", "R",
                                    "W", "IC", "ISB", "ISU", "OSB", "OSU"};
    size_t i;

    buf[0] = '\0';
    for (i = 0; i < 13; i++)
        if (ev & ((uint64_t)1 << i)) {
            if (buf[0] != '\0')
                strcat(buf, "|");
            strcat(buf, n[i]);
        }
    if (buf[0] == '\0')
        strcpy(buf, "none");
    return buf;
}

/* SSL_poll with a zero timeout on one object asking for |events|. */
static uint64_t poll1(SSL *s, uint64_t events)
{
    SSL_POLL_ITEM it;
    struct timeval tv = {0, 0};
    size_t rc = 0;

    memset(&it, 0, sizeof(it));
    it.desc = SSL_as_poll_descriptor(s);
    it.events = events;
    if (!SSL_poll(&it, 1, sizeof(it), &tv, 0, &rc))
        return UINT64_MAX;
    return it.revents;
}

/* 1 when SSL_poll reports every event of |want| on |s|. */
static int has_ev(SSL *s, uint64_t want)
{
    uint64_t ev = poll1(s, want);

    return ev != UINT64_MAX && (ev & want) == want;
}

static void pollp(const char *key, SSL *s, uint64_t events)
{
    char b[128];
    uint64_t ev = poll1(s, events);

    if (ev == UINT64_MAX)
        printf("%s: failed reason=%s\n", key, reason());
    else
        printf("%s: %s reason=%s\n", key, ev_names(ev, b), reason());
}

/* Waits until SSL_poll reports every event of |want| on |s|, then prints
 * the events of |events| it reports. */
static void poll_when(const char *key, SSL *s, uint64_t events, uint64_t want)
{
    uint64_t ev = 0;

    UNTIL(((ev = poll1(s, events)) & want) == want && ev != UINT64_MAX);
    if (ev == UINT64_MAX || (ev & want) != want)
        printf("%s.wait: timeout\n", key);
    ERR_clear_error();
    pollp(key, s, events);
}

/* ---- values --------------------------------------------------------- */

static void get_values(const char *name, SSL *s)
{
    static const uint32_t ids[] = {SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL,
                                   SSL_VALUE_QUIC_STREAM_BIDI_REMOTE_AVAIL,
                                   SSL_VALUE_QUIC_STREAM_UNI_LOCAL_AVAIL,
                                   SSL_VALUE_QUIC_STREAM_UNI_REMOTE_AVAIL,
                                   SSL_VALUE_QUIC_IDLE_TIMEOUT,
                                   SSL_VALUE_EVENT_HANDLING_MODE,
                                   SSL_VALUE_STREAM_WRITE_BUF_SIZE,
                                   SSL_VALUE_STREAM_WRITE_BUF_USED,
                                   SSL_VALUE_STREAM_WRITE_BUF_AVAIL,
                                   SSL_VALUE_QUIC_MAX_PENDING_CONNS,
                                   0,
                                   99};
    uint32_t c;
    size_t i;

    for (c = 0; c <= 4; c++)
        for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
            uint64_t v = 12345;
            int r = SSL_get_value_uint(s, c, ids[i], &v);

            /* Idle timeouts are compared only as zero / non-zero
             * elsewhere; here the value is one the probe set. */
            printf("values.%s.get.c%u.id%u: ret=%d v=%lld reason=%s\n", name, c,
                   ids[i], r, r ? (long long)v : -1LL, reason());
        }
}

static void set_value(const char *key, SSL *s, uint32_t c, uint32_t id,
                      uint64_t v)
{
    int r = SSL_set_value_uint(s, c, id, v);

    printf("%s: ret=%d reason=%s\n", key, r, reason());
}

/* ---- bad poll items --------------------------------------------------- */

static void bad_polls(SSL *c, SSL *stream)
{
    SSL_POLL_ITEM it[2];
    struct timeval tv = {0, 0};
    size_t rc = 99;
    int r;
    SSL_CTX *tctx = SSL_CTX_new(TLS_client_method());
    SSL *tls = tctx != NULL ? SSL_new(tctx) : NULL;
    char b[128];
    pid_t pid;
    int st;

    memset(it, 0, sizeof(it));
    it[0].desc.type = BIO_POLL_DESCRIPTOR_TYPE_SSL;
    it[0].desc.value.ssl = NULL;
    it[0].events = SSL_POLL_EVENT_R;
    r = SSL_poll(it, 1, sizeof(it[0]), &tv, 0, &rc);
    printf("poll.bad.null_ssl: ret=%d count=%zu revents=%s reason=%s\n", r, rc,
           ev_names(it[0].revents, b), reason());

    memset(it, 0, sizeof(it));
    rc = 99;
    it[0].desc.type = BIO_POLL_DESCRIPTOR_TYPE_SOCK_FD;
    it[0].desc.value.fd = cfds[0];
    it[0].events = SSL_POLL_EVENT_R;
    r = SSL_poll(it, 1, sizeof(it[0]), &tv, 0, &rc);
    printf("poll.bad.sock_fd: ret=%d count=%zu revents=%s reason=%s\n", r, rc,
           ev_names(it[0].revents, b), reason());

    memset(it, 0, sizeof(it));
    rc = 99;
    it[0].desc.type = BIO_POLL_DESCRIPTOR_TYPE_NONE;
    it[0].events = SSL_POLL_EVENT_R;
    r = SSL_poll(it, 1, sizeof(it[0]), &tv, 0, &rc);
    printf("poll.bad.type_none: ret=%d count=%zu revents=%s reason=%s\n", r, rc,
           ev_names(it[0].revents, b), reason());

    if (tls != NULL) {
        memset(it, 0, sizeof(it));
        rc = 99;
        it[0].desc = SSL_as_poll_descriptor(tls);
        it[0].events = SSL_POLL_EVENT_R;
        r = SSL_poll(it, 1, sizeof(it[0]), &tv, 0, &rc);
        printf("poll.bad.tls_object: ret=%d count=%zu revents=%s reason=%s\n",
               r, rc, ev_names(it[0].revents, b), reason());
    }

    memset(it, 0, sizeof(it));
    rc = 99;
    it[0].desc = SSL_as_poll_descriptor(c);
    it[0].events = SSL_POLL_EVENT_OSB;
    it[1].desc = SSL_as_poll_descriptor(stream);
    it[1].events = SSL_POLL_EVENT_W;
    r = SSL_poll(it, 2, sizeof(it[0]) - 8, &tv, 0, &rc);
    printf("poll.bad.small_stride: ret=%d count=%zu reason=%s\n", r, rc,
           reason());
    rc = 99;
    r = SSL_poll(it, 2, sizeof(it[0]), &tv, 0, &rc);
    printf("poll.good.two_items: ret=%d count=%zu revents=%s", r, rc,
           ev_names(it[0].revents, b));
    printf(",%s reason=%s\n", ev_names(it[1].revents, b), reason());
    rc = 99;
    r = SSL_poll(it, 2, sizeof(it[0]), &tv, SSL_POLL_FLAG_NO_HANDLE_EVENTS,
                 &rc);
    printf("poll.good.no_handle_events: ret=%d count=%zu reason=%s\n", r, rc,
           reason());
    rc = 99;
    r = SSL_poll(it, 2, sizeof(it[0]), &tv, 1U << 7, &rc);
    printf("poll.bad.unknown_flag: ret=%d count=%zu reason=%s\n", r, rc,
           reason());
    rc = 99;
    r = SSL_poll(NULL, 0, sizeof(it[0]), &tv, 0, &rc);
    printf("poll.empty: ret=%d count=%zu reason=%s\n", r, rc, reason());
    /* native 3.5.9 dereferences a NULL item array: in a child */
    fflush(stdout);
    if ((pid = fork()) == 0) {
        rc = 99;
        r = SSL_poll(NULL, 1, sizeof(it[0]), &tv, 0, &rc);
        printf("poll.bad.null_items: ret=%d count=%zu reason=%s\n", r, rc,
               reason());
        _exit(0);
    }
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
        printf("poll.bad.null_items: crash\n");
    it[0].events = 0;
    it[1].events = 0;
    rc = 99;
    r = SSL_poll(it, 2, sizeof(it[0]), &tv, 0, &rc);
    printf("poll.no_events: ret=%d count=%zu reason=%s\n", r, rc, reason());
    SSL_free(tls);
    SSL_CTX_free(tctx);
}

int main(int argc, char **argv)
{
    SSL *C, *A, *S1, *U1, *S2, *S3, *AS1, *AU1, *AS2, *AS3, *x;
    SSL *C2, *A2, *C3, *A3, *C4, *A4, *C5, *A5, *C6, *A6, *S4, *U4, *D;
    SSL_STREAM_RESET_ARGS ra;
    SSL_SHUTDOWN_EX_ARGS sa;
    size_t n;
    int fd, r, i;
    char buf[16];

    if (argc != 5 || !conf_arg_is(argv[1], "--cert"))
        return fprintf(stderr, "usage: probe_streams --cert F --key F\n"), 2;
    sctx = conf_server_ctx(argv[2], argv[4]);
    cctx = conf_client_ctx(NULL);
    if (sctx == NULL || cctx == NULL || (fd = conf_udp_socket(0, &port)) < 0 ||
        (L = SSL_new_listener(sctx, 0)) == NULL || !SSL_set_fd(L, fd) ||
        !SSL_set_blocking_mode(L, 0) || !SSL_listen(L))
        return ERR_print_errors_fp(stderr), 1;
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* ---- values before anything connects ---- */
    get_values("L", L);
    if ((C = conf_client_conn(cctx, port, &cfds[0])) == NULL)
        return ERR_print_errors_fp(stderr), 1;
    drv[ndrv++] = C;
    SSL_set_blocking_mode(C, 0);
    get_values("Cpre", C);
    set_value("values.Cpre.set.idle_req", C, SSL_VALUE_CLASS_FEATURE_REQUEST,
              SSL_VALUE_QUIC_IDLE_TIMEOUT, 20000);
    set_value("values.Cpre.set.idle_generic", C, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_QUIC_IDLE_TIMEOUT, 20000);
    set_value("values.Cpre.set.idle_peer", C,
              SSL_VALUE_CLASS_FEATURE_PEER_REQUEST, SSL_VALUE_QUIC_IDLE_TIMEOUT,
              20000);
    set_value("values.Cpre.set.idle_negotiated", C,
              SSL_VALUE_CLASS_FEATURE_NEGOTIATED, SSL_VALUE_QUIC_IDLE_TIMEOUT,
              20000);
    set_value("values.Cpre.set.mode_explicit", C, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_EVENT_HANDLING_MODE,
              SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT);
    set_value("values.Cpre.set.mode_implicit", C, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_EVENT_HANDLING_MODE,
              SSL_VALUE_EVENT_HANDLING_MODE_IMPLICIT);
    set_value("values.Cpre.set.mode_inherit", C, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_EVENT_HANDLING_MODE,
              SSL_VALUE_EVENT_HANDLING_MODE_INHERIT);
    set_value("values.Cpre.set.mode_3", C, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_EVENT_HANDLING_MODE, 3);
    set_value("values.Cpre.set.bidi_avail", C, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL, 5);
    set_value("values.Cpre.set.max_pending", C, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_QUIC_MAX_PENDING_CONNS, 5);
    set_value("values.Cpre.set.buf_size", C, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_STREAM_WRITE_BUF_SIZE, 5);
    set_value("values.Cpre.set.unknown", C, SSL_VALUE_CLASS_GENERIC, 99, 5);
    set_value("values.Cpre.set.class_9", C, 9, SSL_VALUE_QUIC_IDLE_TIMEOUT, 5);
    set_value("values.L.set.idle_req", L, SSL_VALUE_CLASS_FEATURE_REQUEST,
              SSL_VALUE_QUIC_IDLE_TIMEOUT, 25000);
    set_value("values.L.set.mode_explicit", L, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_EVENT_HANDLING_MODE,
              SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT);
    set_value("values.L.set.mode_implicit", L, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_EVENT_HANDLING_MODE,
              SSL_VALUE_EVENT_HANDLING_MODE_IMPLICIT);

    /* ---- connect; poll the listener and the new connection ---- */
    pollp("poll.L.idle", L,
          SSL_POLL_EVENT_IC | SSL_POLL_EVENT_EL | SSL_POLL_EVENT_F);
    val("streams.C.set_default_stream_mode_none",
        SSL_set_default_stream_mode(C, SSL_DEFAULT_STREAM_MODE_NONE));
    val("streams.C.set_default_stream_mode_9",
        SSL_set_default_stream_mode(C, 9));
    io("streams.C.connect.first", C, SSL_connect(C));
    UNTIL((r = SSL_connect(C)) == 1);
    io("streams.C.connect", C, r);
    poll_when("poll.L.incoming", L,
              SSL_POLL_EVENT_IC | SSL_POLL_EVENT_EL | SSL_POLL_EVENT_F,
              SSL_POLL_EVENT_IC);
    UNTIL((A = SSL_accept_connection(L, SSL_ACCEPT_CONNECTION_NO_BLOCK)) !=
          NULL);
    if (A == NULL)
        return printf("accept failed\n"), 1;
    ERR_clear_error();
    pollp("poll.L.after_accept", L, SSL_POLL_EVENT_IC | SSL_POLL_EVENT_EL);
    val("streams.A.set_default_stream_mode_none",
        SSL_set_default_stream_mode(A, SSL_DEFAULT_STREAM_MODE_NONE));
    val("streams.A.set_policy_accept",
        SSL_set_incoming_stream_policy(A, SSL_INCOMING_STREAM_POLICY_ACCEPT,
                                       0));
    val("streams.A.set_policy_7", SSL_set_incoming_stream_policy(A, 7, 0));
    pollp("poll.C.established", C,
          SSL_POLL_EVENT_OSB | SSL_POLL_EVENT_OSU | SSL_POLL_EVENT_EC |
              SSL_POLL_EVENT_ECD | SSL_POLL_EVENT_R | SSL_POLL_EVENT_W |
              SSL_POLL_EVENT_ISB | SSL_POLL_EVENT_ISU);
    pollp("poll.A.established", A,
          SSL_POLL_EVENT_OSB | SSL_POLL_EVENT_OSU | SSL_POLL_EVENT_EC |
              SSL_POLL_EVENT_ISB | SSL_POLL_EVENT_ISU);
    get_values("C", C);
    get_values("A", A);
    set_value("values.C.set.idle_req_after", C, SSL_VALUE_CLASS_FEATURE_REQUEST,
              SSL_VALUE_QUIC_IDLE_TIMEOUT, 10000);

    /* ---- the connection object without a default stream ---- */
    ident("streams.C.ident", C);
    states("streams.C.states", C);
    wr("streams.C.write_no_default", C, "x");
    io("streams.C.read_no_default", C, SSL_read_ex(C, buf, sizeof(buf), &n));
    io("streams.C.conclude_no_default", C, SSL_stream_conclude(C, 0));

    /* ---- streams the client opens ---- */
    S1 = SSL_new_stream(C, 0);
    val("streams.S1.new", S1 != NULL);
    U1 = SSL_new_stream(C, SSL_STREAM_FLAG_UNI);
    val("streams.U1.new", U1 != NULL);
    if (S1 == NULL || U1 == NULL)
        return 1;
    ident("streams.S1.ident", S1);
    ident("streams.U1.ident", U1);
    states("streams.S1.states.fresh", S1);
    states("streams.U1.states.fresh", U1);
    pollp("poll.S1.fresh", S1,
          SSL_POLL_EVENT_R | SSL_POLL_EVENT_W | SSL_POLL_EVENT_ER |
              SSL_POLL_EVENT_EW);
    pollp("poll.U1.fresh", U1,
          SSL_POLL_EVENT_R | SSL_POLL_EVENT_W | SSL_POLL_EVENT_ER |
              SSL_POLL_EVENT_EW);
    get_values("S1", S1);
    set_value("values.S1.set.mode_explicit", S1, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_EVENT_HANDLING_MODE,
              SSL_VALUE_EVENT_HANDLING_MODE_EXPLICIT);
    set_value("values.S1.set.mode_inherit", S1, SSL_VALUE_CLASS_GENERIC,
              SSL_VALUE_EVENT_HANDLING_MODE,
              SSL_VALUE_EVENT_HANDLING_MODE_INHERIT);
    io("streams.U1.read", U1, SSL_read_ex(U1, buf, sizeof(buf), &n));
    io("streams.U1.peek", U1, SSL_peek_ex(U1, buf, sizeof(buf), &n));
    io("streams.S1.read.nothing_yet", S1,
       SSL_read_ex(S1, buf, sizeof(buf), &n));
    val("streams.S1.pending.nothing_yet", SSL_pending(S1));
    wr("streams.S1.write", S1, "hello");
    wr("streams.U1.write", U1, "uni");
    val("streams.S1.accept_stream", SSL_accept_stream(S1, 0) != NULL);
    val("streams.S1.new_stream", SSL_new_stream(S1, 0) != NULL);
    val("streams.S1.queue_len", (long long)SSL_get_accept_stream_queue_len(S1));
    val("streams.S1.set_default_stream_mode",
        SSL_set_default_stream_mode(S1, SSL_DEFAULT_STREAM_MODE_NONE));
    val("streams.S1.set_policy", SSL_set_incoming_stream_policy(
                                     S1, SSL_INCOMING_STREAM_POLICY_ACCEPT, 0));
    close_info("close.S1.open", S1);
    close_info("close.C.open", C);

    /* ---- the server sees them ---- */
    poll_when("poll.A.incoming", A,
              SSL_POLL_EVENT_ISB | SSL_POLL_EVENT_ISU | SSL_POLL_EVENT_EC,
              SSL_POLL_EVENT_ISB | SSL_POLL_EVENT_ISU);
    UNTIL(SSL_get_accept_stream_queue_len(A) >= 2);
    val("streams.A.queue_len", (long long)SSL_get_accept_stream_queue_len(A));
    AS1 = SSL_accept_stream(A, SSL_ACCEPT_STREAM_NO_BLOCK);
    AU1 = SSL_accept_stream(A, SSL_ACCEPT_STREAM_NO_BLOCK);
    ERR_clear_error();
    if (AS1 == NULL || AU1 == NULL)
        return printf("accept_stream failed\n"), 1;
    x = SSL_accept_stream(A, SSL_ACCEPT_STREAM_NO_BLOCK);
    val("streams.A.accept_stream.empty", x != NULL);
    pollp("poll.A.after_accept", A, SSL_POLL_EVENT_ISB | SSL_POLL_EVENT_ISU);
    ident("streams.AS1.ident", AS1);
    ident("streams.AU1.ident", AU1);
    states("streams.AU1.states", AU1);
    poll_when("poll.AS1.readable", AS1,
              SSL_POLL_EVENT_R | SSL_POLL_EVENT_W | SSL_POLL_EVENT_ER |
                  SSL_POLL_EVENT_EW,
              SSL_POLL_EVENT_R);
    r = SSL_peek_ex(AS1, buf, 2, &n);
    printf("streams.AS1.peek: ret=%d n=%zu data=%.*s\n", r, n, (int)n, buf);
    val("streams.AS1.pending", SSL_pending(AS1));
    val("streams.AS1.has_pending", SSL_has_pending(AS1));
    read_all("streams.AS1.read", AS1, 5);
    read_all("streams.AU1.read", AU1, 3);
    wr("streams.AU1.write", AU1, "x");
    io("streams.AU1.conclude", AU1, SSL_stream_conclude(AU1, 0));

    /* ---- conclude, then write again ---- */
    io("streams.S1.conclude", S1, SSL_stream_conclude(S1, 0));
    io("streams.S1.conclude.again", S1, SSL_stream_conclude(S1, 0));
    states("streams.S1.states.concluded", S1);
    wr("streams.S1.write_after_conclude", S1, "more");
    pollp("poll.S1.concluded", S1, SSL_POLL_EVENT_W | SSL_POLL_EVENT_EW);
    io("streams.U1.write_ex2_conclude", U1,
       SSL_write_ex2(U1, "!", 1, SSL_WRITE_FLAG_CONCLUDE, &n));
    states("streams.U1.states.concluded", U1);
    read_end("streams.AS1.read_end", AS1);
    states("streams.AS1.states.fin", AS1);
    pollp("poll.AS1.fin", AS1, SSL_POLL_EVENT_R | SSL_POLL_EVENT_ER);
    read_all("streams.AU1.read_rest", AU1, 1);
    read_end("streams.AU1.read_end", AU1);
    states("streams.AU1.states.fin", AU1);
    wr("streams.AS1.write", AS1, "world");
    io("streams.AS1.conclude", AS1, SSL_stream_conclude(AS1, 0));
    read_all("streams.S1.read", S1, 5);
    read_end("streams.S1.read_end", S1);
    states("streams.S1.states.done", S1);
    io("streams.S1.read_after_end", S1, SSL_read_ex(S1, buf, sizeof(buf), &n));

    /* ---- reset: RESET_STREAM with a code ---- */
    S2 = SSL_new_stream(C, 0);
    wr("streams.S2.write", S2, "abc");
    AS2 = accept_stream(A);
    val("streams.AS2.accepted", AS2 != NULL);
    if (AS2 == NULL)
        return 1;
    read_all("streams.AS2.read", AS2, 3);
    memset(&ra, 0, sizeof(ra));
    ra.quic_error_code = 42;
    io("streams.S2.reset", S2, SSL_stream_reset(S2, &ra, sizeof(ra)));
    states("streams.S2.states.reset", S2);
    wr("streams.S2.write_after_reset", S2, "d");
    io("streams.S2.conclude_after_reset", S2, SSL_stream_conclude(S2, 0));
    io("streams.S2.reset.again", S2, SSL_stream_reset(S2, NULL, 0));
    states("streams.S2.states.reset_again", S2);
    pollp("poll.S2.reset_local", S2,
          SSL_POLL_EVENT_W | SSL_POLL_EVENT_EW | SSL_POLL_EVENT_R |
              SSL_POLL_EVENT_ER);
    read_end("streams.AS2.read_after_reset", AS2);
    states("streams.AS2.states.reset", AS2);
    io("streams.AS2.read_again", AS2, SSL_read_ex(AS2, buf, sizeof(buf), &n));
    poll_when("poll.AS2.reset_remote", AS2,
              SSL_POLL_EVENT_R | SSL_POLL_EVENT_ER | SSL_POLL_EVENT_W |
                  SSL_POLL_EVENT_EW,
              SSL_POLL_EVENT_ER);
    /* the server resets its sending half too, with a default code */
    io("streams.AS2.reset", AS2, SSL_stream_reset(AS2, NULL, 0));
    UNTIL(SSL_get_stream_read_state(S2) == SSL_STREAM_STATE_RESET_REMOTE);
    ERR_clear_error();
    states("streams.S2.states.both_reset", S2);
    io("streams.S2.read_after_reset", S2,
       SSL_read_ex(S2, buf, sizeof(buf), &n));

    /* ---- a stream freed unread: STOP_SENDING ---- */
    S3 = SSL_new_stream(C, 0);
    wr("streams.S3.write", S3, "zz");
    AS3 = accept_stream(A);
    val("streams.AS3.accepted", AS3 != NULL);
    SSL_free(AS3);
    UNTIL(SSL_get_stream_write_state(S3) != SSL_STREAM_STATE_OK);
    ERR_clear_error();
    states("streams.S3.states.peer_freed", S3);
    wr("streams.S3.write_after_stop", S3, "zz");
    poll_when("poll.S3.stop_sending", S3, SSL_POLL_EVENT_W | SSL_POLL_EVENT_EW,
              SSL_POLL_EVENT_EW);
    UNTIL(SSL_get_stream_read_state(S3) != SSL_STREAM_STATE_OK);
    ERR_clear_error();
    states("streams.S3.states.peer_freed_later", S3);

    /* ---- incoming stream policy REJECT ---- */
    val("streams.A.set_policy_reject",
        SSL_set_incoming_stream_policy(A, SSL_INCOMING_STREAM_POLICY_REJECT,
                                       77));
    S4 = SSL_new_stream(C, 0);
    U4 = SSL_new_stream(C, SSL_STREAM_FLAG_UNI);
    wr("streams.S4.write", S4, "rejected");
    wr("streams.U4.write", U4, "rejected");
    UNTIL(SSL_get_stream_write_state(S4) != SSL_STREAM_STATE_OK &&
          SSL_get_stream_write_state(U4) != SSL_STREAM_STATE_OK &&
          SSL_get_stream_read_state(S4) != SSL_STREAM_STATE_OK);
    ERR_clear_error();
    states("streams.S4.states.rejected", S4);
    states("streams.U4.states.rejected", U4);
    io("streams.S4.read.rejected", S4, SSL_read_ex(S4, buf, sizeof(buf), &n));
    x = SSL_accept_stream(A, SSL_ACCEPT_STREAM_NO_BLOCK);
    val("streams.A.accept_stream.rejected", x != NULL);
    SSL_free(x);
    val("streams.A.queue_len.rejected",
        (long long)SSL_get_accept_stream_queue_len(A));
    SSL_free(S4);
    SSL_free(U4);
    val("streams.A.set_policy_accept_again",
        SSL_set_incoming_stream_policy(A, SSL_INCOMING_STREAM_POLICY_ACCEPT,
                                       0));

    /* ---- AUTO: the first stream becomes the default, later ones are
     * rejected with code 0 ---- */
    if (!pair(&C2, &A2, SSL_DEFAULT_STREAM_MODE_AUTO_BIDI, 0))
        return printf("pair 2 failed\n"), 1;
    wr("streams.C2.write_default", C2, "dflt");
    ident("streams.C2.ident", C2);
    read_all("streams.A2.read_default", A2, 4);
    ident("streams.A2.ident", A2);
    S4 = SSL_new_stream(C2, 0);
    wr("streams.C2.S.write", S4, "second");
    UNTIL(SSL_get_stream_write_state(S4) != SSL_STREAM_STATE_OK);
    ERR_clear_error();
    states("streams.C2.S.states.auto", S4);
    val("streams.A2.queue_len.auto",
        (long long)SSL_get_accept_stream_queue_len(A2));
    SSL_free(S4);
    wr("streams.A2.write_default", A2, "back");
    read_all("streams.C2.read_default", C2, 4);
    states("streams.C2.states", C2);
    x = SSL_accept_stream(C2, SSL_ACCEPT_STREAM_NO_BLOCK);
    val("streams.C2.accept_stream", x != NULL);
    SSL_free(x);
    /* streams A2 rejects: the call's answer is what counts here */
    x = SSL_new_stream(C2, 1U << 9);
    val("streams.C2.new_stream_bad_flag", x != NULL);
    SSL_free(x);
    x = SSL_new_stream(C2, 0);
    ra.quic_error_code = 9;
    io("streams.C2.reset_short_args", x, SSL_stream_reset(x, &ra, 1));
    states("streams.C2.reset_short_args.states", x);
    SSL_free(x);

    /* ---- bad poll items ---- */
    bad_polls(C, S1);

    /* ---- application close: C closes with a code and a reason ---- */
    close_info("close.A.open", A);
    io("shutdown.S1", S1, SSL_shutdown_ex(S1, 0, NULL, 0));
    sa.quic_error_code = 123;
    sa.quic_reason = "bye now";
    r = SSL_shutdown_ex(C, SSL_SHUTDOWN_FLAG_NO_BLOCK, &sa, sizeof(sa));
    io("shutdown.C.first", C, r);
    UNTIL((r = SSL_shutdown_ex(C, SSL_SHUTDOWN_FLAG_NO_BLOCK, &sa,
                               sizeof(sa))) == 1);
    io("shutdown.C.eventually", C, r);
    close_info("close.C.app_local", C);
    UNTIL(has_ev(A, SSL_POLL_EVENT_EC));
    ERR_clear_error();
    close_info("close.A.app_remote", A);
    close_info("close.AS1.app_remote", AS1);
    /* Not ECD here: when the draining period ends depends on timing (a
     * loaded machine gets there first); poll.A.terminated waits for it. */
    pollp("poll.A.closed", A,
          SSL_POLL_EVENT_EC | SSL_POLL_EVENT_OSB | SSL_POLL_EVENT_ISB);
    pollp("poll.AS1.closed", AS1,
          SSL_POLL_EVENT_R | SSL_POLL_EVENT_W | SSL_POLL_EVENT_ER |
              SSL_POLL_EVENT_EW);
    states("streams.AS1.states.closed", AS1);
    states("streams.AU1.states.closed", AU1);
    states("streams.AS2.states.closed", AS2);
    states("streams.S1.states.closed", S1);
    states("streams.S2.states.closed", S2);
    states("streams.S3.states.closed", S3);
    states("streams.U1.states.closed", U1);
    io("streams.AS1.read.closed", AS1, SSL_read_ex(AS1, buf, sizeof(buf), &n));
    wr("streams.AS1.write.closed", AS1, "x");
    wr("streams.S3.write.closed", S3, "x");
    io("streams.S3.read.closed", S3, SSL_read_ex(S3, buf, sizeof(buf), &n));
    x = SSL_new_stream(A, SSL_STREAM_FLAG_NO_BLOCK);
    val("streams.A.new_stream.closed", x != NULL);
    SSL_free(x);
    x = SSL_accept_stream(A, SSL_ACCEPT_STREAM_NO_BLOCK);
    val("streams.A.accept_stream.closed", x != NULL);
    SSL_free(x);
    get_values("Aclosed", A);
    io("shutdown.C.again", C,
       SSL_shutdown_ex(C, SSL_SHUTDOWN_FLAG_NO_BLOCK, NULL, 0));
    UNTIL((r = SSL_shutdown_ex(A, SSL_SHUTDOWN_FLAG_NO_BLOCK, NULL, 0)) == 1);
    io("shutdown.A.after_peer", A, r);
    poll_when("poll.A.terminated", A, SSL_POLL_EVENT_EC | SSL_POLL_EVENT_ECD,
              SSL_POLL_EVENT_ECD);
    close_info("close.A.after_own_shutdown", A);

    /* ---- RAPID ---- */
    if (!pair(&C3, &A3, SSL_DEFAULT_STREAM_MODE_AUTO_BIDI, 0))
        return printf("pair 3 failed\n"), 1;
    wr("shutdown.C3.write", C3, "unacked");
    io("shutdown.C3.rapid", C3,
       SSL_shutdown_ex(C3, SSL_SHUTDOWN_FLAG_RAPID | SSL_SHUTDOWN_FLAG_NO_BLOCK,
                       NULL, 0));
    close_info("close.C3.rapid.first", C3);
    UNTIL((r = SSL_shutdown_ex(
               C3, SSL_SHUTDOWN_FLAG_RAPID | SSL_SHUTDOWN_FLAG_NO_BLOCK, NULL,
               0)) == 1);
    printf("shutdown.C3.rapid.eventually: %d\n", r);
    ERR_clear_error();
    close_info("close.C3.rapid", C3);
    UNTIL(has_ev(A3, SSL_POLL_EVENT_EC));
    ERR_clear_error();
    close_info("close.A3.rapid_remote", A3);

    /* ---- WAIT_PEER: done only once the peer closes ---- */
    if (!pair(&C4, &A4, SSL_DEFAULT_STREAM_MODE_AUTO_BIDI, 0))
        return printf("pair 4 failed\n"), 1;
    for (i = 0; i < 3; i++) {
        r = SSL_shutdown_ex(
            C4, SSL_SHUTDOWN_FLAG_WAIT_PEER | SSL_SHUTDOWN_FLAG_NO_BLOCK, NULL,
            0);
        drive();
    }
    io("shutdown.C4.wait_peer.before", C4, r);
    close_info("close.C4.wait_peer.before", C4);
    sa.quic_error_code = 5;
    sa.quic_reason = NULL;
    UNTIL((r = SSL_shutdown_ex(A4, SSL_SHUTDOWN_FLAG_NO_BLOCK, &sa,
                               sizeof(sa))) == 1);
    io("shutdown.A4.close", A4, r);
    UNTIL((r = SSL_shutdown_ex(
               C4, SSL_SHUTDOWN_FLAG_WAIT_PEER | SSL_SHUTDOWN_FLAG_NO_BLOCK,
               NULL, 0)) == 1);
    io("shutdown.C4.wait_peer.after", C4, r);
    close_info("close.C4.wait_peer.after", C4);
    close_info("close.A4.local", A4);

    /* ---- NO_STREAM_FLUSH with unacknowledged data ---- */
    if (!pair(&C5, &A5, SSL_DEFAULT_STREAM_MODE_AUTO_BIDI, 0))
        return printf("pair 5 failed\n"), 1;
    wr("shutdown.C5.write", C5, "data");
    UNTIL((r = SSL_shutdown_ex(C5,
                               SSL_SHUTDOWN_FLAG_NO_STREAM_FLUSH |
                                   SSL_SHUTDOWN_FLAG_NO_BLOCK,
                               NULL, 0)) == 1);
    io("shutdown.C5.no_stream_flush", C5, r);
    close_info("close.C5.no_stream_flush", C5);
    io("shutdown.C5.bad_flag", C5, SSL_shutdown_ex(C5, 1U << 9, NULL, 0));

    /* ---- idle timeout ---- */
    if (!pair(&C6, &A6, SSL_DEFAULT_STREAM_MODE_AUTO_BIDI, 1000))
        return printf("pair 6 failed\n"), 1;
    {
        uint64_t v = 0;

        r = SSL_get_feature_negotiated_uint(C6, SSL_VALUE_QUIC_IDLE_TIMEOUT,
                                            &v);
        printf("values.C6.idle.negotiated: ret=%d v=%llu reason=%s\n", r,
               (unsigned long long)v, reason());
        r = SSL_get_feature_request_uint(C6, SSL_VALUE_QUIC_IDLE_TIMEOUT, &v);
        printf("values.C6.idle.request: ret=%d v=%llu reason=%s\n", r,
               (unsigned long long)v, reason());
        r = SSL_get_feature_peer_request_uint(C6, SSL_VALUE_QUIC_IDLE_TIMEOUT,
                                              &v);
        printf("values.C6.idle.peer_request: ret=%d v=%llu reason=%s\n", r,
               (unsigned long long)v, reason());
        r = SSL_get_feature_peer_request_uint(A6, SSL_VALUE_QUIC_IDLE_TIMEOUT,
                                              &v);
        printf("values.A6.idle.peer_request: ret=%d v=%llu reason=%s\n", r,
               (unsigned long long)v, reason());
        r = SSL_get_feature_negotiated_uint(A6, SSL_VALUE_QUIC_IDLE_TIMEOUT,
                                            &v);
        printf("values.A6.idle.negotiated: ret=%d v=%llu reason=%s\n", r,
               (unsigned long long)v, reason());
    }
    /* OpenSSL 3.5 keeps a connection alive with PINGs while it is ticked:
     * the client goes quiet (not ticked) until the server gave up on it. */
    ndrv--;
    UNTIL_SAY("close.A6.idle.ended", has_ev(A6, SSL_POLL_EVENT_EC));
    ndrv++;
    UNTIL_SAY("close.C6.idle.ended", has_ev(C6, SSL_POLL_EVENT_EC));
    close_info("close.C6.idle", C6);
    close_info("close.A6.idle", A6);
    states("streams.C6.states.idle", C6);

    /* ---- transport error: the server refuses the ALPN ---- */
    {
        static const unsigned char bad_alpn[] = {3, 'x', 'y', 'z'};
        SSL *C7 = conf_client_conn(cctx, port, &cfds[ndrv]);

        if (C7 == NULL)
            return 1;
        drv[ndrv++] = C7;
        SSL_set_blocking_mode(C7, 0);
        SSL_set_alpn_protos(C7, bad_alpn, sizeof(bad_alpn));
        UNTIL((r = SSL_connect(C7)) == 1 ||
              SSL_get_error(C7, r) == SSL_ERROR_SSL);
        printf("close.C7.connect: ret=%d err=%s\n", r,
               conf_err_name(SSL_get_error(C7, r)));
        ERR_clear_error();
        close_info("close.C7.transport", C7);
        D = SSL_accept_connection(L, SSL_ACCEPT_CONNECTION_NO_BLOCK);
        val("close.L.accept_after_refusal", D != NULL);
        SSL_free(D);
    }

    for (i = 0; i < ndrv; i++)
        (void)SSL_shutdown_ex(drv[i], SSL_SHUTDOWN_FLAG_RAPID, NULL, 0);
    SSL_free(S1);
    SSL_free(U1);
    SSL_free(S2);
    SSL_free(S3);
    SSL_free(AS1);
    SSL_free(AU1);
    SSL_free(AS2);
    SSL_free(A);
    SSL_free(A2);
    SSL_free(A3);
    SSL_free(A4);
    SSL_free(A5);
    SSL_free(A6);
    for (i = 0; i < ndrv; i++) {
        SSL_free(drv[i]);
        close(cfds[i]);
    }
    SSL_free(L);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    close(fd);
    printf("end\n");
    return 0;
}
