/* SPDX-License-Identifier: Apache-2.0 */
/*
 * port — one UDP endpoint and every QUIC connection on it.
 *
 * The port reads datagrams (udp.h), routes each by its destination
 * connection ID (cidmap.h) to a connection (conn.h), and answers what no
 * connection owns: a client's first Initial (a new server connection, or a
 * Retry, or CONNECTION_REFUSED past the pending cap), an unknown version
 * (Version Negotiation), a short-header packet for a forgotten connection
 * (a stateless reset, rate-limited).  It fires connection timers from a
 * min-heap and sends what connections have to send in batches.
 *
 * Ownership: the port owns its udp endpoint, its map, its token key and its
 * port-side records of connections; the connections themselves are created
 * by the port and freed by sslq_port_conn_free (the handle layer calls it
 * when the application frees the connection's SSL).  The owner (listener or
 * client connection handle) learns of new connections and state changes
 * through sslq_port_ops.  Not thread-safe: one lock per port, held by the
 * caller of every function here.
 */
#ifndef SSLQUIC_PORT_H
#define SSLQUIC_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "conn.h"
#include "udp.h"

typedef struct sslq_port sslq_port;

/* What a server port's owner says to a client's first Initial. */
enum {
    SSLQ_ACCEPT_NO = 0,            /* refuse: CONNECTION_REFUSED */
    SSLQ_ACCEPT_YES = 1,           /* create the connection */
    SSLQ_ACCEPT_VALIDATED_ONLY = 2 /* only once the address is proven */
};

typedef struct sslq_port_ops {
    /* Server: may a new connection be created now (pending cap)?  One of
     * SSLQ_ACCEPT_*. */
    int (*may_accept)(void *owner);
    /* Server: the SSL for a new incoming connection (NULL refuses it). */
    SSL *(*new_ssl)(void *owner);
    /* Server: a new connection exists (its handshake is under way). */
    void (*incoming)(void *owner, sslq_conn *conn);
    /* Something about |conn| changed (NULL: about the port itself). */
    void (*event)(void *owner, sslq_conn *conn);
} sslq_port_ops;

typedef struct sslq_port_config {
    int accept;         /* answer client Initials (a server port) */
    int validate;       /* send Retry to unvalidated addresses */
    uint64_t retry_token_lifetime_ms;
    uint64_t new_token_lifetime_ms;
    unsigned resets_per_second; /* stateless reset budget */
    sslq_conn_config conn;
} sslq_port_config;

void sslq_port_config_default(sslq_port_config *cfg);

/* Counters for tests, logs and benchmarks. */
typedef struct sslq_port_stats {
    uint64_t rx_dgrams, rx_dropped, tx_dgrams;
    uint64_t retries_sent, vn_sent, resets_sent, refused;
    uint64_t invalid_tokens;
    uint64_t conns_created, conns_live;
} sslq_port_stats;

/* A port on |udp| (taken over: freed with the port; may be NULL for a port
 * without network yet, see sslq_port_set_udp).  0, SSLQ_ERR_NOMEM,
 * SSLQ_ERR_INVALID_ARGUMENT. */
int sslq_port_new(sslq_port **out, sslq_udp *udp, const sslq_port_config *cfg,
                  const sslq_port_ops *ops, void *owner);

/* Frees the port and every connection still on it (their SSLs stay). */
void sslq_port_free(sslq_port *port);

/* Replaces the endpoint (the old one is freed). */
void sslq_port_set_udp(sslq_port *port, sslq_udp *udp);
sslq_udp *sslq_port_udp(const sslq_port *port);
sslq_port_config *sslq_port_get_config(sslq_port *port);

/* A client connection on |ssl| to |peer| (a NEW_TOKEN token this port got
 * from that peer earlier is used).  0 or an error of sslq_conn_new_client. */
int sslq_port_connect(sslq_port *port, SSL *ssl, const struct sockaddr *peer,
                      socklen_t peerlen, sslq_conn **out, uint64_t now);

/* Frees |conn| (closing it silently if still open) and forgets it. */
void sslq_port_conn_free(sslq_port *port, sslq_conn *conn);

/* The application did something to |conn| (wrote, read, closed): it may
 * have packets to send; the next sslq_port_flush sends them. */
void sslq_port_conn_touch(sslq_port *port, sslq_conn *conn);

/* Reads and processes every datagram waiting (bounded per call). Returns
 * 1 when it processed any, 0 when none, or a negative error. */
int sslq_port_read(sslq_port *port, uint64_t now);

/* Processes one datagram handed in by the application
 * (SSL_inject_net_dgram). */
int sslq_port_inject(sslq_port *port, const uint8_t *data, size_t len,
                     const struct sockaddr *peer, socklen_t peerlen,
                     const struct sockaddr *local, socklen_t locallen,
                     uint64_t now);

/* Fires due timers. */
void sslq_port_timers(sslq_port *port, uint64_t now);

/* Sends what every touched connection has to send.  Returns 1 when the
 * socket would block with datagrams still waiting (poll for writable). */
int sslq_port_flush(sslq_port *port, uint64_t now);

/* One step of everything: read, timers, flush. */
int sslq_port_tick(sslq_port *port, uint64_t now);

/* The earliest connection timer (UINT64_MAX: none). */
uint64_t sslq_port_next_timeout(const sslq_port *port);

/* 1 when datagrams are waiting to be sent (socket was full). */
int sslq_port_write_pending(const sslq_port *port);

void sslq_port_get_stats(const sslq_port *port, sslq_port_stats *out);

/* Monotonic time in nanoseconds, the clock every port and connection uses. */
uint64_t sslq_now(void);

#endif /* SSLQUIC_PORT_H */
