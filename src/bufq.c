/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "bufq.h"
#include "error.h"

struct sslq_bufq_chunk {
    sslq_bufq_chunk *next;
    uint8_t data[]; /* chunk_size bytes */
};

void sslq_bufq_init(sslq_bufq *q, size_t chunk_size, uint64_t offset)
{
    memset(q, 0, sizeof(*q));
    q->chunk_size = chunk_size ? chunk_size : 16384;
    q->head_offset = q->start = q->end = offset;
}

void sslq_bufq_free(sslq_bufq *q)
{
    sslq_bufq_chunk *c = q->head, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    q->head = q->tail = q->cur = NULL;
    q->head_offset = q->start = q->end;
}

/* Bytes of room left in the tail chunk. */
static size_t tail_room(const sslq_bufq *q)
{
    uint64_t used;

    if (q->tail == NULL)
        return 0;
    used = (q->end - q->head_offset) % q->chunk_size;
    /* A full tail chunk has used == 0 once end reaches its boundary. */
    if (used == 0 && q->end > q->head_offset)
        return 0;
    return q->chunk_size - (size_t)used;
}

int sslq_bufq_append(sslq_bufq *q, const uint8_t *data, size_t len)
{
    size_t cs = q->chunk_size, room = tail_room(q), off, total = len;
    size_t nfresh = len > room ? (len - room + cs - 1) / cs : 0;
    sslq_bufq_chunk *fresh = NULL, *last = NULL, *c;

    /* Allocate every chunk first so that a failure appends nothing. */
    for (size_t i = 0; i < nfresh; i++) {
        c = malloc(sizeof(*c) + cs);
        if (c == NULL) {
            while ((c = fresh) != NULL) {
                fresh = c->next;
                free(c);
            }
            return SSLQ_ERR_NOMEM;
        }
        c->next = NULL;
        if (last != NULL)
            last->next = c;
        else
            fresh = c;
        last = c;
    }
    if (len == 0)
        return 0;
    if (q->tail == NULL)
        q->head_offset = q->start = q->end;
    c = room ? q->tail : fresh;
    off = room ? cs - room : 0;
    if (fresh != NULL) {
        if (q->tail != NULL)
            q->tail->next = fresh;
        else
            q->head = fresh;
        q->tail = last;
    }
    while (len > 0) {
        size_t n = len < cs - off ? len : cs - off;

        memcpy(c->data + off, data, n);
        data += n;
        len -= n;
        off += n;
        if (off == cs) {
            c = c->next;
            off = 0;
        }
    }
    q->end += total;
    return 0;
}

/* The chunk holding offset |from| (which must lie in [start, end)) and, in
 * *coff, the offset of its first byte; the walk starts at the cursor when
 * that is not past |from|. */
static sslq_bufq_chunk *locate(const sslq_bufq *q, uint64_t from,
                               uint64_t *coff)
{
    sslq_bufq_chunk *c = q->head;
    uint64_t off = q->head_offset;

    if (q->cur != NULL && q->cur_offset <= from) {
        c = q->cur;
        off = q->cur_offset;
    }
    while (c != NULL && off + q->chunk_size <= from) {
        c = c->next;
        off += q->chunk_size;
    }
    *coff = off;
    return c;
}

static size_t fill_vec(const sslq_bufq *q, const sslq_bufq_chunk *c,
                       uint64_t coff, uint64_t from, struct iovec *vec,
                       size_t nvec, size_t *total)
{
    size_t n = 0, sum = 0;

    for (; c != NULL && n < nvec && coff < q->end; c = c->next) {
        size_t skip = from > coff ? (size_t)(from - coff) : 0;
        uint64_t cend = coff + q->chunk_size;
        size_t len = (size_t)((cend < q->end ? cend : q->end) - coff) - skip;

        vec[n].iov_base = (void *)(c->data + skip);
        vec[n].iov_len = len;
        sum += len;
        n++;
        coff = cend;
    }
    if (total)
        *total = sum;
    return n;
}

size_t sslq_bufq_vec(sslq_bufq *q, uint64_t from, struct iovec *vec,
                     size_t nvec, size_t *total)
{
    uint64_t coff;

    if (from < q->start || from >= q->end) {
        if (total)
            *total = 0;
        return 0;
    }
    q->cur = locate(q, from, &coff);
    q->cur_offset = coff;
    return fill_vec(q, q->cur, coff, from, vec, nvec, total);
}

size_t sslq_bufq_peek(const sslq_bufq *q, uint8_t *out, size_t len)
{
    const sslq_bufq_chunk *c = q->head;
    uint64_t coff = q->head_offset, from = q->start;
    size_t done = 0;

    for (; c != NULL && done < len && from < q->end; c = c->next) {
        uint64_t cend = coff + q->chunk_size;
        size_t avail = (size_t)((cend < q->end ? cend : q->end) - from);
        size_t n = avail < len - done ? avail : len - done;

        memcpy(out + done, c->data + (from - coff), n);
        done += n;
        from += n;
        coff = cend;
    }
    return done;
}

void sslq_bufq_release(sslq_bufq *q, uint64_t upto)
{
    if (upto <= q->start)
        return;
    if (upto > q->end)
        upto = q->end;
    q->start = upto;
    while (q->head != NULL && q->head_offset + q->chunk_size <= q->start) {
        sslq_bufq_chunk *c = q->head;

        q->head = c->next;
        q->head_offset += q->chunk_size;
        if (c == q->cur)
            q->cur = NULL;
        free(c);
    }
    if (q->head == NULL) {
        q->tail = NULL;
        q->head_offset = q->start;
    } else if (q->start == q->end) {
        /* Empty but the last chunk is partly used: drop it too, so an idle
         * stream holds no memory. */
        free(q->head);
        q->head = q->tail = q->cur = NULL;
        q->head_offset = q->start;
    }
}

size_t sslq_bufq_read(sslq_bufq *q, uint8_t *out, size_t len)
{
    size_t n = sslq_bufq_peek(q, out, len);

    sslq_bufq_release(q, q->start + n);
    return n;
}
