/* SPDX-License-Identifier: Apache-2.0 */
/* sslquic's own version, and the versions of what it was built on. */
#ifndef SSLQUIC_VERSION_H
#define SSLQUIC_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* "sslquic 0.1.0 (OpenSSL 3.0.x, ngtcp2 0.12.1)": the library's version and
 * the OpenSSL and ngtcp2 versions it runs with (not merely compiled with). */
const char *SSLQ_library_version(void);

#ifdef __cplusplus
}
#endif
#endif /* SSLQUIC_VERSION_H */
