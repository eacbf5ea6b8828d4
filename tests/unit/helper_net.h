/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helper_net — the loopback sockets, the ALPN choice and the listener and
 * client recipes every end-to-end unit suite needs.  Plain functions;
 * nothing is kept between calls.
 */
#ifndef SSLQUIC_HELPER_NET_H
#define SSLQUIC_HELPER_NET_H

#include <stdint.h>
#include <netinet/in.h>

#include <openssl/ssl.h>

#include "helper_pki.h"

/* A UDP socket on 127.0.0.1.  With |bind_it| it is bound to a free port,
 * whose address is stored in *addr; without, it is left unbound (the
 * kernel picks the port on first send) and *addr is untouched.  The
 * descriptor, or -1. */
int sslq_test_udp_socket(struct sockaddr_in *addr, int bind_it);

/* An SSL_CTX_set_alpn_select_cb() callback that accepts the one protocol
 * named by |arg|, in wire format (a length byte, then the name), e.g.
 * (void *)"\4test"; a client offering something else gets the fatal
 * no_application_protocol alert. */
int sslq_test_select_alpn(SSL *ssl, const unsigned char **out,
                          unsigned char *outlen, const unsigned char *in,
                          unsigned int inlen, void *arg);

/* A QUIC server SSL_CTX presenting |pki|'s server certificate and
 * accepting only the protocol |alpn| (wire format; it must outlive the
 * context).  NULL on failure. */
SSL_CTX *sslq_test_server_ctx(const sslq_test_pki *pki,
                              const unsigned char *alpn);

/* A listener made from |ctx| with |flags| on a fresh bound loopback socket
 * (*fd, its address in *addr), already listening.  NULL on failure, with
 * nothing left open. */
SSL *sslq_test_listen(SSL_CTX *ctx, uint64_t flags, int *fd,
                      struct sockaddr_in *addr);

/* A QUIC client SSL_CTX that trusts |pki|'s CA and verifies the server.
 * NULL on failure. */
SSL_CTX *sslq_test_client_ctx(const sslq_test_pki *pki);

/* A client connection from |ctx| on a fresh loopback socket (*fd; bound
 * first when |bind_it|), aimed at |server|, offering |alpn| (wire format)
 * and expecting the name "localhost".  Not connected yet.  NULL on
 * failure, with nothing left open. */
SSL *sslq_test_client(SSL_CTX *ctx, const struct sockaddr_in *server,
                      const unsigned char *alpn, int bind_it, int *fd);

#endif /* SSLQUIC_HELPER_NET_H */
