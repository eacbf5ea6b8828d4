/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bufq — a byte queue in fixed-size chunks, addressed by absolute stream
 * offset.
 *
 * A stream's send side keeps what the application wrote until the peer
 * acknowledges it, and ngtcp2 holds pointers into those bytes until then, so
 * bytes must never move once written: chunks are allocated as the queue
 * grows and freed whole once every byte in them is released.  The receive
 * side uses the same queue for in-order data the application has not read.
 *
 * Owned by one stream; no locking of its own.
 */
#ifndef SSLQUIC_BUFQ_H
#define SSLQUIC_BUFQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct sslq_bufq_chunk sslq_bufq_chunk;

typedef struct sslq_bufq {
    sslq_bufq_chunk *head, *tail;
    uint64_t head_offset; /* offset of the head chunk's first byte */
    uint64_t start;       /* first byte still held */
    uint64_t end;         /* one past the last byte written */
    size_t chunk_size;
    /* Where the last sslq_bufq_vec() started: a sender asks for ever later
     * offsets, so the next walk starts here rather than at the head.
     * NULL once that chunk is freed. */
    sslq_bufq_chunk *cur;
    uint64_t cur_offset;
} sslq_bufq;

/* An empty queue whose first byte will have offset |offset|. */
void sslq_bufq_init(sslq_bufq *q, size_t chunk_size, uint64_t offset);
void sslq_bufq_free(sslq_bufq *q);

/* Copies |len| bytes to the end.  0 or SSLQ_ERR_NOMEM (nothing appended). */
int sslq_bufq_append(sslq_bufq *q, const uint8_t *data, size_t len);

/* Up to |nvec| vectors covering the bytes from offset |from| to the end
 * (nothing when |from| is outside [start, end)).  Returns the vector count;
 * *total, if not NULL, receives the bytes they cover.  Remembers where it
 * started, so that asking for increasing offsets costs no walk from the
 * head. */
size_t sslq_bufq_vec(sslq_bufq *q, uint64_t from, struct iovec *vec,
                     size_t nvec, size_t *total);

/* Copies up to |len| bytes from the start without releasing them. */
size_t sslq_bufq_peek(const sslq_bufq *q, uint8_t *out, size_t len);

/* Releases every byte before offset |upto| (clamped to [start, end]). */
void sslq_bufq_release(sslq_bufq *q, uint64_t upto);

/* Copies up to |len| bytes from the start and releases them. */
size_t sslq_bufq_read(sslq_bufq *q, uint8_t *out, size_t len);

static inline uint64_t sslq_bufq_len(const sslq_bufq *q)
{
    return q->end - q->start;
}

#endif /* SSLQUIC_BUFQ_H */
