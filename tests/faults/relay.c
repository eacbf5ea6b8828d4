/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault_relay: a UDP relay between one QUIC client and one server on
 * loopback that damages the traffic on purpose, reproducibly from a seed.
 *
 *   fault_relay --server-port P [--listen-port P] [--port-file F] [--seed S]
 *               [fault options] [--rebind-after-ms T]
 *               [--rebind-every-packets N] [--max-seconds S]
 *
 * The client talks to the relay's listening socket; the relay forwards what
 * it sends to 127.0.0.1:server-port from a second socket and sends the
 * server's answers back to the latest address the client wrote from.  Every
 * fault option takes a value and applies to both directions, or to one with
 * the prefix c2s- (client to server) or s2c- (server to client):
 *
 *   --loss PCT          drop each datagram with probability PCT %
 *   --burst PCT         with probability PCT % start a burst: drop this
 *   --burst-len K       datagram and the K-1 after it (K default 8)
 *   --reorder PCT       hold a datagram back with probability PCT % ...
 *   --reorder-gap N     ... until N later ones went out (default 3), or
 *   --reorder-max-ms T  ... T ms passed (default 50), whichever is first
 *   --dup PCT           send a datagram twice
 *   --corrupt PCT       flip one random bit of a datagram
 *   --delay MS          hold every datagram MS ms ...
 *   --jitter MS         ... plus or minus up to MS ms, uniformly
 *   --mtu N             drop datagrams longer than N bytes
 *
 * Faults apply in that order: MTU clamp, burst, loss, corruption,
 * duplication, delay, reordering (when a datagram is due to go out).
 * Decisions come from one generator per direction seeded from --seed, so the
 * same sequence of datagrams meets the same fate.  Delayed and held
 * datagrams wait in a heap ordered by due time; the only sleep is ppoll(2)
 * up to the earliest one.
 *
 * NAT rebinding: --rebind-after-ms T moves the relay's server-side socket to
 * a fresh source port once, T ms after the client's first datagram;
 * --rebind-every-packets N does so before every N-th client datagram.  The
 * old socket is closed, so what the server still sends there is lost, as
 * behind a real NAT whose mapping changed.
 *
 * On SIGTERM or SIGINT the relay prints one line of counters
 * (c2s_in=... s2c_out=... rebinds=...) to stdout and exits 0; after
 * --max-seconds (default 600) it does the same and exits 3, so a forgotten
 * relay never outlives its test.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MAX_DGRAM 65536
#define MAX_QUEUED 65536 /* datagrams waiting in the heap */
#define RX_BATCH 256     /* datagrams read per socket per wake-up */
#define SOCKBUF (4 << 20)

enum { C2S, S2C, NDIR };
static const char *const dir_name[NDIR] = {"c2s", "s2c"};

struct faults {
    double loss, burst, reorder, dup, corrupt; /* percent */
    unsigned burst_len, reorder_gap, reorder_max_ms, delay_ms, jitter_ms;
    size_t mtu; /* 0: no clamp */
};

struct counters {
    uint64_t in, out, bytes_in, bytes_out;
    uint64_t lost, burst, mtu, txfail, overflow; /* the causes of drops */
    uint64_t dup, corrupt, reorder;
};

struct dgram {
    uint64_t due, seq; /* microseconds; seq keeps equal due times FIFO */
    int dir;
    int held; /* a reordered datagram parked in its direction's slot */
    size_t len;
    unsigned char data[];
};

struct direction {
    struct faults f;
    struct counters c;
    uint64_t rng;
    unsigned burst_left;
    struct dgram *held; /* at most one held back at a time */
    unsigned held_countdown;
};

