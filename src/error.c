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
    default:
        return "unknown error";
    }
}
