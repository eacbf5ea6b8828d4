/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared pieces of the conformance programs: argument helpers, the UDP
 * socket, the port file, the byte pattern and the two SSL_CTX recipes.
 *
 * Like the programs, this is written against OpenSSL 3.5's QUIC API only
 * (<openssl/ssl.h>, <openssl/quic.h>, <openssl/err.h>, libc) so the very same
 * text builds natively on 3.5 and, through sslquic's compat header, on 3.0.
 * Everything is static inline: each program includes it once and uses part.
 */
#ifndef SSLQUIC_CONFORMANCE_H
#define SSLQUIC_CONFORMANCE_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/err.h>
#include <openssl/quic.h>
#include <openssl/ssl.h>

/* ALPN "sslq-echo" in wire format. */
static const unsigned char conf_alpn[] = {9,   's', 's', 'l', 'q',
                                          '-', 'e', 'c', 'h', 'o'};

/* A deterministic stream that does not repeat with any short period, so a
 * dropped, duplicated or reordered chunk shows up at its offset. */
static inline unsigned char conf_pattern(uint64_t off)
{
    uint64_t x = off / 251;

    return (unsigned char)((off % 251) ^ (x * 0x9E3779B1u >> 11));
}

/* FNV-1a, 64-bit: spoll_server's digest of a unidirectional stream, which
 * mstream_client recomputes from what it wrote, so content is checked on
 * the streams that are not echoed too.  Start from CONF_FNV_INIT. */
#define CONF_FNV_INIT 0xcbf29ce484222325ull

static inline uint64_t conf_fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static inline void conf_put_be64(unsigned char *p, uint64_t v)
{
    int k;

    for (k = 0; k < 8; k++)
        p[k] = (unsigned char)(v >> (56 - 8 * k));
}

static inline uint64_t conf_get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    int k;

    for (k = 0; k < 8; k++)
        v = v << 8 | p[k];
    return v;
}

/* Runs fn(arg) in |n| child processes at once and waits for them all;
 * returns how many failed (a non-zero exit, a signal, or a fork that did
 * not happen).  Call it before OpenSSL is touched, so that no child
 * inherits its state. */
static inline unsigned conf_run_forked(unsigned n, int (*fn)(const void *),
                                       const void *arg, const char *name)
{
    unsigned i, failed = 0;
    int status;
    pid_t pid;

    fflush(stdout);
    for (i = 0; i < n; i++) {
        pid = fork();
        if (pid == 0)
            exit(fn(arg));
        if (pid < 0) {
            fprintf(stderr, "%s: fork: %s\n", name, strerror(errno));
            failed += n - i;
            break;
        }
    }
    while (wait(&status) > 0)
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    return failed;
}

static inline const char *conf_err_name(int e)
{
    static const char *const names[] = {
        "NONE",    "SSL",        "WANT_READ", "WANT_WRITE", "WANT_X509_LOOKUP",
        "SYSCALL", "ZERO_RETURN"};

    return e >= 0 && e < 7 ? names[e] : "OTHER";
}

static inline int conf_arg_is(const char *arg, const char *name)
{
    return strcmp(arg, name) == 0;
}

/* Non-blocking UDP socket bound to 127.0.0.1:port; *bound gets the port. */
static inline int conf_udp_socket(unsigned port, unsigned *bound)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    if (bound != NULL)
        *bound = ntohs(sa.sin_port);
    return fd;
}

/* The port file may be a FIFO the test script holds open: one write of the
 * whole line, after the listener is ready, is the readiness signal. */
static inline int conf_write_port_file(const char *path, unsigned port)
{
    char line[16];
    int n = snprintf(line, sizeof(line), "%u\n", port);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok;

    if (fd < 0)
        return 0;
    ok = write(fd, line, (size_t)n) == n;
    return close(fd) == 0 && ok;
}

