/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helper_pki — a throwaway PKI made in memory at test start (no files): a
 * CA, a server certificate for "localhost", a client certificate under a
 * chain of intermediates whose size the test chooses, and an unrelated CA
 * nobody trusts.  EC P-256 keys, so it is fast even under sanitizers.  The
 * test owns the result and frees it with sslq_test_pki_free.
 */
#ifndef SSLQUIC_HELPER_PKI_H
#define SSLQUIC_HELPER_PKI_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

typedef struct sslq_test_pki {
    EVP_PKEY *ca_key;
    X509 *ca;
    EVP_PKEY *other_ca_key;
    X509 *other_ca; /* signs nothing anyone trusts */
    EVP_PKEY *server_key;
    X509 *server_cert; /* CN and SAN "localhost", issued by ca */
    EVP_PKEY *client_key;
    X509 *client_cert;             /* issued by the last intermediate */
    STACK_OF(X509) * client_chain; /* intermediates, leaf's issuer first */
} sslq_test_pki;

/* A PKI whose client chain has |intermediates| CAs between ca and the
 * client certificate; each client-side certificate carries |padding| bytes
 * of comment so that the chain reaches the size a test needs.  NULL on
 * failure. */
sslq_test_pki *sslq_test_pki_new(int intermediates, size_t padding);
void sslq_test_pki_free(sslq_test_pki *pki);

/* DER size of the client certificate plus its intermediates. */
size_t sslq_test_pki_client_chain_size(const sslq_test_pki *pki);

/* Loads the server (or client) certificate, key and chain into |ctx|.
 * 1 on success, as OpenSSL. */
int sslq_test_pki_use_server(SSL_CTX *ctx, const sslq_test_pki *pki);
int sslq_test_pki_use_client(SSL_CTX *ctx, const sslq_test_pki *pki);

/* Makes |ctx| trust |ca| (and only what it trusted before). */
int sslq_test_pki_trust(SSL_CTX *ctx, X509 *ca);

#endif /* SSLQUIC_HELPER_PKI_H */
