/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qbench_client: the client side of the QUIC benchmarks, written only against
 * OpenSSL 3.5's API.  Each worker process drives many non-blocking
 * connections with poll(2); workers are forked before OpenSSL is touched.
 *
 *   qbench_client --port P (--cafile F | --insecure) --workload W [options]
 *
 * Workloads (each sets defaults the options below override):
 *   handshakes  --conns 2000 --workers 2 --inflight 4: fresh connection,
 *               one stream, 1 byte each way, close.  Reports connections/s.
 *   bulk        --bytes 268435456: one connection, one stream; uploads the
 *               bytes, then the server sends as many back.  Reports MB/s and
 *               client CPU seconds per GB of each direction.
 *   many        --conns 200 --workers 2 --streams 4 --bytes 262144, all at
 *               once, each stream echoed.  Reports MB/s (echoed payload, one
 *               direction) and p50/p99 connection completion time.
 *   idle        --conns 2000 --inflight 32: handshake only, then hold every
 *               connection until SIGTERM/SIGINT or --hold-secs; prints
 *               "held N" once all are up.
 *
 * Options: --conns N, --workers K, --inflight W (connections in progress
 * per worker), --streams S, --bytes B, --hold-secs T, --timeout T (seconds
 * a worker may take; then it reports where each unfinished connection
 * stands and fails; default 120).
 * Exit 0 only if every connection finished with the exact byte counts; a
 * failed run prints no figures.  Times end when a connection's exchange is
 * complete: a close that does not complete within 2 s (a lost
 * CONNECTION_CLOSE nobody repeats) is counted as "unclosed", not waited
 * out.  In the idle workload a stop before every connection is up is not a
 * failure (the server's count is the measure); a failed handshake is.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "qbench.h"

#define MAX_STREAMS 16
#define CLOSE_GRACE 2.0 /* seconds a finished connection may take to close */

enum { W_HANDSHAKES, W_BULK, W_MANY, W_IDLE };
static const char *const wl_names[] = {"handshakes", "bulk", "many", "idle"};

struct opts {
    unsigned port;
    const char *cafile;
    int insecure, workload;
    uint64_t conns, workers, inflight, streams, bytes, hold_secs, timeout;
};

/* What the workers leave for the parent, in shared memory. */
struct shared {
    unsigned ok, failed, held, unclosed;
    double up_wall, down_wall, up_cpu, down_cpu; /* bulk */
    double done[]; /* per connection: seconds taken, then (after all of
                    * those) when it finished, on CLOCK_MONOTONIC */
};

enum { C_CONNECT, C_STREAMS, C_SHUTDOWN, C_HOLD };

struct cstream {
    SSL *s;
    unsigned char hdr[QB_HDR_LEN];
    uint64_t sent, got; /* sent counts the header too */
    int concluded, fin_in;
};

struct cconn {
    SSL *ssl;
    int fd, st, ready, dirty;
    unsigned idx;
    double t0, t_shut;
    struct cstream s[MAX_STREAMS];
};

static volatile sig_atomic_t stop_flag;
static unsigned char scratch[QB_CHUNK];

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Bulk phase marks, for the single bulk stream. */
static double bulk_t0, bulk_c0, bulk_t1, bulk_c1;

static int fail(const char *what, SSL *s)
{
    fprintf(stderr, "qbench_client: %s failed (SSL_get_error %s)\n", what,
            s != NULL ? conf_err_name(SSL_get_error(s, 0)) : "-");
    ERR_print_errors_fp(stderr);
    return -1;
}

static void conn_free(struct cconn *c)
{
    int i;

    for (i = 0; i < MAX_STREAMS; i++) {
        SSL_free(c->s[i].s);
        c->s[i].s = NULL;
    }
    SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int open_streams(struct cconn *c, const struct opts *o)
{
    uint64_t i;

    for (i = 0; i < o->streams; i++) {
        c->s[i].s = SSL_new_stream(c->ssl, 0);
        if (c->s[i].s == NULL)
            return fail("SSL_new_stream", c->ssl);
        SSL_set_mode(c->s[i].s, SSL_MODE_ENABLE_PARTIAL_WRITE);
        conf_put_be64(c->s[i].hdr,
                      o->workload == W_BULK ? o->bytes : QB_ECHO);
        conf_put_be64(c->s[i].hdr + 8, o->streams);
    }
    return 0;
}

/* 1: progress, 0: waiting, 2: all streams done, -1: failed. */
static int streams_step(struct cconn *c, const struct opts *o)
{
    uint64_t total = QB_HDR_LEN + o->bytes, left, i;
    struct cstream *s;
    int progress = 0, moved, e, done = 1;
    size_t n;

    for (i = 0; i < o->streams; i++) {
        s = &c->s[i];
        do {
            moved = 0;
            if (s->sent < total) {
                const unsigned char *p;

                if (s->sent < QB_HDR_LEN) {
                    p = s->hdr + s->sent;
                    n = QB_HDR_LEN - (size_t)s->sent;
                } else {
                    left = total - s->sent;
                    p = qb_payload();
                    n = left > QB_CHUNK ? QB_CHUNK : (size_t)left;
                }
                if (SSL_write_ex(s->s, p, n, &n)) {
                    s->sent += n;
                    moved = 1;
                } else if (SSL_get_error(s->s, 0) != SSL_ERROR_WANT_WRITE) {
                    return fail("SSL_write_ex", s->s);
                }
            } else if (!s->concluded) {
                if (!SSL_stream_conclude(s->s, 0))
                    return fail("SSL_stream_conclude", s->s);
                s->concluded = 1;
                moved = 1;
            }
            if (!s->fin_in) {
                if (SSL_read_ex(s->s, scratch, sizeof(scratch), &n)) {
                    if (s->got == 0 && o->workload == W_BULK) {
                        bulk_t1 = qb_now();
                        bulk_c1 = qb_cpu();
                    }
                    s->got += n;
                    moved = 1;
                } else if ((e = SSL_get_error(s->s, 0)) == SSL_ERROR_ZERO_RETURN) {
                    s->fin_in = 1;
                    moved = 1;
                } else if (e != SSL_ERROR_WANT_READ) {
                    return fail("SSL_read_ex", s->s);
                }
            }
            progress |= moved;
        } while (moved);
        if (s->fin_in && s->got != o->bytes) {
            fprintf(stderr, "qbench_client: stream got %llu of %llu bytes\n",
                    (unsigned long long)s->got, (unsigned long long)o->bytes);
            return -1;
        }
        if (!s->fin_in || !s->concluded)
            done = 0;
    }
    return done ? 2 : progress;
}

/* 1: progress, 0: waiting, 2: finished, -1: failed. */
static int conn_step(struct cconn *c, const struct opts *o, struct shared *sh)
{
    int r, e;

    if (c->st == C_CONNECT) {
        r = SSL_connect(c->ssl);
        if (r != 1) {
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
            fail("SSL_connect", c->ssl);
            fprintf(stderr, "qbench_client: verify result %ld\n",
                    SSL_get_verify_result(c->ssl));
            return -1;
        }
        if (o->workload == W_IDLE) {
            c->st = C_HOLD;
            return 2;
        }
        if (open_streams(c, o) != 0)
            return -1;
        if (o->workload == W_BULK) {
            bulk_t0 = qb_now();
            bulk_c0 = qb_cpu();
        }
        c->st = C_STREAMS;
    }
    if (c->st == C_STREAMS) {
        r = streams_step(c, o);
        if (r != 2)
            return r;
        sh->done[c->idx] = qb_now() - c->t0;
        sh->done[o->conns + c->idx] = qb_now();
        if (o->workload == W_BULK) {
            sh->up_wall = bulk_t1 - bulk_t0;
            sh->up_cpu = bulk_c1 - bulk_c0;
            sh->down_wall = qb_now() - bulk_t1;
            sh->down_cpu = qb_cpu() - bulk_c1;
        }
        c->st = C_SHUTDOWN;
        c->t_shut = qb_now();
    }
    if (c->st == C_SHUTDOWN) {
        r = SSL_shutdown(c->ssl);
        if (r == 1)
            return 2;
        if (r < 0) {
            e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                return fail("SSL_shutdown", c->ssl);
        }
        /* The exchange is complete; a close that never completes (a lost
         * packet nobody repeats) is counted, not waited out. */
        if (qb_now() - c->t_shut > CLOSE_GRACE) {
            __atomic_add_fetch(&sh->unclosed, 1, __ATOMIC_SEQ_CST);
            return 2;
        }
        return 0;
    }
    /* C_HOLD: keep the connection alive, nothing more. */
    if (c->ready)
        SSL_handle_events(c->ssl);
    return 0;
}

static int conn_start(struct cconn *c, SSL_CTX *ctx, const struct opts *o,
                      unsigned idx)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->idx = idx;
    c->t0 = qb_now();
    c->dirty = 1;
    c->ssl = conf_client_conn(ctx, o->port, &c->fd);
    if (c->ssl == NULL || !SSL_set_blocking_mode(c->ssl, 0) ||
        !SSL_set_default_stream_mode(c->ssl, SSL_DEFAULT_STREAM_MODE_NONE))
        return fail("connection setup", c->ssl);
    return 0;
}

/* Refreshes what poll(2) waits for on c's socket and when its timer runs
 * out (deadline -1: none).  0 if c has no socket. */
static int poll_refresh(struct cconn *c, struct pollfd *p, double *deadline)
{
    struct timeval tv;
    int inf = 1;

    p->fd = SSL_get_fd(c->ssl);
    p->events = (short)((SSL_net_read_desired(c->ssl) ? POLLIN : 0) |
                        (SSL_net_write_desired(c->ssl) ? POLLOUT : 0));
    p->revents = 0;
    *deadline = -1;
    if (SSL_get_event_timeout(c->ssl, &tv, &inf) && !inf)
        *deadline = qb_now() + (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
    c->dirty = 0;
    return p->fd >= 0;
}

/* The worker's connections: [0, held) are idle and held, [held, active) in
 * progress; the poll set and the timers run parallel to them. */
struct worker {
    struct cconn *c;
    struct pollfd *pfd;
    double *deadline;
    unsigned active, held;
};

static void slot_move(struct worker *w, unsigned to, unsigned from)
{
    w->c[to] = w->c[from];
    w->pfd[to] = w->pfd[from];
    w->deadline[to] = w->deadline[from];
}

static void slot_swap(struct worker *w, unsigned a, unsigned b)
{
    struct cconn c = w->c[a];
    struct pollfd p = w->pfd[a];
    double d = w->deadline[a];

    slot_move(w, a, b);
    w->c[b] = c;
    w->pfd[b] = p;
    w->deadline[b] = d;
}

/* --timeout ran out: say where each unfinished connection stands. */
static void report_stuck(const struct worker *w, const struct opts *o)
{
    static const char *const states[] = {"connect", "streams", "shutdown",
                                         "hold"};
    const struct cconn *c;
    unsigned i;
    uint64_t k;

    for (i = w->held; i < w->active; i++) {
        c = &w->c[i];
        fprintf(stderr, "qbench_client: connection %u stuck in %s after "
                        "%.1f s:", c->idx, states[c->st], qb_now() - c->t0);
        for (k = 0; c->st == C_STREAMS && k < o->streams; k++)
            fprintf(stderr, " [sent %llu got %llu%s%s]",
                    (unsigned long long)c->s[k].sent,
                    (unsigned long long)c->s[k].got,
                    c->s[k].concluded ? " concluded" : "",
                    c->s[k].fin_in ? " fin" : "");
        fprintf(stderr, "\n");
    }
}

/* One worker: connections [first, first + n). */
static int run_worker(const struct opts *o, unsigned first, unsigned n,
                      struct shared *sh)
{
    SSL_CTX *ctx = conf_client_ctx(o->insecure ? NULL : o->cafile);
    struct worker w;
    unsigned started = 0, ok = 0, failed = 0, i;
    double end = 0, now, next, ms, give_up;
    int r, progress;

    w.active = w.held = 0;
    w.c = calloc(n, sizeof(*w.c));
    w.pfd = calloc(n, sizeof(*w.pfd));
    w.deadline = calloc(n, sizeof(*w.deadline));
    if (ctx == NULL || w.c == NULL || w.pfd == NULL || w.deadline == NULL) {
        fail("worker setup", NULL);
        failed = n;
        goto out;
    }
    give_up = qb_now() + (double)o->timeout;
    while (!stop_flag) {
        progress = 0;
        if (w.active > w.held && qb_now() > give_up) {
            report_stuck(&w, o);
            break;
        }
        while (started < n && w.active - w.held < o->inflight) {
            started++;
            if (conn_start(&w.c[w.active], ctx, o, first + started - 1) != 0) {
                conn_free(&w.c[w.active]);
                failed++;
                continue;
            }
            w.active++;
            progress = 1;
        }
        for (i = 0; i < w.active; i++) {
            if (w.c[i].st == C_HOLD && !w.c[i].ready)
                continue;
            r = conn_step(&w.c[i], o, sh);
            w.c[i].ready = 0;
            w.c[i].dirty = 1;
            if (r == 1)
                progress = 1;
            if (r == 2 && w.c[i].st == C_HOLD) {
                slot_swap(&w, i, w.held++);
                progress = 1;
            } else if (r == 2 || r == -1) {
                if (r == 2)
                    ok++;
                else
                    failed++;
                conn_free(&w.c[i]);
                slot_move(&w, i, --w.active);
                i--;
                progress = 1;
            }
        }
        if (failed > 0 && o->workload == W_IDLE)
            break;
        if (started == n && w.active == w.held) {
            if (o->workload != W_IDLE)
                break;
            if (end == 0) {
                __atomic_add_fetch(&sh->held, w.held, __ATOMIC_SEQ_CST);
                end = qb_now() + (double)o->hold_secs;
            }
            if (qb_now() >= end)
                break;
        }
        if (progress)
            continue;

        /* Nothing moved: sleep until a socket or a timer needs us. */
        next = end != 0 ? qb_now() + 1 : give_up; /* notice the limits */
        for (i = 0; i < w.active; i++) {
            if (w.c[i].st == C_SHUTDOWN && (next < 0 || next > qb_now() + 0.1))
                next = qb_now() + 0.1; /* notice CLOSE_GRACE */
            if (w.c[i].dirty && !poll_refresh(&w.c[i], &w.pfd[i],
                                              &w.deadline[i])) {
                fprintf(stderr, "qbench_client: no socket to poll\n");
                failed++;
                goto out;
            }
            if (w.deadline[i] >= 0 && (next < 0 || w.deadline[i] < next))
                next = w.deadline[i];
        }
        ms = next < 0 ? -1 : (next - qb_now()) * 1000 + 0.999;
        if (next >= 0 && ms < 0)
            ms = 0; /* a timer already due */
        if (poll(w.pfd, w.active, ms < 0 ? -1 : (int)ms) < 0 &&
            errno != EINTR) {
            perror("qbench_client: poll");
            failed++;
            break;
        }
        now = qb_now();
        for (i = 0; i < w.active; i++)
            if (w.pfd[i].revents != 0 ||
                (w.deadline[i] >= 0 && w.deadline[i] <= now))
                w.c[i].ready = 1;
    }
out:
    if (o->workload == W_IDLE)
        ok = w.held; /* a stop ends the hold: the rest are not failures */
    else if (ok + failed < n)
        failed = n - ok; /* interrupted or cut short */
    for (i = 0; w.c != NULL && i < w.active; i++)
        conn_free(&w.c[i]);
    free(w.c);
    free(w.pfd);
    free(w.deadline);
    SSL_CTX_free(ctx);
    __atomic_add_fetch(&sh->ok, ok, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&sh->failed, failed, __ATOMIC_SEQ_CST);
    return failed == 0 ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: qbench_client --port P (--cafile F | --insecure)\n"
            "         --workload handshakes|bulk|many|idle [--conns N] "
            "[--workers K]\n"
            "         [--inflight W] [--streams S] [--bytes B] "
            "[--hold-secs T]\n"
            "         [--timeout T]\n");
    return 2;
}

static int parse(struct opts *o, int argc, char **argv)
{
    static const struct {
        const char *name;
        uint64_t min, max;
        size_t off;
    } nums[] = {
        {"--conns", 1, 100000, offsetof(struct opts, conns)},
        {"--workers", 1, 64, offsetof(struct opts, workers)},
        {"--inflight", 1, 100000, offsetof(struct opts, inflight)},
        {"--streams", 1, MAX_STREAMS, offsetof(struct opts, streams)},
        {"--bytes", 0, (uint64_t)1 << 40, offsetof(struct opts, bytes)},
        {"--hold-secs", 1, 86400, offsetof(struct opts, hold_secs)},
        {"--timeout", 1, 86400, offsetof(struct opts, timeout)},
    };
    uint64_t set[7] = {0}, v;
    int have[7] = {0}, a, w, k;
    size_t j;

    memset(o, 0, sizeof(*o));
    o->workload = -1;
    for (a = 1; a < argc; a++) {
        const char *val = a + 1 < argc ? argv[a + 1] : NULL;

        if (conf_arg_is(argv[a], "--insecure")) {
            o->insecure = 1;
            continue;
        }
        if (val == NULL)
            return 0;
        if (conf_arg_is(argv[a], "--cafile")) {
            o->cafile = argv[++a];
            continue;
        }
        if (conf_arg_is(argv[a], "--port")) {
            if (!qb_parse_u64(argv[++a], 1, 65535, &v))
                return 0;
            o->port = (unsigned)v;
            continue;
        }
        if (conf_arg_is(argv[a], "--workload")) {
            for (w = 0; w < 4 && !conf_arg_is(val, wl_names[w]); w++)
                ;
            if (w == 4)
                return 0;
            o->workload = w;
            a++;
            continue;
        }
        for (j = 0; j < sizeof(nums) / sizeof(nums[0]); j++)
            if (conf_arg_is(argv[a], nums[j].name))
                break;
        if (j == sizeof(nums) / sizeof(nums[0]) ||
            !qb_parse_u64(argv[++a], nums[j].min, nums[j].max, &set[j]))
            return 0;
        have[j] = 1;
    }
    if (o->port == 0 || o->workload < 0 || (o->cafile == NULL) == !o->insecure)
        return 0;
    switch (o->workload) {
    case W_HANDSHAKES:
        o->conns = 2000, o->workers = 2, o->inflight = 4;
        o->streams = 1, o->bytes = 1;
        break;
    case W_BULK:
        o->conns = 1, o->workers = 1, o->inflight = 1;
        o->streams = 1, o->bytes = 268435456;
        break;
    case W_MANY:
        o->conns = 200, o->workers = 2, o->inflight = 100000;
        o->streams = 4, o->bytes = 262144;
        break;
    default:
        o->conns = 2000, o->workers = 1, o->inflight = 32;
        o->streams = 1, o->bytes = 0;
        break;
    }
    o->hold_secs = 60;
    o->timeout = 120;
    for (k = 0; k < 7; k++)
        if (have[k])
            *(uint64_t *)((char *)o + nums[k].off) = set[k];
    if (o->workers > o->conns)
        o->workers = o->conns;
    if (o->workload == W_BULK && (o->conns != 1 || o->streams != 1))
        return 0; /* the bulk phase marks are per process, one stream */
    return 1;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct shared *sh;
    struct sigaction sa;
    struct rlimit rl;
    size_t shsize;
    unsigned w, first, n, alive = 0;
    pid_t pid, *pids;
    int status, bad = 0, announced = 0;
    double t0, wall, gb, mb;

    if (!parse(&o, argc, argv))
        return usage();
    /* Each connection has its own socket. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    shsize = sizeof(*sh) + 2 * (size_t)o.conns * sizeof(double);
    sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
              -1, 0);
    pids = calloc((size_t)o.workers, sizeof(*pids));
    if (sh == MAP_FAILED || pids == NULL) {
        perror("qbench_client: setup");
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop; /* no SA_RESTART: wait() and poll() see it */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* Fork before OpenSSL is touched, so no worker inherits its state. */
    fflush(stdout);
    t0 = qb_now();
    for (w = 0, first = 0; w < o.workers; w++, first += n) {
        n = (unsigned)(o.conns / o.workers +
                       (w < o.conns % o.workers ? 1 : 0));
        pid = fork();
        if (pid == 0)
            _exit(run_worker(&o, first, n, sh));
        if (pid < 0) {
            perror("qbench_client: fork");
            bad = 1;
            break;
        }
        pids[w] = pid;
        alive++;
    }
    /* The idle workload announces once every connection is up, then the
     * workers hold them until told to stop. */
    while (alive > 0) {
        pid = waitpid(-1, &status,
                      o.workload == W_IDLE && !announced ? WNOHANG : 0);
        if (pid == 0) {
            if (__atomic_load_n(&sh->held, __ATOMIC_SEQ_CST) == o.conns) {
                printf("held %u connections in %.3f s\n", (unsigned)o.conns,
                       qb_now() - t0);
                fflush(stdout);
                announced = 1;
            } else if (stop_flag) {
                for (w = 0; w < o.workers; w++)
                    if (pids[w] > 0)
                        kill(pids[w], SIGTERM);
                announced = 1; /* now wait for them */
            } else {
                usleep(10000);
            }
            continue;
        }
        if (pid < 0) {
            if (errno != EINTR)
                break;
            for (w = 0; w < o.workers; w++)
                if (pids[w] > 0)
                    kill(pids[w], SIGTERM);
            continue;
        }
        for (w = 0; w < o.workers; w++)
            if (pids[w] == pid)
                pids[w] = 0;
        alive--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad = 1;
    }
    free(pids);
    /* Up to the last exchange completed: closes are not the workload. */
    wall = 0;
    for (w = 0; w < o.conns; w++)
        if (sh->done[o.conns + w] - t0 > wall)
            wall = sh->done[o.conns + w] - t0;
    if (bad || sh->failed > 0 ||
        (o.workload != W_IDLE && sh->ok != o.conns)) {
        printf("result workload=%s FAILED ok=%u failed=%u of %llu\n",
               wl_names[o.workload], sh->ok, sh->failed,
               (unsigned long long)o.conns);
        return 1;
    }
    switch (o.workload) {
    case W_HANDSHAKES:
        printf("result workload=handshakes conns=%u unclosed=%u wall=%.4f "
               "conns_per_s=%.1f\n",
               sh->ok, sh->unclosed, wall, sh->ok / wall);
        break;
    case W_BULK:
        mb = (double)o.bytes / 1e6;
        gb = (double)o.bytes / 1e9;
        printf("result workload=bulk bytes=%llu up_wall=%.4f up_mbps=%.1f "
               "up_cpu_s_per_gb=%.3f down_wall=%.4f down_mbps=%.1f "
               "down_cpu_s_per_gb=%.3f\n",
               (unsigned long long)o.bytes, sh->up_wall, mb / sh->up_wall,
               sh->up_cpu / gb, sh->down_wall, mb / sh->down_wall,
               sh->down_cpu / gb);
        break;
    case W_MANY:
        qsort(sh->done, (size_t)o.conns, sizeof(double), cmp_double);
        mb = (double)(o.conns * o.streams * o.bytes) / 1e6;
        printf("result workload=many conns=%u unclosed=%u streams=%llu "
               "bytes=%llu wall=%.4f mbps=%.1f p50_ms=%.1f p99_ms=%.1f\n",
               sh->ok, sh->unclosed, (unsigned long long)o.streams,
               (unsigned long long)o.bytes, wall, mb / wall,
               sh->done[(o.conns - 1) / 2] * 1000,
               sh->done[(o.conns * 99 + 99) / 100 - 1] * 1000);
        break;
    default:
        printf("result workload=idle held=%u of %llu\n", sh->ok,
               (unsigned long long)o.conns);
        break;
    }
    return 0;
}
