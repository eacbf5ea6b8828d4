/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream — the state of one QUIC stream as its connection keeps it: what the
 * application wrote and the peer has not acknowledged, what arrived and the
 * application has not read, and how each direction ended.
 *
 * Owned by its connection (conn.c creates, drives and frees streams); the
 * application reaches a stream through the handle layer, which holds it with
 * sslq_stream_release when done.  Not thread-safe: used under the
 * connection's lock.
 */
#ifndef SSLQUIC_STREAM_H
#define SSLQUIC_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "bufq.h"

struct sslq_conn;

/* How one direction of a stream stands. */
enum sslq_stream_part {
    SSLQ_PART_NONE = 0,     /* this direction does not exist (uni stream) */
    SSLQ_PART_OPEN,         /* data may flow */
    SSLQ_PART_FINISHED,     /* FIN sent (send) / all data read (receive) */
    SSLQ_PART_RESET_LOCAL,  /* we reset / asked to stop */
    SSLQ_PART_RESET_REMOTE, /* the peer reset / asked us to stop */
    SSLQ_PART_CONN_CLOSED,  /* the connection ended first */
};

typedef struct sslq_stream {
    struct sslq_conn *conn;
    int64_t id;
    void *handle; /* the application's object for this stream, if any */

    /* sending */
    enum sslq_stream_part send_part;
    sslq_bufq send;         /* written, not yet acknowledged */
    uint64_t send_offset;   /* next offset to hand to ngtcp2 */
    size_t send_cap;        /* bytes the buffer may hold */
    uint64_t send_error;    /* code of a reset (either side) */
    unsigned fin_wanted : 1;
    unsigned fin_sent : 1;
    unsigned send_blocked : 1; /* flow control: wait for credit */

    /* receiving */
    enum sslq_stream_part recv_part;
    sslq_bufq recv;         /* arrived, not yet read */
    uint64_t recv_error;
    unsigned fin_received : 1;

    unsigned released : 1;  /* the application let go */
    unsigned closed : 1;    /* ngtcp2 forgot the stream */
    unsigned queued : 1;    /* in the connection's accept queue */

    struct sslq_stream *next;      /* all streams of the connection */
    struct sslq_stream *send_next; /* streams with something to send */
    struct sslq_stream *accept_next;
    unsigned in_send_list : 1;
} sslq_stream;

/* 1 for a stream the local side opened. */
int sslq_stream_is_local(const sslq_stream *s, int is_server);
/* 1 for a unidirectional stream. */
static inline int sslq_stream_is_uni(const sslq_stream *s)
{
    return (s->id & 0x2) != 0;
}

/* 1 when the stream has bytes or a FIN that ngtcp2 has not taken yet. */
static inline int sslq_stream_wants_send(const sslq_stream *s)
{
    return s->send_part == SSLQ_PART_OPEN &&
           (s->send_offset < s->send.end || (s->fin_wanted && !s->fin_sent));
}

#endif /* SSLQUIC_STREAM_H */
