/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <pthread.h>

#include <openssl/crypto.h>
#include <ngtcp2/ngtcp2.h>

#include "sslquic/version.h"

static char version_text[160];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void version_init(void)
{
    const ngtcp2_info *ng = ngtcp2_version(0);

    snprintf(version_text, sizeof(version_text),
             "sslquic " SSLQUIC_VERSION_STRING " (%s, ngtcp2 %s)",
             OpenSSL_version(OPENSSL_VERSION), ng ? ng->version_str : "?");
}

const char *SSLQ_library_version(void)
{
    pthread_once(&version_once, version_init);
    return version_text;
}
