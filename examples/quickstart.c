/* SPDX-License-Identifier: Apache-2.0 */
/* A QUIC echo server: cert.pem and key.pem from the current directory, UDP
 * port argv[1] (default 4433), ALPN "echo", one connection at a time. */
#include <stdlib.h>
#include <netinet/in.h>
#include <openssl/quic.h>
#include <openssl/ssl.h>

static int alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                const unsigned char *in, unsigned int inlen, void *arg)
{
    return SSL_select_next_proto((unsigned char **)out, outlen,
                                 (const unsigned char *)"\4echo", 5, in, inlen)
                   == OPENSSL_NPN_NEGOTIATED ? SSL_TLSEXT_ERR_OK
                                             : SSL_TLSEXT_ERR_ALERT_FATAL;
}

int main(int argc, char **argv)
{
    SSL_CTX *ctx = SSL_CTX_new(OSSL_QUIC_server_method());
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    unsigned char buf[65536];
    SSL *listener;

    sa.sin6_port = htons((unsigned short)atoi(argc > 1 ? argv[1] : "4433"));
    if (SSL_CTX_use_certificate_chain_file(ctx, "cert.pem") != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, "key.pem", SSL_FILETYPE_PEM) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return 1;
    SSL_CTX_set_alpn_select_cb(ctx, alpn, NULL);
    listener = SSL_new_listener(ctx, 0);
    if (!SSL_set_fd(listener, fd) || !SSL_listen(listener))
        return 1;
    for (;;) {
        SSL *conn = SSL_accept_connection(listener, 0);   /* blocks */
        size_t n;

        if (conn == NULL)
            continue;
        while (SSL_read_ex(conn, buf, sizeof(buf), &n))   /* to the FIN */
            SSL_write_ex(conn, buf, n, &n);
        SSL_stream_conclude(conn, 0);   /* our FIN: the echo is complete */
        SSL_shutdown(conn);
        SSL_free(conn);
    }
}
