/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctx — the QUIC methods and the contexts made from them.
 *
 * OpenSSL 3.0 has no QUIC SSL_METHOD, and an SSL_METHOD cannot be made
 * outside libssl, so the three QUIC methods are markers that only
 * SSLQ_CTX_new understands: it builds an ordinary TLS context for the role,
 * prepares it for QUIC (TLS 1.3 only, transport-parameters extension, the
 * shim's callbacks) and records the role on it.
 */
#include <stdint.h>

#include "error.h"
#include "object.h"
#include "tls_shim.h"

/* The markers: distinct addresses, never dereferenced by libssl because no
 * SSL_CTX is ever made from them directly. */
static const struct quic_method_marker {
    int role;
} client_marker = {SSLQ_CTX_CLIENT}, client_thread_marker = {SSLQ_CTX_CLIENT_THREAD},
  server_marker = {SSLQ_CTX_SERVER};

#define DOMAIN_FLAGS_SHIFT 8
#define DEFAULT_DOMAIN_FLAGS                                                   \
    (SSL_DOMAIN_FLAG_MULTI_THREAD | SSL_DOMAIN_FLAG_LEGACY_BLOCKING)

const SSL_METHOD *SSLQ_QUIC_client_method(void)
{
    return (const SSL_METHOD *)&client_marker;
}

const SSL_METHOD *SSLQ_QUIC_client_thread_method(void)
{
    return (const SSL_METHOD *)&client_thread_marker;
}

const SSL_METHOD *SSLQ_QUIC_server_method(void)
{
    return (const SSL_METHOD *)&server_marker;
}

static int marker_role(const SSL_METHOD *meth)
{
    const void *m = meth;

    if (m == &client_marker || m == &client_thread_marker ||
        m == &server_marker)
        return ((const struct quic_method_marker *)m)->role;
    return SSLQ_CTX_NONE;
}

SSL_CTX *SSLQ_CTX_new_ex(OSSL_LIB_CTX *libctx, const char *propq,
                         const SSL_METHOD *meth)
{
    int role = marker_role(meth);
    SSL_CTX *ctx;

    if (role == SSLQ_CTX_NONE)
        return SSL_CTX_new_ex(libctx, propq, meth);
    ctx = SSL_CTX_new_ex(libctx, propq,
                         role == SSLQ_CTX_SERVER ? TLS_server_method()
                                                 : TLS_client_method());
    if (ctx == NULL)
        return NULL;
    if (sslq_tls_ctx_prepare(ctx) != 0 ||
        sslq_ctx_set_role(ctx, role | (DEFAULT_DOMAIN_FLAGS
                                       << DOMAIN_FLAGS_SHIFT)) != 0) {
        SSL_CTX_free(ctx);
        SSLQ_RAISE(SSLQ_R_INTERNAL_ERROR);
        return NULL;
    }
    return ctx;
}

SSL_CTX *SSLQ_CTX_new(const SSL_METHOD *meth)
{
    return SSLQ_CTX_new_ex(NULL, NULL, meth);
}

int sslq_ctx_quic_role(const SSL_CTX *ctx)
{
    return sslq_ctx_role(ctx) & ((1 << DOMAIN_FLAGS_SHIFT) - 1);
}

uint64_t sslq_ctx_domain_flags(const SSL_CTX *ctx)
{
    return (uint64_t)sslq_ctx_role(ctx) >> DOMAIN_FLAGS_SHIFT;
}

int sslq_domain_flags_normalize(uint64_t flags, uint64_t *out)
{
    uint64_t known = SSL_DOMAIN_FLAG_SINGLE_THREAD |
                     SSL_DOMAIN_FLAG_MULTI_THREAD |
                     SSL_DOMAIN_FLAG_THREAD_ASSISTED |
                     SSL_DOMAIN_FLAG_BLOCKING | SSL_DOMAIN_FLAG_LEGACY_BLOCKING;

    if ((flags & ~known) != 0 ||
        ((flags & SSL_DOMAIN_FLAG_SINGLE_THREAD) &&
         (flags & SSL_DOMAIN_FLAG_MULTI_THREAD)))
        return SSLQ_R_UNSUPPORTED_FLAGS;
    /* THREAD_ASSISTED and BLOCKING need MULTI_THREAD (openssl-quic-
     * concurrency(7)); when neither threading flag is given, multi. */
    if (!(flags & (SSL_DOMAIN_FLAG_SINGLE_THREAD |
                   SSL_DOMAIN_FLAG_MULTI_THREAD)))
        flags |= SSL_DOMAIN_FLAG_MULTI_THREAD;
    *out = flags;
    return 0;
}

int SSLQ_CTX_set_domain_flags(SSL_CTX *ctx, uint64_t flags)
{
    int role = sslq_ctx_quic_role(ctx), reason;

    if (ctx == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (role == SSLQ_CTX_NONE) {
        SSLQ_RAISE(SSLQ_R_WRONG_METHOD);
        return 0;
    }
    if ((reason = sslq_domain_flags_normalize(flags, &flags)) != 0) {
        SSLQ_RAISE(reason);
        return 0;
    }
    return sslq_ctx_set_role(ctx, role | (int)(flags << DOMAIN_FLAGS_SHIFT)) ==
           0;
}

int SSLQ_CTX_get_domain_flags(const SSL_CTX *ctx, uint64_t *flags)
{
    if (ctx == NULL) {
        SSLQ_RAISE(SSLQ_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (sslq_ctx_quic_role(ctx) == SSLQ_CTX_NONE) {
        SSLQ_RAISE(SSLQ_R_WRONG_METHOD);
        return 0;
    }
    if (flags != NULL)
        *flags = sslq_ctx_domain_flags(ctx);
    return 1;
}

int SSLQ_get_domain_flags(const SSL *ssl, uint64_t *flags)
{
    sslq_obj *o = sslq_obj_get(ssl);
    sslq_conn_obj *co;
    uint64_t f;

    if (o == NULL) {
        SSLQ_RAISE(ssl == NULL ? SSLQ_R_PASSED_NULL_PARAMETER
                               : SSLQ_R_WRONG_OBJECT_TYPE);
        return 0;
    }
    /* A domain's own flags, which its listeners and their connections
     * share; anything else has its context's. */
    if (o->kind == SSLQ_OBJ_DOMAIN || o->kind == SSLQ_OBJ_LISTENER)
        f = ((sslq_listener_obj *)o)->domain_flags;
    else if ((co = sslq_obj_conn(ssl)) != NULL && co->listener != NULL &&
             sslq_obj_get(co->listener) != NULL)
        f = ((sslq_listener_obj *)sslq_obj_get(co->listener))->domain_flags;
    else
        f = sslq_ctx_domain_flags(SSL_get_SSL_CTX(ssl));
    if (flags != NULL)
        *flags = f;
    return 1;
}

void SSLQ_CTX_set_keylog_callback(SSL_CTX *ctx, SSL_CTX_keylog_cb_func cb)
{
    if (ctx == NULL)
        return;
    if (sslq_tls_ctx_set_user_keylog_callback(ctx, cb) != 0)
        SSL_CTX_set_keylog_callback(ctx, cb);
}

SSL_CTX_keylog_cb_func SSLQ_CTX_get_keylog_callback(const SSL_CTX *ctx)
{
    if (ctx == NULL)
        return NULL;
    return sslq_tls_ctx_get_user_keylog_callback(ctx);
}

void SSLQ_CTX_set_msg_callback(SSL_CTX *ctx,
                               void (*cb)(int, int, int, const void *, size_t,
                                          SSL *, void *))
{
    if (ctx == NULL)
        return;
    if (sslq_tls_ctx_set_user_msg_callback(ctx, cb, NULL) != 0)
        SSL_CTX_set_msg_callback(ctx, cb);
}