struct relay {
    struct direction d[NDIR];
    int lfd, sfd; /* client-facing and server-facing sockets */
    struct sockaddr_in server, client;
    int have_client;
    struct dgram **heap;
    size_t nheap;
    uint64_t seq;
    uint64_t start;        /* the client's first datagram, 0: none yet */
    uint64_t rebind_after; /* microseconds after start, 0: never */
    int rebound_once;
    uint64_t rebind_every; /* client datagrams, 0: never */
    uint64_t rebinds;
    uint64_t deadline; /* --max-seconds from the start */
    unsigned char buf[MAX_DGRAM];
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* splitmix64: small, fast and good enough to drive the dice. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* True with probability pct %. */
static int chance(struct direction *d, double pct)
{
    if (pct <= 0)
        return 0;
    return (double)(rng_next(&d->rng) >> 11) * 0x1.0p-53 * 100.0 < pct;
}

static uint64_t below(struct direction *d, uint64_t n)
{
    return n == 0 ? 0 : rng_next(&d->rng) % n;
}

/* ---- the heap of datagrams waiting for their due time ----------------- */

static int dgram_before(const struct dgram *a, const struct dgram *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(struct relay *r, struct dgram *g)
{
    size_t i = r->nheap++;

    while (i > 0 && dgram_before(g, r->heap[(i - 1) / 2])) {
        r->heap[i] = r->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    r->heap[i] = g;
}

static struct dgram *heap_pop(struct relay *r)
{
    struct dgram *top = r->heap[0], *last = r->heap[--r->nheap];
    size_t i = 0, c;

    while ((c = 2 * i + 1) < r->nheap) {
        if (c + 1 < r->nheap && dgram_before(r->heap[c + 1], r->heap[c]))
            c++;
        if (!dgram_before(r->heap[c], last))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (r->nheap > 0)
        r->heap[i] = last;
    return top;
}

/* ---- sockets ------------------------------------------------------------ */

static int udp_socket(unsigned port, unsigned *bound)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int sz = SOCKBUF;

    if (fd < 0)
        return -1;
    /* best effort: the kernel caps these at rmem_max/wmem_max */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    if (bound != NULL)
        *bound = ntohs(sa.sin_port);
    return fd;
}

static unsigned local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return 0;
    return ntohs(sa.sin_port);
}

/* The server now sees the client behind a new source port. */
static int rebind(struct relay *r)
{
    unsigned oldp = local_port(r->sfd), newp;
    int fd = udp_socket(0, &newp);

    if (fd < 0) {
        perror("fault_relay: rebind");
        return -1;
    }
    close(r->sfd);
    r->sfd = fd;
    r->rebinds++;
    fprintf(stderr, "fault_relay: rebind %llu: source port %u -> %u\n",
            (unsigned long long)r->rebinds, oldp, newp);
    return 0;
}

static void send_now(struct relay *r, int dir, const unsigned char *data,
                     size_t len)
{
    struct direction *d = &r->d[dir];
    const struct sockaddr_in *to = dir == C2S ? &r->server : &r->client;
    int fd = dir == C2S ? r->sfd : r->lfd;
    ssize_t n;

    n = sendto(fd, data, len, 0, (const struct sockaddr *)to, sizeof(*to));
    if (n == (ssize_t)len) {
        d->c.out++;
        d->c.bytes_out += len;
    } else {
        /* a full socket buffer loses the datagram, as a router would */
        d->c.txfail++;
    }
}

/* A datagram is due: the last fault, reordering, decides when it leaves. */
static void emit(struct relay *r, struct dgram *g, uint64_t now)
{
    struct direction *d = &r->d[g->dir];

    if (d->held == NULL && chance(d, d->f.reorder)) {
        d->c.reorder++;
        d->held = g;
        d->held_countdown = d->f.reorder_gap;
        g->held = 1;
        g->due = now + (uint64_t)d->f.reorder_max_ms * 1000u;
        g->seq = r->seq++;
        heap_push(r, g);
        return;
    }
    send_now(r, g->dir, g->data, g->len);
    free(g);
    if (d->held != NULL && d->held_countdown > 0 && --d->held_countdown == 0) {
        /* release it now; its heap entry fires later as a no-op */
        send_now(r, d->held->dir, d->held->data, d->held->len);
        d->held->len = 0;
        d->held = NULL;
    }
}

static void schedule(struct relay *r, int dir, const unsigned char *data,
                     size_t len, uint64_t now)
{
    struct direction *d = &r->d[dir];
    int64_t delay = (int64_t)d->f.delay_ms * 1000;
    struct dgram *g;

    if (d->f.jitter_ms > 0)
        delay += (int64_t)below(d, 2 * (uint64_t)d->f.jitter_ms * 1000 + 1) -
                 (int64_t)d->f.jitter_ms * 1000;
    if (r->nheap == MAX_QUEUED || (g = malloc(sizeof(*g) + len)) == NULL) {
        d->c.overflow++;
        return;
    }
    g->dir = dir;
    g->held = 0;
    g->len = len;
    memcpy(g->data, data, len);
    g->due = now + (uint64_t)(delay > 0 ? delay : 0);
    g->seq = r->seq++;
    if (g->due <= now)
        emit(r, g, now);
    else
        heap_push(r, g);
}

/* One datagram in from either side, through the faults. */
static void process(struct relay *r, int dir, size_t len, uint64_t now)
{
    struct direction *d = &r->d[dir];
    int copies = 1;

    d->c.in++;
    d->c.bytes_in += len;
    if (d->f.mtu > 0 && len > d->f.mtu) {
        d->c.mtu++;
        return;
    }
    if (d->burst_left > 0) {
        d->burst_left--;
        d->c.burst++;
        return;
    }
    if (chance(d, d->f.burst)) {
        d->burst_left = d->f.burst_len > 0 ? d->f.burst_len - 1 : 0;
        d->c.burst++;
        return;
    }
    if (chance(d, d->f.loss)) {
        d->c.lost++;
        return;
    }
    if (len > 0 && chance(d, d->f.corrupt)) {
        uint64_t bit = below(d, (uint64_t)len * 8);

        r->buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        d->c.corrupt++;
    }
    if (chance(d, d->f.dup)) {
        d->c.dup++;
        copies = 2;
    }
    while (copies-- > 0)
        schedule(r, dir, r->buf, len, now);
}

/* Reads what one socket holds (bounded, so the other side is not starved). */
static void drain(struct relay *r, int fd, int dir)
{
    struct sockaddr_in from;
    socklen_t flen;
    ssize_t n;
    int i;

    for (i = 0; i < RX_BATCH; i++) {
        flen = sizeof(from);
        n = recvfrom(fd, r->buf, sizeof(r->buf), 0, (struct sockaddr *)&from,
                     &flen);
        if (n < 0)
            return; /* EAGAIN, or an ICMP error reported late: nothing read */
        if (dir == C2S) {
            uint64_t now = now_us();

            if (r->start == 0)
                r->start = now;
            /* NAT rebinding on the client's side works too: follow it */
            r->client = from;
            r->have_client = 1;
            if (r->rebind_every > 0 && r->d[C2S].c.in > 0 &&
                (r->d[C2S].c.in + 1) % r->rebind_every == 0)
                (void)rebind(r);
            process(r, C2S, (size_t)n, now);
        } else if (r->have_client) {
            process(r, S2C, (size_t)n, now_us());
        } else {
            r->d[S2C].c.in++;
            r->d[S2C].c.bytes_in += (uint64_t)n;
            r->d[S2C].c.txfail++; /* nobody to send it to */
        }
        if (fd != r->lfd && fd != r->sfd)
            return; /* rebound under our feet: poll the new socket */
    }
}

static void run_timers(struct relay *r, uint64_t now)
{
    struct dgram *g;

    if (r->rebind_after > 0 && !r->rebound_once && r->start > 0 &&
        now >= r->start + r->rebind_after) {
        r->rebound_once = 1;
        (void)rebind(r);
    }
    while (r->nheap > 0 && r->heap[0]->due <= now) {
        g = heap_pop(r);
        if (!g->held) {
            emit(r, g, now);
            continue;
        }
        /* a held datagram: its time ran out, unless it already went */
        if (g->len > 0) {
            struct direction *d = &r->d[g->dir];

            send_now(r, g->dir, g->data, g->len);
            if (d->held == g)
                d->held = NULL;
        }
        free(g);
    }
}

static int next_timeout_ms(const struct relay *r, uint64_t now)
{
    uint64_t due = UINT64_MAX;

    if (r->nheap > 0)
        due = r->heap[0]->due;
    if (r->deadline < due)
        due = r->deadline;
    if (r->rebind_after > 0 && !r->rebound_once && r->start > 0 &&
        r->start + r->rebind_after < due)
        due = r->start + r->rebind_after;
    if (due == UINT64_MAX)
        return -1;
    if (due <= now)
        return 0;
    due = (due - now + 999) / 1000;
    return due > 60000 ? 60000 : (int)due;
}

static void print_counters(const struct relay *r)
{
    int i;

    for (i = 0; i < NDIR; i++) {
        const struct counters *c = &r->d[i].c;
        const char *n = dir_name[i];

        printf("%s_in=%llu %s_out=%llu %s_dropped=%llu %s_lost=%llu "
               "%s_burst=%llu %s_mtu=%llu %s_txfail=%llu %s_dup=%llu "
               "%s_corrupt=%llu %s_reorder=%llu %s_bytes_in=%llu "
               "%s_bytes_out=%llu ",
               n, (unsigned long long)c->in, n, (unsigned long long)c->out, n,
               (unsigned long long)(c->lost + c->burst + c->mtu + c->txfail +
                                    c->overflow),
               n, (unsigned long long)c->lost, n, (unsigned long long)c->burst,
               n, (unsigned long long)c->mtu, n,
               (unsigned long long)(c->txfail + c->overflow), n,
               (unsigned long long)c->dup, n, (unsigned long long)c->corrupt, n,
               (unsigned long long)c->reorder, n,
               (unsigned long long)c->bytes_in, n,
               (unsigned long long)c->bytes_out);
    }
    printf("rebinds=%llu\n", (unsigned long long)r->rebinds);
    fflush(stdout);
}

/* ---- command line ------------------------------------------------------- */

static int parse_num(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && *out >= 0;
}

/* A fault option for one direction; 0 if name is not one. */
static int set_fault(struct faults *f, const char *name, double v)
{
    if (strcmp(name, "loss") == 0)
        f->loss = v;
    else if (strcmp(name, "burst") == 0)
        f->burst = v;
    else if (strcmp(name, "burst-len") == 0)
        f->burst_len = (unsigned)v;
    else if (strcmp(name, "reorder") == 0)
        f->reorder = v;
    else if (strcmp(name, "reorder-gap") == 0)
        f->reorder_gap = (unsigned)v;
    else if (strcmp(name, "reorder-max-ms") == 0)
        f->reorder_max_ms = (unsigned)v;
    else if (strcmp(name, "dup") == 0)
        f->dup = v;
    else if (strcmp(name, "corrupt") == 0)
        f->corrupt = v;
    else if (strcmp(name, "delay") == 0)
        f->delay_ms = (unsigned)v;
    else if (strcmp(name, "jitter") == 0)
        f->jitter_ms = (unsigned)v;
    else if (strcmp(name, "mtu") == 0)
        f->mtu = (size_t)v;
    else
        return 0;
    return 1;
}

static int write_port_file(const char *path, unsigned port)
{
    char line[16];
    int n = snprintf(line, sizeof(line), "%u\n", port);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int ok;

    if (fd < 0)
        return 0;
    ok = write(fd, line, (size_t)n) == n;
    return close(fd) == 0 && ok;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: fault_relay --server-port P [--listen-port P] "
            "[--port-file F] [--seed S]\n"
            "       [--[c2s-|s2c-]{loss,burst,burst-len,reorder,reorder-gap,"
            "reorder-max-ms,dup,corrupt,delay,jitter,mtu} V]...\n"
            "       [--rebind-after-ms T] [--rebind-every-packets N] "
            "[--max-seconds S]\n");
}

int main(int argc, char **argv)
{
    static struct relay R;
    struct relay *r = &R;
    const char *port_file = NULL, *name;
    unsigned listen_port = 0, server_port = 0, port;
    unsigned long long seed = 1;
    uint64_t max_seconds = 600;
    struct sigaction sa;
    sigset_t block, orig;
    double v = 0;
    int a, i, mask;

    for (i = 0; i < NDIR; i++) {
        r->d[i].f.burst_len = 8;
        r->d[i].f.reorder_gap = 3;
        r->d[i].f.reorder_max_ms = 50;
    }
    for (a = 1; a < argc; a++) {
        if (strncmp(argv[a], "--", 2) != 0 || a + 1 >= argc) {
            usage();
            return 2;
        }
        name = argv[a] + 2;
        a++;
        if (strcmp(name, "port-file") != 0 && !parse_num(argv[a], &v)) {
            fprintf(stderr, "fault_relay: --%s needs a number\n", name);
            return 2;
        }
        mask = 3;
        if (strncmp(name, "c2s-", 4) == 0)
            mask = 1, name += 4;
        else if (strncmp(name, "s2c-", 4) == 0)
            mask = 2, name += 4;
        if (mask == 3 && strcmp(name, "port-file") == 0) {
            port_file = argv[a];
        } else if (mask == 3 && strcmp(name, "server-port") == 0) {
            server_port = (unsigned)v;
        } else if (mask == 3 && strcmp(name, "listen-port") == 0) {
            listen_port = (unsigned)v;
        } else if (mask == 3 && strcmp(name, "seed") == 0) {
            seed = strtoull(argv[a], NULL, 10);
        } else if (mask == 3 && strcmp(name, "rebind-after-ms") == 0) {
            r->rebind_after = (uint64_t)v * 1000u;
        } else if (mask == 3 && strcmp(name, "rebind-every-packets") == 0) {
            r->rebind_every = (uint64_t)v;
        } else if (mask == 3 && strcmp(name, "max-seconds") == 0) {
            max_seconds = (uint64_t)v;
        } else {
            int ok = 1;

            for (i = 0; i < NDIR; i++)
                if (mask & (1 << i))
                    ok = ok && set_fault(&r->d[i].f, name, v);
            if (!ok) {
                fprintf(stderr, "fault_relay: unknown option --%s\n", name);
                usage();
                return 2;
            }
        }
    }
    if (server_port == 0 || server_port > 65535 || listen_port > 65535) {
        usage();
        return 2;
    }
    for (i = 0; i < NDIR; i++)
        r->d[i].rng = seed * 2 + (uint64_t)i;
    memset(&r->server, 0, sizeof(r->server));
    r->server.sin_family = AF_INET;
    r->server.sin_port = htons((uint16_t)server_port);
    r->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->heap = calloc(MAX_QUEUED, sizeof(*r->heap));
    r->lfd = udp_socket(listen_port, &port);
    r->sfd = udp_socket(0, NULL);
    if (r->heap == NULL || r->lfd < 0 || r->sfd < 0) {
        perror("fault_relay: setup");
        return 1;
    }

    /* SIGTERM is taken only inside ppoll, so it can never slip in between
     * the check and the sleep. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);

    if (port_file != NULL && !write_port_file(port_file, port)) {
        fprintf(stderr, "fault_relay: cannot write %s\n", port_file);
        return 1;
    }
    fprintf(stderr, "fault_relay: 127.0.0.1:%u -> 127.0.0.1:%u\n", port,
            server_port);

    r->deadline = now_us() + max_seconds * 1000000u;
    while (!stop_requested && now_us() < r->deadline) {
        struct pollfd pfd[2];
        struct timespec ts, *tsp = NULL;
        int ms = next_timeout_ms(r, now_us());

        if (ms >= 0) {
            ts.tv_sec = ms / 1000;
            ts.tv_nsec = (long)(ms % 1000) * 1000000L;
            tsp = &ts;
        }
        pfd[0].fd = r->lfd;
        pfd[0].events = POLLIN;
        pfd[1].fd = r->sfd;
        pfd[1].events = POLLIN;
        if (ppoll(pfd, 2, tsp, &orig) < 0) {
            if (errno == EINTR)
                continue;
            perror("fault_relay: ppoll");
            return 1;
        }
        if (pfd[0].revents)
            drain(r, r->lfd, C2S);
        if (pfd[1].revents && pfd[1].fd == r->sfd)
            drain(r, r->sfd, S2C);
        run_timers(r, now_us());
    }
    /* Discard any second signal still pending (timeout(1) signals its
     * whole process group too): a blocked pending signal stalls
     * LeakSanitizer's exit-time stop-the-world in sanitizer builds. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    print_counters(r);
    while (r->nheap > 0)
        free(heap_pop(r));
    for (i = 0; i < NDIR; i++)
        r->d[i].held = NULL;
    free(r->heap);
    close(r->lfd);
    close(r->sfd);
    fprintf(stderr, "fault_relay: %s\n",
            stop_requested ? "stopped" : "ran out of time");
    return stop_requested ? 0 : 3;
}
