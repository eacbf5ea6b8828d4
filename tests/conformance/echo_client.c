/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Blocking QUIC echo client written only against OpenSSL 3.5's API.
 *
 *   echo_client (--port P | --port-file F) (--cafile F | --insecure)
 *               [--bytes N] [--parallel K] [--conclude ex2|call]
 *
 * Sends N bytes of a fixed pattern on the default stream and concludes it
 * (with SSL_write_ex2's CONCLUDE flag, or SSL_stream_conclude after the last
 * SSL_write_ex), reads the echo to its FIN checking every byte, then shuts
 * the connection down.  --parallel runs K such clients at once, each in its
 * own process.  Exit 0 only if every client saw its exact bytes back.
 */

#include "conformance.h"

#define CHUNK 262144

struct opts {
    unsigned port;
    const char *cafile;
    uint64_t bytes;
    int conclude_call;
};

static void fill(unsigned char *p, uint64_t off, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = conf_pattern(off + i);
}

static int fail(const char *who, SSL *ssl, int ret)
{
    fprintf(stderr, "echo_client: %s failed (SSL_get_error %d)\n", who,
            ssl != NULL ? SSL_get_error(ssl, ret) : -1);
    ERR_print_errors_fp(stderr);
    return 1;
}

static int send_all(SSL *ssl, const struct opts *o, unsigned char *buf)
{
    uint64_t off = 0;
    size_t n, w;

    do {
        n = o->bytes - off > CHUNK ? CHUNK : (size_t)(o->bytes - off);
        fill(buf, off, n);
        if (off + n == o->bytes && !o->conclude_call) {
            if (!SSL_write_ex2(ssl, buf, n, SSL_WRITE_FLAG_CONCLUDE, &w) ||
                w != n)
                return fail("SSL_write_ex2", ssl, 0);
        } else if (n > 0) {
            if (!SSL_write_ex(ssl, buf, n, &w) || w != n)
                return fail("SSL_write_ex", ssl, 0);
        }
        off += n;
    } while (off < o->bytes);
    if (o->conclude_call && !SSL_stream_conclude(ssl, 0))
        return fail("SSL_stream_conclude", ssl, 0);
    return 0;
}

static int receive_all(SSL *ssl, const struct opts *o, unsigned char *buf)
{
    uint64_t off = 0;
    size_t n, i;
    int e;

    for (;;) {
        if (!SSL_read_ex(ssl, buf, CHUNK, &n)) {
            e = SSL_get_error(ssl, 0);
            if (e == SSL_ERROR_ZERO_RETURN)
                break;
            return fail("SSL_read_ex", ssl, 0);
        }
        for (i = 0; i < n; i++) {
            if (off + i >= o->bytes || buf[i] != conf_pattern(off + i)) {
                fprintf(stderr, "echo_client: wrong byte at offset %llu\n",
                        (unsigned long long)(off + i));
                return 1;
            }
        }
        off += n;
    }
    if (off != o->bytes) {
        fprintf(stderr, "echo_client: echo ended after %llu of %llu bytes\n",
                (unsigned long long)off, (unsigned long long)o->bytes);
        return 1;
    }
    return 0;
}

static int run_one(const struct opts *o)
{
    SSL_CTX *ctx = conf_client_ctx(o->cafile);
    SSL *ssl = NULL;
    unsigned char *buf = malloc(CHUNK);
    int fd = -1, rc = 1, r, tries;

    if (ctx == NULL || buf == NULL ||
        (ssl = conf_client_conn(ctx, o->port, &fd)) == NULL) {
        fail("setup", NULL, 0);
        goto out;
    }
    if ((r = SSL_connect(ssl)) != 1) {
        fail("SSL_connect", ssl, r);
        fprintf(stderr, "echo_client: verify result %ld\n",
                SSL_get_verify_result(ssl));
        goto out;
    }
    if (send_all(ssl, o, buf) != 0 || receive_all(ssl, o, buf) != 0)
        goto out;
    for (tries = 0; tries < 100; tries++) {
        if ((r = SSL_shutdown(ssl)) == 1)
            break;
        if (r < 0) {
            fail("SSL_shutdown", ssl, r);
            goto out;
        }
    }
    rc = r == 1 ? 0 : 1;
out:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

static int run_child(const void *o)
{
    return run_one(o);
}

int main(int argc, char **argv)
{
    struct opts o = {0, NULL, 1, 0};
    unsigned parallel = 1, failed;
    int a, insecure = 0, status;

    for (a = 1; a < argc; a++) {
        if (conf_arg_is(argv[a], "--insecure"))
            insecure = 1;
        else if (a + 1 >= argc)
            break;
        else if (conf_arg_is(argv[a], "--port"))
            o.port = (unsigned)strtoul(argv[++a], NULL, 10);
        else if (conf_arg_is(argv[a], "--port-file")) {
            if (!conf_read_port_file(argv[++a], &o.port))
                break;
        } else if (conf_arg_is(argv[a], "--cafile"))
            o.cafile = argv[++a];
        else if (conf_arg_is(argv[a], "--bytes"))
            o.bytes = strtoull(argv[++a], NULL, 10);
        else if (conf_arg_is(argv[a], "--parallel"))
            parallel = (unsigned)strtoul(argv[++a], NULL, 10);
        else if (conf_arg_is(argv[a], "--conclude"))
            o.conclude_call = conf_arg_is(argv[++a], "call");
        else
            break;
    }
    if (a < argc || o.port == 0 || (o.cafile == NULL) == !insecure ||
        parallel == 0) {
        fprintf(stderr, "usage: echo_client (--port P | --port-file F) "
                        "(--cafile F | --insecure) [--bytes N] "
                        "[--parallel K] [--conclude ex2|call]\n");
        return 2;
    }

    if (parallel == 1) {
        status = run_one(&o);
        printf("client: bytes=%llu result=%s\n", (unsigned long long)o.bytes,
               status == 0 ? "ok" : "FAILED");
        return status;
    }

    failed = conf_run_forked(parallel, run_child, &o, "echo_client");
    printf("clients: %u bytes=%llu ok=%u failed=%u\n", parallel,
           (unsigned long long)o.bytes, parallel - failed, failed);
    return failed == 0 ? 0 : 1;
}
