/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-poll: the SSL_poll array both examples rebuild on every turn of their
 * loop (see struct h3_poll in h3-common.h).  Each item carries a pointer to
 * the rev field of the connection or stream it stands for, so one call
 * hands every report back to its owner and the loop then just walks its
 * connections and streams.
 */
#include <stdlib.h>

#include <openssl/quic.h>

#include "h3-common.h"

int h3_poll_add(struct h3_poll *p, SSL *ssl, uint64_t ev, uint64_t *rev)
{
    struct h3_item *q;

    if (p->n == p->cap) {
        if ((q = realloc(p->it, (p->cap + 64) * sizeof(*q))) == NULL)
            return 0;
        p->it = q;
        p->cap += 64;
    }
    p->it[p->n++] = (struct h3_item){{SSL_as_poll_descriptor(ssl), ev, 0}, rev};
    return 1;
}

int h3_poll_conn(struct h3_poll *p, struct h3_conn *c, uint64_t ev)
{
    size_t i;

    if (c->closing)
        return h3_poll_add(p, c->ssl, SSL_POLL_EVENT_ECD, &c->rev);
    if (!h3_poll_add(p, c->ssl, ev, &c->rev))
        return 0;
    for (i = 0; i < c->n; i++) {
        ev = (c->s[i]->rdone ? 0 : SSL_POLL_EVENT_RE) |
             (c->s[i]->blocked ? SSL_POLL_EVENT_WE : 0);
        if (ev != 0 && !h3_poll_add(p, c->s[i]->ssl, ev, &c->s[i]->rev))
            return 0;
    }
    return 1;
}

int h3_poll_wait(struct h3_poll *p, long ms)
{
    struct timeval tmo = {ms / 1000, (ms % 1000) * 1000};
    size_t i, nres;

    if (!SSL_poll(&p->it[0].it, p->n, sizeof(p->it[0]), &tmo, 0, &nres))
        return 0;
    for (i = 0; i < p->n; i++)
        if (p->it[i].rev != NULL)
            *p->it[i].rev |= p->it[i].it.revents;
    return 1;
}
