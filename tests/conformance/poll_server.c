/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Non-blocking, single-threaded QUIC echo server written only against
 * OpenSSL 3.5's API.
 *
 *   poll_server --cert F --key F --count N [--port P] [--port-file F]
 *               [--no-validate]
 *
 * Serves up to 50 connections at once, each through a small state machine
 * (read the default stream to its FIN, write it all back with partial
 * writes, conclude, wait for the client to close), and sleeps only in
 * poll(2) on the descriptors SSL_get_rpoll_descriptor/wpoll_descriptor give,
 * for the directions SSL_net_read_desired/write_desired ask for, up to the
 * earliest SSL_get_event_timeout.  Exits after N connections, 0 only if all
 * of them echoed cleanly.
 */
#include "conformance.h"

#define MAX_CONNS 50
#define MAX_FDS (1 + 2 * (MAX_CONNS + 1))

enum { ST_READ, ST_WRITE, ST_CONCLUDE, ST_CLOSE };

struct conn {
    SSL *ssl;
    int st;
    unsigned id;
    unsigned char *buf;
    size_t len, cap, sent;
};

/* 1: progress, 0: waiting, 2: finished, -1: failed. */
static int step(struct conn *c)
{
    int progress = 0, e, r;
    size_t n;
    unsigned char *p;

    while (c->st == ST_READ) {
        if (c->cap - c->len < 16384) {
            c->cap = c->cap ? 2 * c->cap : 65536;
            if ((p = realloc(c->buf, c->cap)) == NULL)
                return -1;
            c->buf = p;
        }
        if (SSL_read_ex(c->ssl, c->buf + c->len, c->cap - c->len, &n)) {
            c->len += n;
            progress = 1;
            continue;
        }
        e = SSL_get_error(c->ssl, 0);
        if (e == SSL_ERROR_WANT_READ)
            return progress;
        if (e != SSL_ERROR_ZERO_RETURN)
            return -1;
        c->st = ST_WRITE;
    }
    while (c->st == ST_WRITE && c->sent < c->len) {
        n = c->len - c->sent > 1048576 ? 1048576 : c->len - c->sent;
        if (SSL_write_ex(c->ssl, c->buf + c->sent, n, &n)) {
            c->sent += n;
            progress = 1;
            continue;
        }
        if (SSL_get_error(c->ssl, 0) == SSL_ERROR_WANT_WRITE)
            return progress;
        return -1;
    }
    if (c->st == ST_WRITE)
        c->st = ST_CONCLUDE;
    if (c->st == ST_CONCLUDE) {
        if (!SSL_stream_conclude(c->ssl, 0))
            return -1;
        c->st = ST_CLOSE;
        progress = 1;
    }
    r = SSL_shutdown_ex(c->ssl, SSL_SHUTDOWN_FLAG_WAIT_PEER, NULL, 0);
    if (r == 1)
        return 2;
    if (r < 0) {
        e = SSL_get_error(c->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return -1;
    }
    return progress;
}

int main(int argc, char **argv)
{
    struct conf_server sv;
    struct conn conns[MAX_CONNS];
    struct pollfd fds[MAX_FDS];
    unsigned accepted = 0, finished = 0, failed = 0;
    nfds_t nfds;
    SSL *s;
    int active = 0, progress, ms, r, i;
    int rc = conf_server_start(&sv, argc, argv, "poll_server", 0);

    while (rc == 0 && finished < sv.count) {
        progress = 0;
        SSL_handle_events(sv.listener);
        while (active < MAX_CONNS && accepted < sv.count &&
               (s = SSL_accept_connection(sv.listener,
                                          SSL_ACCEPT_CONNECTION_NO_BLOCK))) {
            memset(&conns[active], 0, sizeof(conns[active]));
            conns[active].ssl = s;
            conns[active].id = ++accepted;
            SSL_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE);
            active++;
            progress = 1;
        }
        ERR_clear_error(); /* an empty accept queue may leave nothing else */
        for (i = 0; i < active; i++) {
            if ((r = step(&conns[i])) == 1)
                progress = 1;
            if (r != 2 && r != -1)
                continue;
            printf("conn %u: bytes=%zu result=%s\n", conns[i].id, conns[i].len,
                   r == 2 ? "ok" : "failed");
            fflush(stdout);
            if (r == -1) {
                ERR_print_errors_fp(stderr);
                failed++;
            }
            ERR_clear_error();
            SSL_free(conns[i].ssl);
            free(conns[i].buf);
            conns[i--] = conns[--active];
            finished++;
            progress = 1;
        }
        if (progress)
            continue;

        /* Nothing moved: sleep until a socket or a timer needs us. */
        nfds = 0;
        ms = -1;
        r = conf_poll_add(sv.listener, fds, &nfds, MAX_FDS, &ms);
        for (i = 0; r && i < active; i++)
            r = conf_poll_add(conns[i].ssl, fds, &nfds, MAX_FDS, &ms);
        if (!r) {
            fprintf(stderr, "poll_server: no socket poll descriptor\n");
            rc = 1;
        } else if (poll(fds, nfds, ms) < 0 && errno != EINTR) {
            perror("poll_server: poll");
            rc = 1;
        }
    }
    if (rc == 0) {
        printf("done: %u ok, %u failed\n", sv.count - failed, failed);
        rc = failed == 0 ? 0 : 1;
    }
    for (i = 0; i < active; i++) {
        SSL_free(conns[i].ssl);
        free(conns[i].buf);
    }
    conf_server_end(&sv);
    return rc;
}
