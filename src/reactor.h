/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reactor — the engine under a listener or a standalone connection: one
 * lock, one port, and the blocking waits.
 *
 * Every object under one listener (the listener, its connections, their
 * streams) shares one engine, so one lock guards the whole port.  A blocking
 * call drives the whole port with the lock held and waits on the socket with
 * the lock released; of several threads waiting at once, one polls the
 * socket and the others sleep on a condition variable until it has moved
 * things on, so no datagram is read by a thread that does not process it.
 * Any thread that changes state wakes the poller through a pipe.
 *
 * The lock is re-entrant for its owner (freeing an SSL from inside the
 * engine runs that SSL's teardown, which takes the lock again).  Engines are
 * reference-counted: each object holds one reference.
 */
#ifndef SSLQUIC_REACTOR_H
#define SSLQUIC_REACTOR_H

#include <pthread.h>
#include <stdint.h>

#include "port.h"

typedef struct sslq_engine sslq_engine;

/* A new engine (one reference) with no port yet. */
int sslq_engine_new(sslq_engine **out);
void sslq_engine_up(sslq_engine *eng);
/* Drops a reference; the last frees the port and everything on it. */
void sslq_engine_down(sslq_engine *eng);

void sslq_engine_lock(sslq_engine *eng);
void sslq_engine_unlock(sslq_engine *eng);

/* The engine's port (NULL until set). */
sslq_port *sslq_engine_port(const sslq_engine *eng);
void sslq_engine_set_port(sslq_engine *eng, sslq_port *port);

/* Called after every step of the engine, with the lock held (the listener
 * reaps connections that died before being accepted).  One hook. */
void sslq_engine_set_after_tick(sslq_engine *eng, void (*fn)(void *), void *arg);

/* 1 once the engine made its first step. */
int sslq_engine_ticked(const sslq_engine *eng);

/* One step: read what the socket has, fire timers, send.  Lock held. */
void sslq_engine_tick(sslq_engine *eng);

/* Waits, lock held, until |ready(arg)| is true or |deadline| (monotonic ns,
 * UINT64_MAX = none) passes, driving the engine meanwhile.  Returns 1 when
 * ready, 0 on timeout, SSLQ_ERR_IO when there is nothing to wait on (no
 * pollable descriptor). */
int sslq_engine_wait(sslq_engine *eng, int (*ready)(void *arg), void *arg,
                     uint64_t deadline);

/* Thread-assisted mode: a background thread drives the engine (timers,
 * acknowledgements, keep-alive) while the application is busy elsewhere.
 * Started once; stopped and joined when the engine's last reference goes,
 * or by sslq_engine_stop_assist (call it without the lock). */
int sslq_engine_start_assist(sslq_engine *eng);
void sslq_engine_stop_assist(sslq_engine *eng);

/* Someone changed state: let the thread polling the socket look again. */
void sslq_engine_wake(sslq_engine *eng);

#endif /* SSLQUIC_REACTOR_H */
