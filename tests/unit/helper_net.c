/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "helper_net.h"

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
        getsockname(fd, (struct sockaddr *)addr, &len) != 0)
        return -1;
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