/* The port a server wrote with conf_write_port_file. */
static inline int conf_read_port_file(const char *path, unsigned *port)
{
    FILE *f = fopen(path, "r");
    int ok = f != NULL && fscanf(f, "%u", port) == 1;

    if (f != NULL)
        fclose(f);
    return ok;
}

/* BIO_ADDR for 127.0.0.1:port, for SSL_set1_initial_peer_addr. */
static inline BIO_ADDR *conf_loopback_addr(unsigned port)
{
    struct in_addr ina;
    BIO_ADDR *addr = BIO_ADDR_new();

    ina.s_addr = htonl(INADDR_LOOPBACK);
    if (addr != NULL && !BIO_ADDR_rawmake(addr, AF_INET, &ina, sizeof(ina),
                                          htons((uint16_t)port))) {
        BIO_ADDR_free(addr);
        return NULL;
    }
    return addr;
}

static inline int conf_select_alpn(SSL *ssl, const unsigned char **out,
                                   unsigned char *outlen,
                                   const unsigned char *in, unsigned int inlen,
                                   void *arg)
{
    unsigned int i = 0;

    (void)ssl;
    (void)arg;
    while (i < inlen) {
        unsigned int n = in[i];

        if (i + 1 + n <= inlen && n + 1 == sizeof(conf_alpn) &&
            memcmp(in + i, conf_alpn, sizeof(conf_alpn)) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)n;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + n;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static inline SSL_CTX *conf_server_ctx(const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(OSSL_QUIC_server_method());

    if (ctx == NULL)
        return NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) <= 0 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) <= 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(ctx, conf_select_alpn, NULL);
    return ctx;
}

