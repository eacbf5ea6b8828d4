/* SPDX-License-Identifier: Apache-2.0 */
/*
 * impl — what the public SSLQ_* entry points share: object construction,
 * network BIO ownership, blocking policy, and the listener's values.  The
 * entry points themselves live in listener.c (listeners, domains),
 * conn_api.c (connections, streams, data) and impl.c (events, values,
 * network, calls answered by the connection).
 */
#ifndef SSLQUIC_IMPL_H
#define SSLQUIC_IMPL_H

#include "object.h"

/* A connection object on |ssl| under |eng| (NULL: a new engine of its
 * own), attached to |ssl|.  NULL when out of memory. */
sslq_conn_obj *sslq_connobj_new(SSL *ssl, sslq_engine *eng, int is_server);

/* Frees the network BIOs |o| holds (as SSL_free would). */
void sslq_obj_release_bios(sslq_obj *o);

/* 1 when calls on |o| block. */
int sslq_obj_blocking(const sslq_obj *o);

int sslq_listener_get_value(sslq_listener_obj *l, uint32_t id, uint64_t *v);
int sslq_listener_set_value(sslq_listener_obj *l, uint32_t id, uint64_t v);

/* The SSL_POLL_EVENT_* bits |o| could report now (engine lock held). */
uint64_t sslq_obj_poll_events(sslq_obj *o);

/* The SSL whose TLS state answers for |ssl|: a stream's connection, else
 * |ssl| itself. */
SSL *sslq_tls_target(const SSL *ssl);

#endif /* SSLQUIC_IMPL_H */
