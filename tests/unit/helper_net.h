/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helper_net — the loopback sockets and the ALPN choice every end-to-end
 * unit suite needs.  Plain functions; nothing is kept between calls.
 */
#ifndef SSLQUIC_HELPER_NET_H
#define SSLQUIC_HELPER_NET_H

#include <netinet/in.h>

#include <openssl/ssl.h>

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

#endif /* SSLQUIC_HELPER_NET_H */
