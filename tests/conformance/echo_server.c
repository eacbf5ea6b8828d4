/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Blocking QUIC echo server written only against OpenSSL 3.5's API.
 *
 *   echo_server --cert F --key F --count N [--port P] [--port-file F]
 *               [--no-validate]
 *
 * Accepts N connections one after another on a listener; for each, reads
 * the default stream to its FIN, writes everything back and concludes,
 * then waits for the client to close.  One line per connection; exit 0
 * only if every connection echoed cleanly.
 */
#include "conformance.h"

struct buf {
    unsigned char *data;
    size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
    unsigned char *p;
    size_t cap = b->cap ? b->cap : 65536;

    while (cap - b->len < more)
        cap *= 2;
    if (cap == b->cap)
        return 1;
    p = realloc(b->data, cap);
    if (p == NULL)
        return 0;
    b->data = p;
    b->cap = cap;
    return 1;
}

/* Returns NULL on success, else a short description of what failed. */
static const char *serve(SSL *conn, struct buf *b)
{
    size_t n, done = 0;
    int e;

    b->len = 0;
    for (;;) {
        if (!buf_reserve(b, 65536))
            return "out of memory";
        if (SSL_read_ex(conn, b->data + b->len, b->cap - b->len, &n)) {
            b->len += n;
            continue;
        }
        e = SSL_get_error(conn, 0);
        if (e == SSL_ERROR_ZERO_RETURN)
            break;
        fprintf(stderr, "echo_server: read: %s\n", conf_err_name(e));
        return "read failed";
    }

    /* Large echoes go out in pieces with the FIN on the last one; a short
     * echo (and an empty one) goes out whole with SSL_write_ex2. */
    while (b->len - done > 1048576) {
        if (!SSL_write_ex(conn, b->data + done, 1048576, &n)) {
            fprintf(stderr, "echo_server: write: %s\n",
                    conf_err_name(SSL_get_error(conn, 0)));
            return "write failed";
        }
        done += n;
    }
    if (!SSL_write_ex2(conn, b->data + done, b->len - done,
                       SSL_WRITE_FLAG_CONCLUDE, &n) ||
        n != b->len - done) {
        fprintf(stderr, "echo_server: write_ex2: %s\n",
                conf_err_name(SSL_get_error(conn, 0)));
        return "write failed";
    }

    /* The client closes once it has read the echo; closing first could cut
     * off data it has acknowledged but not yet read. */
    for (n = 0; n < 100; n++) {
        int r = SSL_shutdown_ex(conn, SSL_SHUTDOWN_FLAG_WAIT_PEER, NULL, 0);

        if (r == 1)
            return NULL;
        if (r < 0) {
            fprintf(stderr, "echo_server: shutdown: %s\n",
                    conf_err_name(SSL_get_error(conn, r)));
            return "shutdown failed";
        }
    }
    return "shutdown never completed";
}

int main(int argc, char **argv)
{
    struct conf_server sv;
    struct buf b = {NULL, 0, 0};
    unsigned i, failed = 0;
    const char *what;
    int rc = conf_server_start(&sv, argc, argv, "echo_server", 1);

    for (i = 1; rc == 0 && i <= sv.count; i++) {
        SSL *conn = SSL_accept_connection(sv.listener, 0);

        if (conn == NULL) {
            fprintf(stderr, "echo_server: accept failed\n");
            ERR_print_errors_fp(stderr);
            failed += sv.count - i + 1;
            break;
        }
        what = serve(conn, &b);
        printf("conn %u: bytes=%zu result=%s\n", i, b.len, what ? what : "ok");
        fflush(stdout);
        if (what != NULL) {
            ERR_print_errors_fp(stderr);
            failed++;
        }
        ERR_clear_error();
        SSL_free(conn);
    }
    if (rc == 0) {
        printf("done: %u ok, %u failed\n", sv.count - failed, failed);
        rc = failed == 0 ? 0 : 1;
    }
    conf_server_end(&sv);
    free(b.data);
    return rc;
}
