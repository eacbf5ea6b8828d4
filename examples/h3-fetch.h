/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-fetch: the HTTP side of h3-client: one creq per URL, sent as a GET
 * on its own request stream, whose response is counted and, on request,
 * saved to a file and hashed.  h3-client.c owns the QUIC side (connecting,
 * the poll loop) and the creq array; each request stream's app pointer is
 * its creq, and h3_fetch_gone is the connection's free_app hook.
 */
#ifndef H3_FETCH_H
#define H3_FETCH_H

#include <stdio.h>

#include <openssl/evp.h>

#include "h3-common.h"

struct creq {
    char *path;
    int status;     /* the :status received, 0 before */
    int done;       /* the response arrived to its end */
    int gone;       /* its stream is closed and freed */
    long long clen; /* content-length; -1 if none came, -2 if unreadable */
    uint64_t bytes; /* body bytes received */
    FILE *out;      /* -o: where the body goes */
    EVP_MD_CTX *md; /* --sha256: the body's digest */
};

/* The nghttp3 callbacks that take in a response. */
extern const nghttp3_callbacks h3_fetch_callbacks;

/* Opens r's output file in dir (if any) and digest (if sha), then sends
 * the request on a new stream of c: 0 or -1. */
int h3_fetch_submit(struct h3_conn *c, struct creq *r, const char *dir, int sha,
                    const char *authority);

/* The free_app hook: the stream of that creq is gone. */
void h3_fetch_gone(void *app);

/* Body bytes received so far, over all requests. */
uint64_t h3_fetch_received(void);

/* Prints "status ..." (and "sha256 ..." if hashed) for r and frees what it
 * holds: 0 if it succeeded, -1 if not. */
int h3_fetch_report(struct creq *r);

#endif /* H3_FETCH_H */
