/* SPDX-License-Identifier: Apache-2.0 */
#include "error.h"

const char *sslq_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case SSLQ_ERR_INVALID_ARGUMENT:
        return "invalid argument";
    case SSLQ_ERR_NOMEM:
        return "out of memory";
    case SSLQ_ERR_CRYPTO:
        return "libcrypto operation failed";
    case SSLQ_ERR_DECRYPT:
        return "decryption failed";
    case SSLQ_ERR_TLS:
        return "TLS handshake failed";
    case SSLQ_ERR_PROTO:
        return "protocol violation";
    case SSLQ_ERR_BUFFER:
        return "buffer too small";
    case SSLQ_ERR_WOULD_BLOCK:
        return "operation would block";
    case SSLQ_ERR_INTERNAL:
        return "internal error";
    case SSLQ_ERR_IO:
        return "network endpoint broken";
    default:
        return "unknown error";
    }
}

/* ---- sslquic's ERR library ------------------------------------------------ */

#include <pthread.h>

#include <openssl/err.h>

#include "sslquic/sslquic.h"

static int err_lib;
static pthread_once_t err_once = PTHREAD_ONCE_INIT;

static ERR_STRING_DATA err_reasons[] = {
    {SSLQ_R_PASSED_NULL_PARAMETER, "passed a null parameter"},
    {SSLQ_R_PASSED_INVALID_ARGUMENT, "passed invalid argument"},
    {SSLQ_R_UNSUPPORTED_FLAGS, "unsupported flags"},
    {SSLQ_R_WRONG_OBJECT_TYPE, "wrong object type"},
    {SSLQ_R_NOT_A_LISTENER, "not a listener"},
    {SSLQ_R_NOT_A_DOMAIN, "not a domain"},
    {SSLQ_R_NOT_A_CONNECTION, "not a connection"},
    {SSLQ_R_NOT_A_STREAM, "not a stream"},
    {SSLQ_R_WRONG_METHOD, "wrong method"},
    {SSLQ_R_OPERATION_NOT_SUPPORTED, "operation not supported"},
    {SSLQ_R_NO_BIO, "no network BIO set"},
    {SSLQ_R_BIO_NOT_DATAGRAM, "BIO does not carry datagrams"},
    {SSLQ_R_PEER_ADDRESS_NOT_SET, "peer address not set"},
    {SSLQ_R_BLOCKING_NOT_SUPPORTED, "blocking not supported"},
    {SSLQ_R_NETWORK_ERROR, "network error"},
    {SSLQ_R_POLL_REQUEST_NOT_SUPPORTED, "poll request not supported"},
    {SSLQ_R_ALREADY_CONNECTED, "already connected"},
    {SSLQ_R_NOT_CONNECTED, "not connected"},
    {SSLQ_R_HANDSHAKE_FAILED, "handshake failed"},
    {SSLQ_R_NO_APPLICATION_PROTOCOL, "no application protocol"},
    {SSLQ_R_PROTOCOL_ERROR, "protocol error"},
    {SSLQ_R_CONN_CLOSED, "connection closed"},
    {SSLQ_R_QUEUE_FULL, "queue full"},
    {SSLQ_R_NO_DEFAULT_STREAM, "no default stream"},
    {SSLQ_R_STREAM_LIMIT_REACHED, "stream limit reached"},
    {SSLQ_R_WRONG_STREAM_DIRECTION, "wrong stream direction"},
    {SSLQ_R_STREAM_SEND_ONLY, "stream send only"},
    {SSLQ_R_STREAM_RECV_ONLY, "stream recv only"},
    {SSLQ_R_STREAM_FINISHED, "stream finished"},
    {SSLQ_R_STREAM_RESET, "stream reset"},
    {SSLQ_R_UNSUPPORTED_VALUE, "unsupported value"},
    {SSLQ_R_UNSUPPORTED_VALUE_CLASS, "unsupported value class"},
    {SSLQ_R_VALUE_READ_ONLY, "value is read-only"},
    {SSLQ_R_INTERNAL_ERROR, "internal error"},
    {0, NULL},
};

static ERR_STRING_DATA err_libname[] = {
    {0, "sslquic"},
    {0, NULL},
};

static void err_init(void)
{
    err_lib = ERR_get_next_error_library();
    for (ERR_STRING_DATA *d = err_reasons; d->string != NULL; d++)
        d->error = ERR_PACK(err_lib, 0, (int)d->error);
    err_libname[0].error = ERR_PACK(err_lib, 0, 0);
    ERR_load_strings(err_lib, err_reasons);
    ERR_load_strings(err_lib, err_libname);
}

int SSLQ_get_err_lib(void)
{
    pthread_once(&err_once, err_init);
    return err_lib;
}

void sslq_err_raise(int reason, const char *file, int line, const char *func)
{
    int lib = SSLQ_get_err_lib();

    ERR_new();
    ERR_set_debug(file, line, func);
    ERR_set_error(lib, reason, NULL);
}

int sslq_err_reason(int code)
{
    switch (code) {
    case SSLQ_ERR_INVALID_ARGUMENT:
        return SSLQ_R_PASSED_INVALID_ARGUMENT;
    case SSLQ_ERR_TLS:
        return SSLQ_R_HANDSHAKE_FAILED;
    case SSLQ_ERR_PROTO:
        return SSLQ_R_PROTOCOL_ERROR;
    case SSLQ_ERR_IO:
        return SSLQ_R_NETWORK_ERROR;
    default:
        return SSLQ_R_INTERNAL_ERROR;
    }
}
