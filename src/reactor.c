/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "reactor.h"

struct sslq_engine {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* The holder's thread id, 0 when nobody holds mu.  Read without the
     * lock to spot re-entry, so atomic: a thread finds its own id here only
     * while it holds mu, and only the holder writes it. */
    _Atomic uintptr_t owner;
    int depth;       /* re-entry count of the holder (only it touches it) */
    int refs;        /* guarded by refs_mu */
    pthread_mutex_t refs_mu;
    sslq_port *port;
    int wake;        /* eventfd: a sleeper in poll() is woken through it */
    int polling;     /* a thread is in poll() */
    int ticked;      /* made at least one step */
    pthread_t assist;
    int assisting;   /* the assist thread runs */
    int assist_stop; /* asked to stop (under mu) */
    void (*after_tick)(void *);
    void *after_tick_arg;
};

int sslq_engine_new(sslq_engine **out)
{
    sslq_engine *e = calloc(1, sizeof(*e));
    pthread_condattr_t ca;

    if (e == NULL)
        return SSLQ_ERR_NOMEM;
    /* One descriptor per engine (a pipe would take two): a client making
     * thousands of connections runs out of descriptors later. */
    e->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e->wake < 0) {
        free(e);
        return SSLQ_ERR_NOMEM;
    }
    atomic_init(&e->owner, 0);
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->refs_mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    e->refs = 1;
    *out = e;
    return 0;
}

void sslq_engine_up(sslq_engine *e)
{
    pthread_mutex_lock(&e->refs_mu);
    e->refs++;
    pthread_mutex_unlock(&e->refs_mu);
}

void sslq_engine_down(sslq_engine *e)
{
    int last;

    if (e == NULL)
        return;
    pthread_mutex_lock(&e->refs_mu);
    last = --e->refs == 0;
    pthread_mutex_unlock(&e->refs_mu);
    if (!last)
        return;
    sslq_engine_stop_assist(e);
    sslq_port_free(e->port);
    close(e->wake);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->refs_mu);
    free(e);
}

static uintptr_t self_id(void)
{
    return (uintptr_t)pthread_self();
}

/* mu is about to be released (or was just taken) by its holder. */
static void drop_owner(sslq_engine *e)
{
    atomic_store_explicit(&e->owner, 0, memory_order_relaxed);
}

static void take_owner(sslq_engine *e)
{
    atomic_store_explicit(&e->owner, self_id(), memory_order_relaxed);
}

void sslq_engine_lock(sslq_engine *e)
{
    if (atomic_load_explicit(&e->owner, memory_order_relaxed) == self_id()) {
        e->depth++;
        return;
    }
    pthread_mutex_lock(&e->mu);
    take_owner(e);
    e->depth = 1;
}

void sslq_engine_unlock(sslq_engine *e)
{
    if (--e->depth > 0)
        return;
    drop_owner(e);
    pthread_mutex_unlock(&e->mu);
}

sslq_port *sslq_engine_port(const sslq_engine *e)
{
    return e->port;
}

void sslq_engine_set_port(sslq_engine *e, sslq_port *port)
{
    e->port = port;
}

void sslq_engine_set_after_tick(sslq_engine *e, void (*fn)(void *), void *arg)
{
    e->after_tick = fn;
    e->after_tick_arg = arg;
}

int sslq_engine_ticked(const sslq_engine *e)
{
    return e->ticked;
}

void sslq_engine_tick(sslq_engine *e)
{
    e->ticked = 1;
    if (e->port != NULL)
        sslq_port_tick(e->port, sslq_now());
    if (e->after_tick != NULL)
        e->after_tick(e->after_tick_arg);
}

void sslq_engine_wake(sslq_engine *e)
{
    uint64_t one = 1;

    pthread_cond_broadcast(&e->cv);
    if (e->polling)
        (void)!write(e->wake, &one, sizeof(one));
}

/* The wait until |t| for ppoll(), NULL for none, capped at 60 s.  A
 * nanosecond clock, not poll()'s milliseconds: a pacing timer a few
 * microseconds away must not cost a whole millisecond of sending. */
