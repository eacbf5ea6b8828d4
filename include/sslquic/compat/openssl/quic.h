/* SPDX-License-Identifier: Apache-2.0 */
/*
 * <openssl/quic.h> for programs built with sslquic-compat.
 *
 * OpenSSL before 3.5 has no usable QUIC header, so this one stands in: it
 * brings in sslquic's declarations, the OSSL_QUIC_ERR_* codes and
 * OSSL_QUIC1_VERSION, and the compat renaming that makes OSSL_QUIC_*_method
 * and the SSL_* QUIC calls resolve to sslquic.  On OpenSSL 3.5 and later the
 * real header is used instead, found further down the include path, and
 * <sslquic/compat.h> (force-included) decides whether to rename.
 */
#ifndef SSLQUIC_COMPAT_OPENSSL_QUIC_H
#define SSLQUIC_COMPAT_OPENSSL_QUIC_H

/* #include_next is a GNU extension; keep -Wpedantic quiet about it in the
 * programs that include this. */
#if defined(__GNUC__)
#pragma GCC system_header
#endif

/* The version must be known before choosing between shim and real header. */
#include <openssl/opensslv.h>

#if OPENSSL_VERSION_NUMBER >= 0x30500000L
#include_next <openssl/quic.h>
#else
#include <sslquic/compat.h>
#endif

#endif /* SSLQUIC_COMPAT_OPENSSL_QUIC_H */
