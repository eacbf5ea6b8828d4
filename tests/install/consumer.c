/* SPDX-License-Identifier: Apache-2.0 */
/* A program outside the source tree that only knows the installed package. */
#include <stdio.h>
#include <string.h>

#include <sslquic/version.h>

int main(void)
{
    const char *v = SSLQ_library_version();

    if (v == NULL || strncmp(v, "sslquic ", 8) != 0) {
        fprintf(stderr, "unexpected version text: %s\n", v ? v : "(null)");
        return 1;
    }
    printf("%s\n", v);
    return 0;
}
