/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "helper_net.h"
#include "sslquic/sslquic.h"

int sslq_test_udp_socket(struct sockaddr_in *addr, int bind_it)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = sizeof(*addr);

    if (fd < 0 || !bind_it)
        return fd;
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int sslq_test_select_alpn(SSL *ssl, const unsigned char **out,
                          unsigned char *outlen, const unsigned char *in,
                          unsigned int inlen, void *arg)
{
    const unsigned char *wire = arg;

    (void)ssl;
    if (wire == NULL ||
        SSL_select_next_proto((unsigned char **)out, outlen, wire, 1u + wire[0],
                              in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *sslq_test_server_ctx(const sslq_test_pki *pki,
                              const unsigned char *alpn)
{
    SSL_CTX *ctx = SSLQ_CTX_new(SSLQ_QUIC_server_method());

    if (ctx == NULL || !sslq_test_pki_use_server(ctx, pki)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(ctx, sslq_test_select_alpn, (void *)alpn);
    return ctx;
}

SSL *sslq_test_listen(SSL_CTX *ctx, uint64_t flags, int *fd,
                      struct sockaddr_in *addr)
{
    SSL *l = SSLQ_new_listener(ctx, flags);

    *fd = sslq_test_udp_socket(addr, 1);
    if (l == NULL || *fd < 0 || !SSLQ_set_fd(l, *fd) || !SSLQ_listen(l)) {
        SSLQ_free(l);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return NULL;
    }
    return l;
}

SSL_CTX *sslq_test_client_ctx(const sslq_test_pki *pki)
{
    SSL_CTX *ctx = SSLQ_CTX_new(SSLQ_QUIC_client_method());

    if (ctx == NULL || !sslq_test_pki_trust(ctx, pki->ca)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

SSL *sslq_test_client(SSL_CTX *ctx, const struct sockaddr_in *server,
                      const unsigned char *alpn, int bind_it, int *fd)
{
    SSL *c = SSLQ_new(ctx);
    BIO_ADDR *peer = BIO_ADDR_new();
    struct sockaddr_in local;
    int ok;

    *fd = sslq_test_udp_socket(&local, bind_it);
    ok = c != NULL && peer != NULL && *fd >= 0 && SSLQ_set_fd(c, *fd) &&
         BIO_ADDR_rawmake(peer, AF_INET, &server->sin_addr, 4,
                          server->sin_port) &&
         SSLQ_set1_initial_peer_addr(c, peer) &&
         SSLQ_set_alpn_protos(c, alpn, 1u + alpn[0]) == 0 &&
         SSLQ_set_tlsext_host_name(c, "localhost") &&
         SSLQ_set1_host(c, "localhost");
    BIO_ADDR_free(peer);
    if (!ok) {
        SSLQ_free(c);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return NULL;
    }
    return c;
}