/* cafile NULL: no verification (--insecure). */
static inline SSL_CTX *conf_client_ctx(const char *cafile)
{
    SSL_CTX *ctx = SSL_CTX_new(OSSL_QUIC_client_method());

    if (ctx == NULL)
        return NULL;
    if (cafile == NULL) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (!SSL_CTX_load_verify_locations(ctx, cafile, NULL)) {
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    return ctx;
}

/* A client connection to 127.0.0.1:port on its own socket, not yet
 * connected; *fdp gets the socket (the caller closes it after SSL_free). */
static inline SSL *conf_client_conn(SSL_CTX *ctx, unsigned port, int *fdp)
{
    SSL *ssl = SSL_new(ctx);
    BIO_ADDR *peer = conf_loopback_addr(port);
    int fd = conf_udp_socket(0, NULL);
    int ok = ssl != NULL && peer != NULL && fd >= 0;

    ok = ok && SSL_set_alpn_protos(ssl, conf_alpn, sizeof(conf_alpn)) == 0;
    ok = ok && SSL_set1_host(ssl, "localhost");
    ok = ok && SSL_set_tlsext_host_name(ssl, "localhost");
    ok = ok && SSL_set_fd(ssl, fd);
    ok = ok && SSL_set1_initial_peer_addr(ssl, peer);
    BIO_ADDR_free(peer);
    if (!ok) {
        SSL_free(ssl);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    *fdp = fd;
    return ssl;
}

/* Adds what s waits for to a poll(2) set: its socket descriptors, with
 * POLLIN/POLLOUT as SSL_net_read_desired/write_desired ask (an fd already in
 * the set is shared), and lowers *ms (negative: none yet) to its
 * SSL_get_event_timeout, rounded up.  0 if s offers no socket descriptor or
 * the set is full. */
static inline int conf_poll_add(SSL *s, struct pollfd *fds, nfds_t *nfds,
                                nfds_t max, int *ms)
{
    BIO_POLL_DESCRIPTOR d[2];
    short ev[2];
    struct timeval tv;
    int i, inf = 1, t;
    nfds_t k;

    if (!SSL_get_rpoll_descriptor(s, &d[0]) ||
        !SSL_get_wpoll_descriptor(s, &d[1]) ||
        d[0].type != BIO_POLL_DESCRIPTOR_TYPE_SOCK_FD ||
        d[1].type != BIO_POLL_DESCRIPTOR_TYPE_SOCK_FD)
        return 0;
    ev[0] = SSL_net_read_desired(s) ? POLLIN : 0;
    ev[1] = SSL_net_write_desired(s) ? POLLOUT : 0;
    for (i = 0; i < 2; i++) {
        for (k = 0; k < *nfds && fds[k].fd != d[i].value.fd; k++)
            ;
        if (k == max)
            return 0;
        if (k == *nfds) {
            fds[k].fd = d[i].value.fd;
            fds[k].events = 0;
            ++*nfds;
        }
        fds[k].events |= ev[i];
    }
    if (SSL_get_event_timeout(s, &tv, &inf) && !inf) {
        t = (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
        *ms = *ms < 0 || t < *ms ? t : *ms;
    }
    return 1;
}

/* What the two echo servers share: command line, listener, port file. */
struct conf_server {
    SSL_CTX *ctx;
    SSL *listener;
    int fd;
    unsigned count;
};

/* Parses --cert F --key F [--count N] [--port P] [--port-file F]
 * [--no-validate], makes the listener on its socket (left in blocking mode,
 * or switched to non-blocking), starts listening, then writes the port file.
 * Returns 0, 2 on a usage error or 1 on failure (printed); conf_server_end
 * cleans up in every case. */
static inline int conf_server_start(struct conf_server *sv, int argc,
                                    char **argv, const char *name, int blocking)
{
    const char *cert = NULL, *key = NULL, *port_file = NULL, *v;
    unsigned port = 0;
    uint64_t flags = 0;
    int a;

    memset(sv, 0, sizeof(*sv));
    sv->fd = -1;
    sv->count = 1;
    for (a = 1; a < argc; a++) {
        v = a + 1 < argc ? argv[a + 1] : NULL;
        if (conf_arg_is(argv[a], "--no-validate"))
            flags |= SSL_LISTENER_FLAG_NO_VALIDATE;
        else if (v != NULL && conf_arg_is(argv[a], "--cert"))
            cert = argv[++a];
        else if (v != NULL && conf_arg_is(argv[a], "--key"))
            key = argv[++a];
        else if (v != NULL && conf_arg_is(argv[a], "--port-file"))
            port_file = argv[++a];
        else if (v != NULL && conf_arg_is(argv[a], "--port"))
            port = (unsigned)strtoul(argv[++a], NULL, 10);
        else if (v != NULL && conf_arg_is(argv[a], "--count"))
            sv->count = (unsigned)strtoul(argv[++a], NULL, 10);
        else
            break;
    }
    if (a < argc || cert == NULL || key == NULL) {
        fprintf(stderr,
                "usage: %s --cert F --key F [--count N] [--port P] "
                "[--port-file F] [--no-validate]\n",
                name);
        return 2;
    }
    if ((sv->ctx = conf_server_ctx(cert, key)) == NULL ||
        (sv->fd = conf_udp_socket(port, &port)) < 0 ||
        (sv->listener = SSL_new_listener(sv->ctx, flags)) == NULL ||
        !SSL_set_fd(sv->listener, sv->fd) ||
        (!blocking && !SSL_set_blocking_mode(sv->listener, 0)) ||
        !SSL_listen(sv->listener)) {
        fprintf(stderr, "%s: setup failed\n", name);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    if (port_file != NULL && !conf_write_port_file(port_file, port)) {
        fprintf(stderr, "%s: cannot write %s\n", name, port_file);
        return 1;
    }
    printf("listening on 127.0.0.1:%u\n", port);
    fflush(stdout);
    return 0;
}

static inline void conf_server_end(struct conf_server *sv)
{
    SSL_free(sv->listener);
    SSL_CTX_free(sv->ctx);
    if (sv->fd >= 0)
        close(sv->fd);
}

#endif /* SSLQUIC_CONFORMANCE_H */
