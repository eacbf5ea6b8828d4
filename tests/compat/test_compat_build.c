/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pins the source-compatibility mapping.  Built with sslquic/compat.h
 * force-included and the openssl/quic.h shim on the include path, exactly as
 * `pkg-config --cflags sslquic-compat` builds a program, it includes the
 * OpenSSL headers the way an OpenSSL 3.5 QUIC program does and checks, by
 * expanding each name to a string, that every OpenSSL name sslquic has a
 * twin for now means the twin.  It also checks that neither header holds a
 * name the list in tests/tools/quic_functions.h lacks, so a function added
 * to sslquic.h without a mapping fails here.
 *
 * Built a second time on OpenSSL >= 3.5 without SSLQUIC_FORCE_COMPAT, where
 * the mapping must be off and every name OpenSSL's own.
 */
#include <openssl/quic.h>
#include <openssl/ssl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if OPENSSL_VERSION_NUMBER < 0x30500000L || defined(SSLQUIC_FORCE_COMPAT)
#define EXPECT_ACTIVE 1
#else
#define EXPECT_ACTIVE 0
#endif

#define STR(x) #x
#define XSTR(x) STR(x)

/* What a mapped name expands to, and what it should. */
struct mapping {
    const char *openssl; /* the name as a program writes it */
    const char *expanded;
    const char *twin; /* sslquic's name for it */
};

#define SSLQ_METHOD(n) {"OSSL_QUIC_" #n, XSTR(OSSL_QUIC_##n), "SSLQ_QUIC_" #n},
#define SSLQ_FN30(n) {"SSL_" #n, XSTR(SSL_##n), "SSLQ_" #n},
#define SSLQ_FN35(n) SSLQ_FN30(n)
#define SSLQ_MACRO35(n) SSLQ_FN30(n)
static const struct mapping mappings[] = {
#include "../tools/quic_functions.h"
};
#undef SSLQ_METHOD
#undef SSLQ_FN30
#undef SSLQ_FN35
#undef SSLQ_MACRO35
static const size_t n_mappings = sizeof(mappings) / sizeof(mappings[0]);

static const struct mapping *mapping_find(const char *openssl)
{
    for (size_t i = 0; i < n_mappings; i++)
        if (strcmp(mappings[i].openssl, openssl) == 0)
            return &mappings[i];
    return NULL;
}

static const struct mapping *mapping_find_twin(const char *twin)
{
    for (size_t i = 0; i < n_mappings; i++)
        if (strcmp(mappings[i].twin, twin) == 0)
            return &mappings[i];
    return NULL;
}

