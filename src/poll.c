/* SPDX-License-Identifier: Apache-2.0 */
/*
 * poll — SSL_poll: readiness of many QUIC objects (and plain sockets) at
 * once.  Each distinct engine among the items is driven once per round
 * (unless SSL_POLL_FLAG_NO_HANDLE_EVENTS), each item's events read under its
 * engine's lock, and the caller waits on the engines' sockets and the
 * earliest timer until something is ready or the timeout passes.  Work per
 * call grows with the items passed, not with the objects on the ports.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "impl.h"

#define MAX_ENGINES 64

static SSL_POLL_ITEM *item_at(SSL_POLL_ITEM *items, size_t stride, size_t i)
{
    return (SSL_POLL_ITEM *)((unsigned char *)items + i * stride);
}

/* Every item's revents for this moment; returns how many are ready, or
 * -1 - (how many have revents) when an item cannot be polled (its revents
 * then hold F). */
static long scan(SSL_POLL_ITEM *items, size_t n, size_t stride)
{
    long ready = 0;
    int bad = 0;

    for (size_t i = 0; i < n; i++) {
        SSL_POLL_ITEM *it = item_at(items, stride, i);
        uint64_t ev = 0;

        if (it->desc.type == BIO_POLL_DESCRIPTOR_TYPE_SSL) {
            sslq_obj *o = sslq_obj_get(it->desc.value.ssl);

            if (it->desc.value.ssl == NULL) {
                ev = 0; /* OpenSSL 3.5 passes over an empty slot */
            } else if (o == NULL) {
                ev = SSL_POLL_EVENT_F;
                bad = 1;
            } else {
                sslq_engine_lock(o->eng);
                ev = sslq_obj_poll_events(o);
                sslq_engine_unlock(o->eng);
            }
        } else {
            ev = SSL_POLL_EVENT_F;
            bad = 1;
        }
        /* Only a failure to poll is reported unasked (as OpenSSL 3.5):
         * reporting EC to someone waiting for ECD would spin its loop. */
        it->revents = ev & (it->events | SSL_POLL_EVENT_F);
        if (it->revents != 0)
            ready++;
    }
    return bad ? -1 - ready : ready;
}

/* The distinct engines of the SSL items. */
static size_t engines_of(SSL_POLL_ITEM *items, size_t n, size_t stride,
                         sslq_engine **engs)
{
    size_t ne = 0;

    for (size_t i = 0; i < n; i++) {
        SSL_POLL_ITEM *it = item_at(items, stride, i);
        sslq_obj *o;
        size_t j;

        if (it->desc.type != BIO_POLL_DESCRIPTOR_TYPE_SSL ||
            (o = sslq_obj_get(it->desc.value.ssl)) == NULL)
            continue;
        for (j = 0; j < ne && engs[j] != o->eng; j++)
            ;
        if (j == ne && ne < MAX_ENGINES)
            engs[ne++] = o->eng;
    }
    return ne;
}

static void wait_once(SSL_POLL_ITEM *items, size_t n, size_t stride,
                      sslq_engine **engs, size_t ne, uint64_t deadline)
{
    struct pollfd pfd[MAX_ENGINES + 64];
    size_t np = 0;
    uint64_t t = deadline, now = sslq_now();
    int ms;

    for (size_t e = 0; e < ne; e++) {
        sslq_port *port;

        sslq_engine_lock(engs[e]);
        port = sslq_engine_port(engs[e]);
        if (port != NULL) {
            uint64_t pt = sslq_port_next_timeout(port);

            if (pt < t)
                t = pt;
            if (sslq_port_udp(port) != NULL &&
                sslq_udp_get_fd(sslq_port_udp(port)) >= 0) {
                pfd[np].fd = sslq_udp_get_fd(sslq_port_udp(port));
                pfd[np].events = POLLIN;
                if (sslq_port_write_pending(port))
                    pfd[np].events |= POLLOUT;
                np++;
            }
        }
        sslq_engine_unlock(engs[e]);
    }
    if (t == UINT64_MAX)
        ms = np ? 1000 : 10; /* re-check now and then: other threads act */
    else if (t <= now)
        ms = 0;
    else
        ms = (int)((t - now + 999999) / 1000000) > 1000
                 ? 1000
                 : (int)((t - now + 999999) / 1000000);
    (void)poll(pfd, (nfds_t)np, ms);
}

int SSLQ_poll(SSL_POLL_ITEM *items, size_t num_items, size_t stride,
              const struct timeval *timeout, uint64_t flags,
              size_t *result_count)
{
    sslq_engine *engs[MAX_ENGINES];
    uint64_t deadline;
    size_t ne;
    long ready;

    if (result_count != NULL)
        *result_count = 0;
    if (num_items > 0 && items == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (num_items > 0 && stride < sizeof(SSL_POLL_ITEM)) {
        SSLQ_RAISE(SSLQ_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    /* Unknown flags are ignored, as OpenSSL 3.5 does. */
    deadline = timeout == NULL
                   ? UINT64_MAX
                   : sslq_now() + (uint64_t)timeout->tv_sec * 1000000000ULL +
                         (uint64_t)timeout->tv_usec * 1000ULL;
    ne = engines_of(items, num_items, stride, engs);
    for (;;) {
        if (!(flags & SSL_POLL_FLAG_NO_HANDLE_EVENTS))
            for (size_t e = 0; e < ne; e++) {
                sslq_engine_lock(engs[e]);
                sslq_engine_tick(engs[e]);
                sslq_engine_unlock(engs[e]);
            }
        ready = scan(items, num_items, stride);
        if (ready < 0) {
            if (result_count != NULL)
                *result_count = (size_t)(-1 - ready);
            SSLQ_RAISE(SSLQ_R_POLL_REQUEST_NOT_SUPPORTED);
            return 0;
        }
        if (ready > 0 || sslq_now() >= deadline) {
            if (result_count != NULL)
                *result_count = (size_t)ready;
            return 1;
        }
        wait_once(items, num_items, stride, engs, ne, deadline);
    }
}
