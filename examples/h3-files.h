/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-files: the HTTP side of h3-server, answering each request from the
 * files under one document root.  h3-server.c owns the QUIC side (the
 * listener, connections, polling) and plugs these in: the callbacks go to
 * h3_conn_init, and h3_files_new_req / h3_files_end_req become the
 * connection's new_app / free_app hooks, so each request stream's state is
 * made when the stream arrives and freed (after logging the request) when
 * h3_reap ends it.
 */
#ifndef H3_FILES_H
#define H3_FILES_H

#include "h3-common.h"

/* Sets the document root to dir's real path: 0, or -1 with errno set. */
int h3_files_set_root(const char *dir);

/* The nghttp3 callbacks that read a request and submit its response. */
extern const nghttp3_callbacks h3_files_callbacks;

/* A request stream's state (NULL if out of memory), and its end: logs
 * "h3-server: request ..." if the response went out in full. */
void *h3_files_new_req(struct h3_stream *s);
void h3_files_end_req(void *req);

/* How many requests have been logged. */
unsigned long h3_files_requests(void);

#endif /* H3_FILES_H */
