/* SPDX-License-Identifier: Apache-2.0 */
/*
 * native_client — a QUIC client written against OpenSSL 3.5's own QUIC API
 * and nothing else (no sslquic), the foreign peer for quic_peer's server.
 * It connects, sends N bytes on one bidirectional stream, concludes it,
 * reads the reply to its end, compares it with what it sent (the server
 * runs with --echo) and shuts the connection down.  Blocking mode: simple,
 * and the payload is kept below what the two sides' windows and buffers
 * hold, so that writing everything before reading cannot deadlock.
 *
 *   native_client [--cafile F] [--groups LIST] [--bytes N] [--sni NAME]
 *                 HOST PORT ALPN
 *
 * Prints one line, "native handshake ok ... result=ok", and exits 0 when
 * all went as expected; 1 otherwise; 2 on a usage error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#if OPENSSL_VERSION_NUMBER < 0x30500000L
#error "native_client needs OpenSSL 3.5's QUIC client API"
#endif

static void usage(void)
{
    fputs("usage: native_client [--cafile F] [--groups LIST] [--bytes N]"
          " [--sni NAME] HOST PORT ALPN\n",
          stderr);
    exit(2);
}

static int fail(const char *what)
{
    printf("native %s result=fail\n", what);
    ERR_print_errors_fp(stdout);
    return 1;
}

/* A datagram socket towards |host|:|port|; its address goes to |peer|. */
static int open_socket(const char *host, const char *port, BIO_ADDR **peer)
{
    BIO_ADDRINFO *res = NULL;
    int fd = -1;

    if (!BIO_lookup_ex(host, port, BIO_LOOKUP_CLIENT, AF_UNSPEC, SOCK_DGRAM,
                       IPPROTO_UDP, &res))
        return -1;
    fd = BIO_socket(BIO_ADDRINFO_family(res), SOCK_DGRAM, IPPROTO_UDP, 0);
    if (fd >= 0 &&
        (!BIO_connect(fd, BIO_ADDRINFO_address(res), 0) ||
         !BIO_socket_nbio(fd, 1) ||
         (*peer = BIO_ADDR_dup(BIO_ADDRINFO_address(res))) == NULL)) {
        BIO_closesocket(fd);
        fd = -1;
    }
    BIO_ADDRINFO_free(res);
    return fd;
}

int main(int argc, char **argv)
{
    const char *cafile = NULL, *groups = NULL, *sni = "localhost";
    size_t nbytes = 1000, alpnlen, got = 0, n;
    unsigned char alpn[256];
    const unsigned char *sel = NULL;
    unsigned sellen = 0;
    uint8_t *payload, *reply;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO_ADDR *peer = NULL;
    int i, fd, rc = 1;

    for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--cafile") == 0)
            cafile = argv[i + 1];
        else if (strcmp(argv[i], "--groups") == 0)
            groups = argv[i + 1];
        else if (strcmp(argv[i], "--sni") == 0)
            sni = argv[i + 1];
        else if (strcmp(argv[i], "--bytes") == 0)
            nbytes = strtoul(argv[i + 1], NULL, 10);
        else
            usage();
    }
    if (argc - i != 3 || (alpnlen = strlen(argv[i + 2])) == 0 || alpnlen > 255)
        usage();
    alpn[0] = (unsigned char)alpnlen;
    memcpy(alpn + 1, argv[i + 2], alpnlen);

    payload = malloc(nbytes + 1);
    reply = malloc(nbytes + 1);
    if (payload == NULL || reply == NULL)
        return fail("out of memory");
    for (n = 0; n < nbytes; n++)
        payload[n] = (uint8_t)(n * 7 + (n >> 8));

    ctx = SSL_CTX_new(OSSL_QUIC_client_method());
    if (ctx == NULL)
        return fail("SSL_CTX_new failed");
    if (cafile != NULL) {
        if (!SSL_CTX_load_verify_locations(ctx, cafile, NULL))
            return fail("loading the CA failed");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    if (groups != NULL && !SSL_CTX_set1_groups_list(ctx, groups))
        return fail("bad --groups");
    ssl = SSL_new(ctx);
    fd = open_socket(argv[i], argv[i + 1], &peer);
    if (ssl == NULL || fd < 0)
        return fail("no socket");
    if (!SSL_set_fd(ssl, fd) || !SSL_set1_initial_peer_addr(ssl, peer) ||
        SSL_set_alpn_protos(ssl, alpn, (unsigned)alpnlen + 1) != 0 ||
        !SSL_set_tlsext_host_name(ssl, sni) ||
        (cafile != NULL && !SSL_set1_host(ssl, sni)))
        return fail("setting up the SSL failed");

    if (SSL_connect(ssl) != 1)
        return fail("handshake failed");
    /* The first write makes the default stream (bidirectional). */
    if (!SSL_write_ex(ssl, payload, nbytes, &n) || n != nbytes ||
        !SSL_stream_conclude(ssl, 0))
        return fail("handshake ok, writing failed");
    for (;;) {
        if (!SSL_read_ex(ssl, reply + got, nbytes + 1 - got, &n)) {
            if (SSL_get_error(ssl, 0) != SSL_ERROR_ZERO_RETURN)
                return fail("handshake ok, reading failed");
            break;
        }
        got += n;
        if (got > nbytes)
            return fail("handshake ok, the reply is too long");
    }
    SSL_get0_alpn_selected(ssl, &sel, &sellen);
    if (got == nbytes && memcmp(reply, payload, nbytes) == 0)
        rc = 0;
    /* Blocking: returns 1 once the CONNECTION_CLOSE went and the
     * terminating period ended. */
    if (SSL_shutdown(ssl) != 1)
        rc = 1;
    printf("native handshake ok alpn=%.*s cipher=%s group=%s version=%s "
           "bytes_sent=%zu bytes_received=%zu echo=%s result=%s\n",
           (int)sellen, sel ? (const char *)sel : "",
           SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)),
           SSL_get0_group_name(ssl) ? SSL_get0_group_name(ssl) : "none",
           SSL_get_version(ssl), nbytes, got,
           got == nbytes && memcmp(reply, payload, nbytes) == 0 ? "match"
                                                                : "differs",
           rc == 0 ? "ok" : "fail");
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    BIO_ADDR_free(peer);
    BIO_closesocket(fd);
    free(payload);
    free(reply);
    return rc;
}
