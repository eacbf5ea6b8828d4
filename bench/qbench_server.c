/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qbench_server: the server side of the QUIC benchmarks, written only against
 * OpenSSL 3.5's API (one listener, non-blocking, one thread, poll(2)).
 *
 *   qbench_server --cert F --key F (--count N | --idle N | --idle N --count M)
 *                 [--port P] [--port-file F] [--no-validate]
 *
 * --count N  serve N connections: accept every stream the client opens, read
 *            its header (qbench.h), echo it or discard the upload and send
 *            the requested reply, conclude; once the connection has carried
 *            the streams its header announced, wait for the client to close.
 *            Exits after N connections, 0 only if all of them went cleanly.
 * --idle N   accept N connections and leave them idle, then report the RSS
 *            and exit (the memory benchmark).
 * --idle N --count M
 *            hold the first N connections idle (print a "held:" line once
 *            they are all in), then serve M more as --count does, with the
 *            N still held: per-packet cost with many idle connections.
 *
 * On exit it prints one "server:" line: connections, failures, CPU seconds
 * (getrusage, from the listener being ready to the end), wall seconds from
 * the first accepted connection, and VmRSS at the listener being ready,
 * after the first connection and at the end.  A large stream adds a
 * "stream:" line with its upload and download wall and CPU seconds.
 */
#include "qbench.h"

#define MAX_STREAMS 16
#define BULK_LINE (1u << 20)
#define CLOSE_GRACE 10.0 /* seconds a finished connection waits for the peer */

struct sstream {
    SSL *s;
    unsigned char hdr[QB_HDR_LEN];
    size_t hlen;
    uint64_t reply, nstreams, rx, tx;
    unsigned char *buf; /* echo: bytes read, not yet written back */
    size_t boff, blen;
    int fin_in, done;
    double t0, c0, t_up, c_up; /* first header byte, upload's FIN */
};

struct sconn {
    SSL *ssl;
    unsigned id;
    struct sstream st[MAX_STREAMS];
    int nst, finished, closing;
    double t_close;
    uint64_t want; /* streams announced; 0 until a header says */
};

static unsigned char scratch[QB_CHUNK];
static unsigned unclosed;

static void stream_free(struct sstream *s)
{
    SSL_free(s->s);
    free(s->buf);
    s->s = NULL;
    s->buf = NULL;
}

/* 1: progress, 0: waiting, -1: failed. */
static int stream_read(struct sstream *s)
{
    size_t n;
    unsigned char *dst;
    size_t room;
    int e;

    if (s->hlen < QB_HDR_LEN) {
        dst = s->hdr + s->hlen;
        room = QB_HDR_LEN - s->hlen;
    } else if (s->reply == QB_ECHO) {
        if (s->buf == NULL && (s->buf = malloc(QB_CHUNK)) == NULL)
            return -1;
        if (s->blen == QB_CHUNK)
            return 0; /* write back first */
        dst = s->buf + s->blen;
        room = QB_CHUNK - s->blen;
    } else {
        dst = scratch;
        room = sizeof(scratch);
    }
    if (SSL_read_ex(s->s, dst, room, &n)) {
        if (s->hlen == 0 && s->rx == 0) {
            s->t0 = qb_now();
            s->c0 = qb_cpu();
        }
        if (s->hlen < QB_HDR_LEN) {
            s->hlen += n;
            if (s->hlen == QB_HDR_LEN) {
                s->reply = conf_get_be64(s->hdr);
                s->nstreams = conf_get_be64(s->hdr + 8);
            }
        } else {
            s->rx += n;
            if (s->reply == QB_ECHO)
                s->blen += n;
        }
        return 1;
    }
    e = SSL_get_error(s->s, 0);
    if (e == SSL_ERROR_WANT_READ)
        return 0;
    if (e != SSL_ERROR_ZERO_RETURN || s->hlen < QB_HDR_LEN) {
        fprintf(stderr, "qbench_server: stream read: %s\n", conf_err_name(e));
        return -1;
    }
    s->fin_in = 1;
    s->t_up = qb_now();
    s->c_up = qb_cpu();
    return 1;
}

