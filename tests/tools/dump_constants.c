/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prints the golden table tests/data/openssl35_constants.txt: the value of
 * every constant and type layout listed in quic_constants.h, taken from
 * OpenSSL 3.5's own headers.  It deliberately does not include sslquic.h:
 * the table must come from OpenSSL, never from the header it checks.
 *
 * Regenerate (from the top of the source tree) after editing the list:
 *
 *   scripts/chroot-run.sh sh -c 'cc -Wall -Wextra -o /tmp/dump \
 *       /src/tests/tools/dump_constants.c && /tmp/dump' \
 *       > tests/data/openssl35_constants.txt
 *
 * Format: one "NAME VALUE TYPE" per line, VALUE in hexadecimal, TYPE the
 * word SSLQ_TYPE_TAG gives (layouts are size_t); lines starting with '#' are
 * comments.  Layouts are those of the build machine (x86-64, LP64).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include <openssl/quic.h>
#include <openssl/ssl.h>

#if OPENSSL_VERSION_NUMBER < 0x30500000L
#error "dump_constants must be built against OpenSSL 3.5 or later"
#endif

static void emit(const char *name, uint64_t value, const char *type)
{
    printf("%s 0x%" PRIx64 " %s\n", name, value, type);
}

int main(void)
{
    printf("# %s, by tests/tools/dump_constants.c\n", OPENSSL_VERSION_TEXT);
#define SSLQ_CONST(expr) emit(#expr, (uint64_t)(expr), SSLQ_TYPE_TAG(expr));
#define SSLQ_SIZE(type)                                                        \
    emit("sizeof(" #type ")", sizeof(type), SSLQ_TYPE_TAG(sizeof(type)));
#define SSLQ_OFFSET(type, member)                                              \
    emit("offsetof(" #type "," #member ")", offsetof(type, member),            \
         SSLQ_TYPE_TAG(offsetof(type, member)));                               \
    emit("sizeof(" #type "." #member ")", sizeof(((type *)0)->member),         \
         SSLQ_TYPE_TAG(sizeof(((type *)0)->member)));
#include "quic_constants.h"
#undef SSLQ_CONST
#undef SSLQ_SIZE
#undef SSLQ_OFFSET
    return ferror(stdout) ? 1 : 0;
}
