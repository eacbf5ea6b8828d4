/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdlib.h>

#include "object.h"

static int obj_index = -1;
static int ctx_index = -1;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

/* The last reference to the SSL went: tear its QUIC state down. */
static void obj_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                        long argl, void *argp)
{
    sslq_obj *o = ptr;

    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    if (o == NULL)
        return;
    switch (o->kind) {
    case SSLQ_OBJ_LISTENER:
    case SSLQ_OBJ_DOMAIN:
        sslq_listener_teardown((sslq_listener_obj *)o);
        break;
    case SSLQ_OBJ_CONN:
        sslq_connobj_teardown((sslq_conn_obj *)o);
        break;
    case SSLQ_OBJ_STREAM:
        sslq_streamobj_teardown((sslq_stream_obj *)o);
        break;
    }
}

static void index_init(void)
{
    obj_index = SSL_get_ex_new_index(0, "sslquic object", NULL, NULL,
                                     obj_free_cb);
    ctx_index = SSL_CTX_get_ex_new_index(0, "sslquic role", NULL, NULL, NULL);
}

sslq_obj *sslq_obj_get(const SSL *ssl)
{
    pthread_once(&index_once, index_init);
    if (ssl == NULL || obj_index < 0)
        return NULL;
    return SSL_get_ex_data(ssl, obj_index);
}

int sslq_obj_attach(SSL *ssl, sslq_obj *obj)
{
    pthread_once(&index_once, index_init);
    obj->ssl = ssl;
    return obj_index >= 0 && SSL_set_ex_data(ssl, obj_index, obj) ? 0 : -2;
}

sslq_conn_obj *sslq_obj_conn(const SSL *ssl)
{
    sslq_obj *o = sslq_obj_get(ssl);

    if (o == NULL)
        return NULL;
    if (o->kind == SSLQ_OBJ_CONN)
        return (sslq_conn_obj *)o;
    if (o->kind == SSLQ_OBJ_STREAM)
        return (sslq_conn_obj *)sslq_obj_get(((sslq_stream_obj *)o)->conn_ssl);
    return NULL;
}

int sslq_ctx_role(const SSL_CTX *ctx)
{
    pthread_once(&index_once, index_init);
    if (ctx == NULL || ctx_index < 0)
        return SSLQ_CTX_NONE;
    return (int)(intptr_t)SSL_CTX_get_ex_data(ctx, ctx_index);
}

int sslq_ctx_set_role(SSL_CTX *ctx, int role)
{
    pthread_once(&index_once, index_init);
    return ctx_index >= 0 &&
                   SSL_CTX_set_ex_data(ctx, ctx_index, (void *)(intptr_t)role)
               ? 0
               : -2;
}