static int stream_write(struct sstream *s, const unsigned char *p, size_t len,
                        size_t *n)
{
    if (SSL_write_ex(s->s, p, len, n))
        return 1;
    if (SSL_get_error(s->s, 0) == SSL_ERROR_WANT_WRITE)
        return 0;
    qb_print_errors("qbench_server", "stream write failed");
    return -1;
}

/* 1: progress, 0: waiting, -1: failed. */
static int stream_step(struct sstream *s)
{
    int progress = 0, r, moved;
    size_t n;
    uint64_t left;

    do {
        moved = 0;
        if (!s->fin_in) {
            if ((r = stream_read(s)) < 0)
                return -1;
            moved |= r;
        }
        if (s->hlen == QB_HDR_LEN && s->reply == QB_ECHO &&
            s->boff < s->blen) {
            if ((r = stream_write(s, s->buf + s->boff, s->blen - s->boff,
                                  &n)) < 0)
                return -1;
            if (r) {
                s->boff += n;
                s->tx += n;
                if (s->boff == s->blen)
                    s->boff = s->blen = 0;
                moved = 1;
            }
        } else if (s->fin_in && s->reply != QB_ECHO && s->tx < s->reply) {
            left = s->reply - s->tx;
            if ((r = stream_write(s, qb_payload(),
                                  left > QB_CHUNK ? QB_CHUNK : (size_t)left,
                                  &n)) < 0)
                return -1;
            if (r) {
                s->tx += n;
                moved = 1;
            }
        }
        progress |= moved;
    } while (moved);
    if (s->fin_in && !s->done &&
        (s->reply == QB_ECHO ? s->blen == 0 : s->tx == s->reply)) {
        if (!SSL_stream_conclude(s->s, 0)) {
            qb_print_errors("qbench_server", "SSL_stream_conclude failed");
            return -1;
        }
        s->done = 1;
        progress = 1;
    }
    return progress;
}

static void report_streams(struct sconn *c, double t_end, double c_end)
{
    struct sstream *s;
    int i;

    for (i = 0; i < c->nst; i++) {
        s = &c->st[i];
        if (s->rx < BULK_LINE && (s->reply == QB_ECHO || s->reply < BULK_LINE))
            continue;
        printf("stream: conn=%u up_bytes=%llu up_wall=%.4f up_cpu=%.4f "
               "down_bytes=%llu down_wall=%.4f down_cpu=%.4f\n",
               c->id, (unsigned long long)s->rx, s->t_up - s->t0,
               s->c_up - s->c0, (unsigned long long)s->tx, t_end - s->t_up,
               c_end - s->c_up);
    }
}

/* 1: progress, 0: waiting, 2: finished, -1: failed. */
static int conn_step(struct sconn *c)
{
    int progress = 0, r, e, i;
    SSL *s;

    while (!c->closing &&
           (s = SSL_accept_stream(c->ssl, SSL_ACCEPT_STREAM_NO_BLOCK)) != NULL) {
        if (c->nst == MAX_STREAMS) {
            SSL_free(s);
            fprintf(stderr, "qbench_server: too many streams\n");
            return -1;
        }
        memset(&c->st[c->nst], 0, sizeof(c->st[0]));
        c->st[c->nst++].s = s;
        SSL_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE);
        progress = 1;
    }
    ERR_clear_error(); /* an empty stream queue leaves its mark */
    for (i = 0; i < c->nst; i++) {
        if (c->st[i].done)
            continue;
        if ((r = stream_step(&c->st[i])) < 0)
            return -1;
        progress |= r;
        if (c->st[i].hlen == QB_HDR_LEN && c->want == 0)
            c->want = c->st[i].nstreams;
        if (c->st[i].done)
            c->finished++;
    }
    if (!c->closing && (c->want == 0 || (uint64_t)c->finished < c->want))
        return progress;
    if (!c->closing) {
        c->closing = 1;
        c->t_close = qb_now();
    }
    r = SSL_shutdown_ex(c->ssl, SSL_SHUTDOWN_FLAG_WAIT_PEER, NULL, 0);
    if (r == 1)
        return 2;
    /* A lost CONNECTION_CLOSE is never repeated unless we send something,
     * and waiting for the peer sends nothing: give up after a grace period
     * rather than idling out, and count it. */
    if (qb_now() - c->t_close > CLOSE_GRACE) {
        unclosed++;
        return 2;
    }
    if (r < 0) {
        e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            qb_print_errors("qbench_server", "SSL_shutdown_ex failed");
            return -1;
        }
    }
    return progress;
}

