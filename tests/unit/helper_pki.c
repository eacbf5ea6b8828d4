/* SPDX-License-Identifier: Apache-2.0 */
#include "helper_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

static EVP_PKEY *new_key(void)
{
    return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL)
        return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate for |key| named |cn|, signed by |issuer_key| (self-signed
 * when |issuer| is NULL). */
static X509 *new_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                      EVP_PKEY *issuer_key, int is_ca, const char *san,
                      size_t padding)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    unsigned char serial[8];
    BIGNUM *bn = NULL;
    char *pad = NULL;
    int ok = cert != NULL && name != NULL;

    ok = ok && RAND_bytes(serial, sizeof(serial)) == 1;
    serial[0] &= 0x7f;
    ok = ok && (bn = BN_bin2bn(serial, sizeof(serial), NULL)) != NULL;
    ok = ok && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    ok = ok && X509_set_version(cert, 2);
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                          (const unsigned char *)cn, -1, -1, 0);
    ok = ok && X509_set_subject_name(cert, name);
    ok = ok && X509_set_issuer_name(
                   cert, issuer != NULL ? X509_get_subject_name(issuer) : name);
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != NULL;
    ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert), 86400) != NULL;
    ok = ok && X509_set_pubkey(cert, key);
    X509 *iss = issuer != NULL ? issuer : cert;
    ok = ok && add_ext(cert, iss, NID_basic_constraints,
                       is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    ok = ok && add_ext(cert, iss, NID_key_usage,
                       is_ca ? "critical,keyCertSign,cRLSign"
                             : "critical,digitalSignature");
    ok = ok && add_ext(cert, iss, NID_subject_key_identifier, "hash");
    if (issuer != NULL)
        ok = ok &&
             add_ext(cert, iss, NID_authority_key_identifier, "keyid:always");
    if (san != NULL)
        ok = ok && add_ext(cert, iss, NID_subject_alt_name, san);
    if (padding > 0) {
        ok = ok && (pad = malloc(padding + 1)) != NULL;
        if (ok) {
            memset(pad, 'p', padding);
            pad[padding] = '\0';
        }
        ok = ok && add_ext(cert, iss, NID_netscape_comment, pad);
    }
    ok = ok && X509_sign(cert, issuer_key, EVP_sha256()) > 0;

    free(pad);
    BN_free(bn);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

void sslq_test_pki_free(sslq_test_pki *pki)
{
    if (pki == NULL)
        return;
    EVP_PKEY_free(pki->ca_key);
    X509_free(pki->ca);
    EVP_PKEY_free(pki->other_ca_key);
    X509_free(pki->other_ca);
    EVP_PKEY_free(pki->server_key);
    X509_free(pki->server_cert);
    EVP_PKEY_free(pki->client_key);
    X509_free(pki->client_cert);
    sk_X509_pop_free(pki->client_chain, X509_free);
    free(pki);
}

sslq_test_pki *sslq_test_pki_new(int intermediates, size_t padding)
{
    sslq_test_pki *pki = calloc(1, sizeof(*pki));
    if (pki == NULL)
        return NULL;
    int ok = (pki->ca_key = new_key()) != NULL &&
             (pki->ca = new_cert("sslquic test CA", pki->ca_key, NULL,
                                 pki->ca_key, 1, NULL, 0)) != NULL &&
             (pki->other_ca_key = new_key()) != NULL &&
             (pki->other_ca =
                  new_cert("sslquic untrusted CA", pki->other_ca_key, NULL,
                           pki->other_ca_key, 1, NULL, 0)) != NULL &&
             (pki->server_key = new_key()) != NULL &&
             (pki->server_cert =
                  new_cert("localhost", pki->server_key, pki->ca, pki->ca_key,
                           0, "DNS:localhost", 0)) != NULL &&
             (pki->client_chain = sk_X509_new_null()) != NULL;

    /* ca → intermediate 1 → … → intermediate n → client */
    X509 *issuer = pki->ca;
    EVP_PKEY *issuer_key = pki->ca_key, *key = NULL;
    for (int i = 0; ok && i < intermediates; i++) {
        char cn[48];
        snprintf(cn, sizeof(cn), "sslquic test intermediate %d", i + 1);
        X509 *c = NULL;
        ok = (key = new_key()) != NULL &&
             (c = new_cert(cn, key, issuer, issuer_key, 1, NULL, padding)) !=
                 NULL &&
             sk_X509_unshift(pki->client_chain, c) > 0;
        if (!ok) {
            X509_free(c);
            EVP_PKEY_free(key);
            break;
        }
        if (issuer_key != pki->ca_key)
            EVP_PKEY_free(issuer_key);
        issuer = c;
        issuer_key = key;
    }
    ok = ok && (pki->client_key = new_key()) != NULL &&
         (pki->client_cert = new_cert("sslquic test client", pki->client_key,
                                      issuer, issuer_key, 0, NULL, padding)) !=
             NULL;
    if (issuer_key != pki->ca_key)
        EVP_PKEY_free(issuer_key);
    if (!ok) {
        sslq_test_pki_free(pki);
        return NULL;
    }
    return pki;
}

size_t sslq_test_pki_client_chain_size(const sslq_test_pki *pki)
{
    size_t total = (size_t)i2d_X509(pki->client_cert, NULL);
    for (int i = 0; i < sk_X509_num(pki->client_chain); i++)
        total += (size_t)i2d_X509(sk_X509_value(pki->client_chain, i), NULL);
    return total;
}

int sslq_test_pki_use_server(SSL_CTX *ctx, const sslq_test_pki *pki)
{
    return SSL_CTX_use_certificate(ctx, pki->server_cert) == 1 &&
           SSL_CTX_use_PrivateKey(ctx, pki->server_key) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1;
}

int sslq_test_pki_use_client(SSL_CTX *ctx, const sslq_test_pki *pki)
{
    return SSL_CTX_use_certificate(ctx, pki->client_cert) == 1 &&
           SSL_CTX_use_PrivateKey(ctx, pki->client_key) == 1 &&
           SSL_CTX_set1_chain(ctx, pki->client_chain) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1;
}

int sslq_test_pki_trust(SSL_CTX *ctx, X509 *ca)
{
    return X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) == 1;
}