static const struct timespec *wait_until(struct timespec *ts, uint64_t t,
                                         uint64_t now)
{
    uint64_t d;

    if (t == UINT64_MAX)
        return NULL;
    d = t <= now ? 0 : t - now;
    if (d > 60000000000ULL)
        d = 60000000000ULL;
    ts->tv_sec = (time_t)(d / 1000000000ULL);
    ts->tv_nsec = (long)(d % 1000000000ULL);
    return ts;
}

/* Sleeps on the condition variable until |t| (or a broadcast).  The lock is
 * held once here: blocking calls never re-enter. */
static void cond_sleep(sslq_engine *e, uint64_t t)
{
    struct timespec ts;
    int depth = e->depth;

    if (t == UINT64_MAX)
        t = sslq_now() + 60000000000ULL;
    ts.tv_sec = (time_t)(t / 1000000000ULL);
    ts.tv_nsec = (long)(t % 1000000000ULL);
    drop_owner(e);
    pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    take_owner(e);
    e->depth = depth;
}

int sslq_engine_wait(sslq_engine *e, int (*ready)(void *), void *arg,
                     uint64_t deadline)
{
    for (;;) {
        uint64_t now, t;
        int fd;

        sslq_engine_tick(e);
        pthread_cond_broadcast(&e->cv);
        if (ready(arg))
            return 1;
        now = sslq_now();
        if (now >= deadline)
            return 0;
        t = e->port ? sslq_port_next_timeout(e->port) : UINT64_MAX;
        if (deadline < t)
            t = deadline;
        fd = e->port && sslq_port_udp(e->port)
                 ? sslq_udp_get_fd(sslq_port_udp(e->port))
                 : -1;
        if (fd < 0 && t == UINT64_MAX)
            return SSLQ_ERR_IO;
        if (e->polling) {
            cond_sleep(e, t);
            continue;
        }
        {
            struct pollfd pfd[2] = {{-1, 0, 0}, {-1, 0, 0}};
            struct timespec ts;
            int depth = e->depth, n = 0;
            uint64_t drained;

            if (fd >= 0) {
                pfd[n].fd = fd;
                pfd[n].events = POLLIN;
                if (sslq_port_write_pending(e->port))
                    pfd[n].events |= POLLOUT;
                n++;
            }
            pfd[n].fd = e->wake;
            pfd[n].events = POLLIN;
            n++;
            e->polling = 1;
            drop_owner(e);
            pthread_mutex_unlock(&e->mu);
            if (ppoll(pfd, (nfds_t)n, wait_until(&ts, t, now), NULL) > 0 &&
                (pfd[n - 1].revents & POLLIN))
                (void)!read(e->wake, &drained, sizeof(drained));
            pthread_mutex_lock(&e->mu);
            take_owner(e);
            e->depth = depth;
            e->polling = 0;
            /* The application closed the socket under us: nothing will
             * ever arrive, so do not spin on it. */
            if (fd >= 0 && (pfd[0].revents & POLLNVAL))
                return SSLQ_ERR_IO;
        }
    }
}

/* ---- thread assistance ---------------------------------------------------- */

static int assist_should_stop(void *arg)
{
    sslq_engine *e = arg;

    return e->assist_stop;
}

static void *assist_main(void *arg)
{
    sslq_engine *e = arg;

    sslq_engine_lock(e);
    while (!e->assist_stop) {
        /* No pollable network yet: look again now and then. */
        if (sslq_engine_wait(e, assist_should_stop, e, UINT64_MAX) < 0)
            cond_sleep(e, sslq_now() + 50000000ULL);
    }
    sslq_engine_unlock(e);
    return NULL;
}

int sslq_engine_start_assist(sslq_engine *e)
{
    int rv = 0;

    sslq_engine_lock(e);
    if (!e->assisting) {
        e->assist_stop = 0;
        if (pthread_create(&e->assist, NULL, assist_main, e) == 0)
            e->assisting = 1;
        else
            rv = SSLQ_ERR_NOMEM;
    }
    sslq_engine_unlock(e);
    return rv;
}

void sslq_engine_stop_assist(sslq_engine *e)
{
    int join;

    sslq_engine_lock(e);
    join = e->assisting;
    e->assist_stop = 1;
    e->assisting = 0;
    sslq_engine_wake(e);
    sslq_engine_unlock(e);
    if (join)
        pthread_join(e->assist, NULL);
}