static void conn_free(struct sconn *c)
{
    int i;

    for (i = 0; i < c->nst; i++)
        stream_free(&c->st[i]);
    SSL_free(c->ssl);
    c->nst = 0;
    c->ssl = NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: qbench_server --cert F --key F (--count N | "
                    "--idle N | --idle N --count M) [--port P] [--port-file F] "
                    "[--no-validate]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *port_file = NULL;
    uint64_t v, count = 0, idle = 0, flags = 0;
    unsigned port = 0, accepted = 0, finished = 0, failed = 0;
    struct sconn **conns = NULL, **grow, *c;
    SSL **held = NULL;
    size_t active = 0, cap = 0, i, nheld = 0;
    struct pollfd pfd;
    SSL_CTX *ctx = NULL;
    SSL *listener = NULL, *s;
    struct timeval tv;
    int fd = -1, rc = 0, a, r, ms, t, inf, progress, want_write, closing;
    long rss0, rss1 = -1, rss2;
    double cpu0, t_first = 0, t_end, c_end;

    for (a = 1; a < argc; a++) {
        const char *val = a + 1 < argc ? argv[a + 1] : NULL;

        if (conf_arg_is(argv[a], "--no-validate"))
            flags |= SSL_LISTENER_FLAG_NO_VALIDATE;
        else if (val != NULL && conf_arg_is(argv[a], "--cert"))
            cert = argv[++a];
        else if (val != NULL && conf_arg_is(argv[a], "--key"))
            key = argv[++a];
        else if (val != NULL && conf_arg_is(argv[a], "--port-file"))
            port_file = argv[++a];
        else if (conf_arg_is(argv[a], "--port") &&
                 qb_parse_u64(val, 0, 65535, &v))
            port = (unsigned)v, a++;
        else if (conf_arg_is(argv[a], "--count") &&
                 qb_parse_u64(val, 1, 10000000, &count))
            a++;
        else if (conf_arg_is(argv[a], "--idle") &&
                 qb_parse_u64(val, 1, 1000000, &idle))
            a++;
        else
            return usage();
    }
    if (cert == NULL || key == NULL || (count == 0 && idle == 0))
        return usage();
    if (idle > 0 && (held = calloc(idle, sizeof(*held))) == NULL)
        return 1;

    if ((ctx = conf_server_ctx(cert, key)) == NULL ||
        (fd = conf_udp_socket(port, &port)) < 0 ||
        (listener = SSL_new_listener(ctx, flags)) == NULL ||
        !SSL_set_fd(listener, fd) || !SSL_set_blocking_mode(listener, 0) ||
        !SSL_listen(listener)) {
        qb_print_errors("qbench_server", "setup failed");
        rc = 1;
        goto out;
    }
    if (port_file != NULL && !conf_write_port_file(port_file, port)) {
        fprintf(stderr, "qbench_server: cannot write %s\n", port_file);
        rc = 1;
        goto out;
    }
    printf("listening on 127.0.0.1:%u\n", port);
    fflush(stdout);
    rss0 = qb_rss_kb();
    cpu0 = qb_cpu();

    while (count ? finished < count : accepted < idle) {
        progress = 0;
        SSL_handle_events(listener);
        while ((s = SSL_accept_connection(listener,
                                          SSL_ACCEPT_CONNECTION_NO_BLOCK))) {
            if (nheld < idle) {
                /* held idle: never stepped, freed at exit */
                held[nheld++] = s;
                if (!SSL_set_default_stream_mode(s,
                                                 SSL_DEFAULT_STREAM_MODE_NONE)) {
                    qb_print_errors("qbench_server", "default stream mode");
                    rc = 1;
                    goto out;
                }
                if (++accepted == 1) {
                    t_first = qb_now();
                    rss1 = qb_rss_kb();
                }
                if (nheld == idle && count) {
                    printf("held: conns=%zu cpu=%.4f rss_kb=%ld\n", nheld,
                           qb_cpu() - cpu0, qb_rss_kb());
                    fflush(stdout);
                    cpu0 = qb_cpu(); /* the served part is measured alone */
                }
                progress = 1;
                continue;
            }
            if (active == cap) {
                cap = cap ? 2 * cap : 64;
                if ((grow = realloc(conns, cap * sizeof(*conns))) == NULL) {
                    SSL_free(s);
                    rc = 1;
                    goto out;
                }
                conns = grow;
            }
            if ((c = calloc(1, sizeof(*c))) == NULL) {
                SSL_free(s);
                rc = 1;
                goto out;
            }
            c->ssl = s;
            c->id = ++accepted;
            conns[active++] = c;
            if (accepted == 1) {
                t_first = qb_now();
                rss1 = qb_rss_kb();
            }
            if (!SSL_set_default_stream_mode(s, SSL_DEFAULT_STREAM_MODE_NONE)) {
                qb_print_errors("qbench_server", "default stream mode");
                rc = 1;
                goto out;
            }
            progress = 1;
        }
        ERR_clear_error(); /* an empty accept queue leaves its mark */
        for (i = 0; i < active; i++) {
            if ((r = conn_step(conns[i])) == 1)
                progress = 1;
            if (r != 2 && r != -1)
                continue;
            if (r == -1) {
                fprintf(stderr, "qbench_server: connection %u failed\n",
                        conns[i]->id);
                failed++;
            } else {
                report_streams(conns[i], qb_now(), qb_cpu());
            }
            ERR_clear_error();
            conn_free(conns[i]);
            free(conns[i]);
            conns[i--] = conns[--active];
            finished++;
            progress = 1;
        }
        if (progress)
            continue;

        /* Nothing moved: sleep until the socket or a timer needs us.  All
         * connections share the listener's socket; an idle run takes only
         * the listener's timer (bounded) so thousands of connections do not
         * make every wakeup cost thousands of calls. */
        ms = -1;
        want_write = SSL_net_write_desired(listener);
        inf = 1;
        if (SSL_get_event_timeout(listener, &tv, &inf) && !inf)
            ms = (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
        if (nheld < idle && (ms < 0 || ms > 20))
            ms = 20;
        closing = 0;
        for (i = 0; i < active; i++) {
            closing |= conns[i]->closing;
            want_write |= SSL_net_write_desired(conns[i]->ssl);
            inf = 1;
            if (SSL_get_event_timeout(conns[i]->ssl, &tv, &inf) && !inf) {
                t = (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
                ms = ms < 0 || t < ms ? t : ms;
            }
        }
        if (closing && (ms < 0 || ms > 100))
            ms = 100; /* notice CLOSE_GRACE running out */
        pfd.fd = fd;
        pfd.events = POLLIN | (want_write ? POLLOUT : 0);
        if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
            perror("qbench_server: poll");
            rc = 1;
            goto out;
        }
    }
    t_end = qb_now();
    c_end = qb_cpu();
    rss2 = qb_rss_kb();
    printf("server: conns=%u failed=%u unclosed=%u cpu=%.4f wall=%.4f rss_start_kb=%ld "
           "rss_first_kb=%ld rss_end_kb=%ld\n",
           accepted, failed, unclosed, c_end - cpu0, accepted ? t_end - t_first : 0.0,
           rss0, rss1, rss2);
    rc = failed == 0 ? 0 : 1;
out:
    for (i = 0; i < active; i++) {
        conn_free(conns[i]);
        free(conns[i]);
    }
    free(conns);
    for (i = 0; i < nheld; i++)
        SSL_free(held[i]);
    free(held);
    SSL_free(listener);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    return rc;
}