/* A public header as text, backslash-newlines removed. */
static char *header_load(const char *relpath)
{
    char path[1024];
    FILE *f;
    char *text;
    long len;
    size_t out = 0;

    snprintf(path, sizeof(path), "%s/%s", SSLQUIC_SOURCE_DIR, relpath);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len > 0);
    rewind(f);
    text = malloc((size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    for (long i = 0; i < len; i++) {
        if (text[i] == '\\' && i + 1 < len && text[i + 1] == '\n') {
            i++;
            continue;
        }
        text[out++] = text[i];
    }
    text[out] = '\0';
    return text;
}

static int is_ident(char c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9');
}

/* Copies the identifier at |p| into |out|; returns its length. */
static size_t ident_at(const char *p, char *out, size_t cap)
{
    size_t n = 0;

    while (n + 1 < cap && is_ident(p[n])) {
        out[n] = p[n];
        n++;
    }
    out[n] = '\0';
    return n;
}

static void test_mapping_is_active_exactly_when_expected(void **state)
{
    (void)state;
#ifdef SSLQUIC_COMPAT_ACTIVE
    assert_int_equal(EXPECT_ACTIVE, 1);
#else
    assert_int_equal(EXPECT_ACTIVE, 0);
#endif
}

static void test_every_openssl_name_expands_to_its_sslquic_twin(void **state)
{
    int wrong = 0;

    (void)state;
    for (size_t i = 0; i < n_mappings; i++) {
        const struct mapping *m = &mappings[i];
        const char *want = EXPECT_ACTIVE ? m->twin : m->openssl;

        if (strcmp(m->expanded, want) != 0) {
            print_error("%s expands to %s, expected %s\n", m->openssl,
                        m->expanded, want);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

static void test_compat_header_maps_only_listed_names(void **state)
{
    char *text = header_load("include/sslquic/compat.h");
    size_t seen = 0;

    (void)state;
    for (char *p = strstr(text, "#define "); p; p = strstr(p + 1, "#define ")) {
        char from[128], to[128];
        const char *q = p + 8;
        const struct mapping *m;

        q += ident_at(q, from, sizeof(from));
        if (strncmp(from, "SSL_", 4) != 0 && strncmp(from, "OSSL_", 5) != 0)
            continue; /* the header's own guard and marker */
        while (*q == ' ')
            q++;
        ident_at(q, to, sizeof(to));
        m = mapping_find(from);
        if (m == NULL)
            fail_msg("compat.h maps %s, which quic_functions.h lacks", from);
        if (strcmp(m->twin, to) != 0)
            fail_msg("compat.h maps %s to %s, expected %s", from, to, m->twin);
        seen++;
    }
    free(text);
    /* and nothing in the list is left unmapped */
    assert_int_equal(seen, n_mappings);
}

/* sslquic's own names, which have no OpenSSL counterpart to map. */
static const char *const sslquic_only[] = {
    "SSLQ_get_err_lib",
    "SSLQ_set_tlsext_host_name", /* reached through the SSL_ctrl mapping */
};

static void test_every_sslquic_function_and_shorthand_is_mapped(void **state)
{
    char *text = header_load("include/sslquic/sslquic.h");
    int unmapped = 0, found = 0;

    (void)state;
    for (char *p = strstr(text, "SSLQ_"); p; p = strstr(p + 1, "SSLQ_")) {
        char name[128];
        size_t n, k;

        if (p > text && is_ident(p[-1]))
            continue;
        n = ident_at(p, name, sizeof(name));
        if (p[n] != '(') /* declarations and macro definitions only */
            continue;
        found++;
        for (k = 0; k < sizeof(sslquic_only) / sizeof(sslquic_only[0]); k++)
            if (strcmp(name, sslquic_only[k]) == 0)
                break;
        if (k < sizeof(sslquic_only) / sizeof(sslquic_only[0]))
            continue;
        if (mapping_find_twin(name) == NULL) {
            print_error("sslquic.h has %s, which nothing maps to\n", name);
            unmapped++;
        }
    }
    free(text);
    assert_true(found > 100);
    assert_int_equal(unmapped, 0);
}

static void test_openssl_quic_h_is_the_one_for_this_version(void **state)
{
    (void)state;
    /* The shim was found first on the include path in every build. */
#ifndef SSLQUIC_COMPAT_OPENSSL_QUIC_H
    fail_msg("<openssl/quic.h> did not resolve to sslquic's shim");
#endif
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    /* ... and handed over to OpenSSL's real header. */
#ifndef OPENSSL_QUIC_H
    fail_msg("the shim did not include OpenSSL 3.5's own quic.h");
#endif
#else
#ifndef SSLQUIC_SSLQUIC_H
    fail_msg("the shim did not bring in sslquic.h");
#endif
#endif
    /* What quic.h provides in 3.5 is there either way. */
    assert_int_equal(OSSL_QUIC1_VERSION, 1);
    assert_int_equal(OSSL_QUIC_ERR_CRYPTO_ERR(0x28), 0x128);
    assert_true(OSSL_QUIC_LOCAL_ERR_IDLE_TIMEOUT == UINT64_MAX);
}

static void test_ctrl_macros_reach_sslquic_through_ssl_ctrl(void **state)
{
    /* OpenSSL's SSL_ctrl-based macros are not renamed themselves: their
     * expansion names SSL_ctrl, which is. */
    const char *sni = XSTR(SSL_set_tlsext_host_name(s, h));
    const char *mode = XSTR(SSL_set_mode(s, m));
    const char *want = EXPECT_ACTIVE ? "SSLQ_ctrl(" : "SSL_ctrl(";

    (void)state;
    assert_non_null(strstr(sni, want));
    assert_non_null(strstr(mode, want));
}

static void test_version_text_matches_the_project(void **state)
{
    (void)state;
#if EXPECT_ACTIVE
    assert_string_equal(SSLQUIC_VERSION_TEXT, SSLQUIC_PROJECT_VERSION);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapping_is_active_exactly_when_expected),
        cmocka_unit_test(test_every_openssl_name_expands_to_its_sslquic_twin),
        cmocka_unit_test(test_compat_header_maps_only_listed_names),
        cmocka_unit_test(test_every_sslquic_function_and_shorthand_is_mapped),
        cmocka_unit_test(test_openssl_quic_h_is_the_one_for_this_version),
        cmocka_unit_test(test_ctrl_macros_reach_sslquic_through_ssl_ctrl),
        cmocka_unit_test(test_version_text_matches_the_project),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
