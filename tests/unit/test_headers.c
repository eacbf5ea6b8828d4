/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pins <sslquic/sslquic.h> to OpenSSL 3.5.
 *
 * At compile time: every SSLQ_ twin has the prototype of the OpenSSL
 * function it stands for (all of them where OpenSSL 3.5 is the library,
 * those 3.0 already has elsewhere).
 *
 * At run time: every constant and type layout the header provides has the
 * value and type recorded in tests/data/openssl35_constants.txt, a table
 * printed from OpenSSL 3.5's own headers by tests/tools/dump_constants.c;
 * nothing the header defines is missing from that table; the value
 * shorthands pick OpenSSL's class and id; the ERR reasons are usable.
 *
 * On OpenSSL 3.0 this checks sslquic's definitions; on 3.5, where OpenSSL's
 * own definitions win, it checks that the table still matches the headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <sslquic/sslquic.h>

#define SSLQ_HEADER_PATH SSLQUIC_TEST_DATA "/../../include/sslquic/sslquic.h"
#define SSLQ_TABLE_PATH SSLQUIC_TEST_DATA "/openssl35_constants.txt"

/* ---- compile time: prototypes ------------------------------------------ */

#define SSLQ_SAME_TYPE(a, b)                                                   \
    _Static_assert(                                                            \
        __builtin_types_compatible_p(__typeof__(&a), __typeof__(&b)),          \
        #b " does not have the prototype of " #a);

#define SSLQ_METHOD(n) SSLQ_SAME_TYPE(OSSL_QUIC_##n, SSLQ_QUIC_##n)
#define SSLQ_FN30(n) SSLQ_SAME_TYPE(SSL_##n, SSLQ_##n)
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
#define SSLQ_FN35(n) SSLQ_SAME_TYPE(SSL_##n, SSLQ_##n)
#else
#define SSLQ_FN35(n)
#undef SSLQ_METHOD
#define SSLQ_METHOD(n)
#endif
#define SSLQ_MACRO35(n) /* macros: see test_value_shorthands_... below */
#include "../tools/quic_functions.h"
#undef SSLQ_METHOD
#undef SSLQ_FN30
#undef SSLQ_FN35
#undef SSLQ_MACRO35

/* ---- the golden table ---------------------------------------------------- */

struct golden {
    char name[96];
    uint64_t value;
    char type[16];
    int seen; /* matched by an entry of quic_constants.h */
};

struct table {
    struct golden *rows;
    size_t len;
};

static void table_load(struct table *t)
{
    FILE *f = fopen(SSLQ_TABLE_PATH, "r");
    char line[256];
    size_t cap = 0;

    assert_non_null(f);
    t->rows = NULL;
    t->len = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        struct golden g;
        unsigned long long v;

        if (line[0] == '#' || line[0] == '\n')
            continue;
        memset(&g, 0, sizeof(g));
        if (sscanf(line, "%95s %llx %15s", g.name, &v, g.type) != 3)
            fail_msg("malformed golden line: %s", line);
        g.value = v;
        if (t->len == cap) {
            cap = cap ? cap * 2 : 64;
            t->rows = realloc(t->rows, cap * sizeof(*t->rows));
            assert_non_null(t->rows);
        }
        t->rows[t->len++] = g;
    }
    fclose(f);
    assert_true(t->len > 0);
}

static struct golden *table_find(struct table *t, const char *name)
{
    for (size_t i = 0; i < t->len; i++)
        if (strcmp(t->rows[i].name, name) == 0)
            return &t->rows[i];
    return NULL;
}

static int table_setup(void **state)
{
    struct table *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    table_load(t);
    *state = t;
    return 0;
}

static int table_teardown(void **state)
{
    struct table *t = *state;

    free(t->rows);
    free(t);
    return 0;
}

/* ---- the header as text ---------------------------------------------------
 */

/* sslquic.h with every backslash-newline removed, one logical line per
 * line, so a #define reads as one line. */
static char *header_load(void)
{
    FILE *f = fopen(SSLQ_HEADER_PATH, "r");
    char *text;
    long len;
    size_t out = 0;

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

/* Calls |fn| with the macro name of each "#define NAME" line of |text|,
 * and whether the macro is object-like. */
static void header_each_define(char *text,
                               void (*fn)(const char *name, int object_like,
                                          void *arg),
                               void *arg)
{
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        size_t n = 0;

        if (strncmp(line, "#define ", 8) != 0)
            continue;
        line += 8;
        while (n + 1 < sizeof(name) &&
               (line[n] == '_' || (line[n] >= 'A' && line[n] <= 'Z') ||
                (line[n] >= 'a' && line[n] <= 'z') ||
                (line[n] >= '0' && line[n] <= '9'))) {
            name[n] = line[n];
            n++;
        }
        name[n] = '\0';
        fn(name, line[n] != '(', arg);
    }
}

/* ---- tests ------------------------------------------------------------- */

static void check_constant(struct table *t, const char *name, uint64_t value,
                           const char *type)
{
    struct golden *g = table_find(t, name);

    if (g == NULL)
        fail_msg("%s is not in %s: regenerate it (tests/tools/"
                 "dump_constants.c)",
                 name, SSLQ_TABLE_PATH);
    if (g->value != value)
        fail_msg("%s is 0x%llx, OpenSSL 3.5 has 0x%llx", name,
                 (unsigned long long)value, (unsigned long long)g->value);
    if (strcmp(g->type, type) != 0)
        fail_msg("%s has type %s, OpenSSL 3.5 has %s", name, type, g->type);
    g->seen = 1;
}

static void
test_every_constant_and_layout_has_openssl35_value_and_type(void **state)
{
    struct table *t = *state;

#define SSLQ_CONST(expr)                                                       \
    check_constant(t, #expr, (uint64_t)(expr), SSLQ_TYPE_TAG(expr));
#define SSLQ_SIZE(type)                                                        \
    check_constant(t, "sizeof(" #type ")", sizeof(type),                       \
                   SSLQ_TYPE_TAG(sizeof(type)));
#define SSLQ_OFFSET(type, member)                                              \
    check_constant(t, "offsetof(" #type "," #member ")",                       \
                   offsetof(type, member),                                     \
                   SSLQ_TYPE_TAG(offsetof(type, member)));                     \
    check_constant(t, "sizeof(" #type "." #member ")",                         \
                   sizeof(((type *)0)->member),                                \
                   SSLQ_TYPE_TAG(sizeof(((type *)0)->member)));
#include "../tools/quic_constants.h"
#undef SSLQ_CONST
#undef SSLQ_SIZE
#undef SSLQ_OFFSET

    /* A row no entry matched means list and table drifted apart. */
    for (size_t i = 0; i < t->len; i++)
        if (!t->rows[i].seen)
            fail_msg("%s is in the golden table but not in "
                     "tests/tools/quic_constants.h",
                     t->rows[i].name);
}

struct define_check {
    struct table *table;
    int missing;
};

static void require_pinned_define(const char *name, int object_like, void *arg)
{
    struct define_check *c = arg;

    /* sslquic's own names (SSLQ_*, SSLQUIC_*) are not OpenSSL's to pin;
     * function-like macros are pinned through their results. */
    if (!object_like || strncmp(name, "SSLQ", 4) == 0)
        return;
    if (table_find(c->table, name) == NULL) {
        print_error("sslquic.h defines %s, which the golden table lacks\n",
                    name);
        c->missing++;
    }
}

static void test_every_openssl_constant_sslquic_defines_is_pinned(void **state)
{
    struct define_check c = {*state, 0};
    char *text = header_load();

    header_each_define(text, require_pinned_define, &c);
    free(text);
    assert_int_equal(c.missing, 0);
}

static void test_every_type_sslquic_defines_has_its_layout_pinned(void **state)
{
    struct table *t = *state;
    char *text = header_load();
    int types = 0;

    for (char *p = strstr(text, "\n} "); p; p = strstr(p + 1, "\n} ")) {
        char type[64], key[96];

        if (sscanf(p + 3, "%63[A-Za-z0-9_];", type) != 1)
            continue;
        snprintf(key, sizeof(key), "sizeof(%s)", type);
        if (table_find(t, key) == NULL)
            fail_msg("sslquic.h defines %s, whose layout is not pinned", type);
        types++;
    }
    free(text);
    assert_int_equal(types, 5);
}

/*
 * The shorthands are macros over SSLQ_get/set_value_uint; expanding them
 * with those two replaced by recorders shows the class and id each one
 * passes.  On OpenSSL 3.5 OpenSSL's own shorthands are recorded the same way
 * and must agree.
 */
struct value_call {
    int set;
    uint32_t class_, id;
};

static struct value_call record(int set, uint32_t class_, uint32_t id)
{
    struct value_call c = {set, class_, id};

    return c;
}

#define SSLQ_get_value_uint(s, c, i, v) record(0, (c), (i))
#define SSLQ_set_value_uint(s, c, i, v) record(1, (c), (i))
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
#define SSL_get_value_uint(s, c, i, v) record(0, (c), (i))
#define SSL_set_value_uint(s, c, i, v) record(1, (c), (i))
#endif

static void expect_call(const char *name, struct value_call got, int set,
                        uint32_t class_, uint32_t id)
{
    if (got.set != set || got.class_ != class_ || got.id != id)
        fail_msg("%s: %s class %u id %u, expected %s class %u id %u", name,
                 got.set ? "set" : "get", got.class_, got.id,
                 set ? "set" : "get", class_, id);
}

static void test_value_shorthands_select_openssl_class_and_id(void **state)
{
    enum { ID = 42 }; /* any id, for the generic forms */

    (void)state;
    expect_call("generic get", SSLQ_get_generic_value_uint(NULL, ID, NULL), 0,
                SSL_VALUE_CLASS_GENERIC, ID);
    expect_call("generic set", SSLQ_set_generic_value_uint(NULL, ID, 0), 1,
                SSL_VALUE_CLASS_GENERIC, ID);
    expect_call("feature request get",
                SSLQ_get_feature_request_uint(NULL, ID, NULL), 0,
                SSL_VALUE_CLASS_FEATURE_REQUEST, ID);
    expect_call("feature request set",
                SSLQ_set_feature_request_uint(NULL, ID, 0), 1,
                SSL_VALUE_CLASS_FEATURE_REQUEST, ID);
    expect_call("feature peer request get",
                SSLQ_get_feature_peer_request_uint(NULL, ID, NULL), 0,
                SSL_VALUE_CLASS_FEATURE_PEER_REQUEST, ID);
    expect_call("feature negotiated get",
                SSLQ_get_feature_negotiated_uint(NULL, ID, NULL), 0,
                SSL_VALUE_CLASS_FEATURE_NEGOTIATED, ID);

#define SSLQ_EXPECT(op, set, n, id)                                            \
    expect_call(#n, SSLQ_##op##_##n(NULL, 0), set, SSL_VALUE_CLASS_GENERIC, id)
    SSLQ_EXPECT(get, 0, quic_stream_bidi_local_avail,
                SSL_VALUE_QUIC_STREAM_BIDI_LOCAL_AVAIL);
    SSLQ_EXPECT(get, 0, quic_stream_bidi_remote_avail,
                SSL_VALUE_QUIC_STREAM_BIDI_REMOTE_AVAIL);
    SSLQ_EXPECT(get, 0, quic_stream_uni_local_avail,
                SSL_VALUE_QUIC_STREAM_UNI_LOCAL_AVAIL);
    SSLQ_EXPECT(get, 0, quic_stream_uni_remote_avail,
                SSL_VALUE_QUIC_STREAM_UNI_REMOTE_AVAIL);
    SSLQ_EXPECT(get, 0, event_handling_mode, SSL_VALUE_EVENT_HANDLING_MODE);
    SSLQ_EXPECT(set, 1, event_handling_mode, SSL_VALUE_EVENT_HANDLING_MODE);
    SSLQ_EXPECT(get, 0, stream_write_buf_size, SSL_VALUE_STREAM_WRITE_BUF_SIZE);
    SSLQ_EXPECT(get, 0, stream_write_buf_used, SSL_VALUE_STREAM_WRITE_BUF_USED);
    SSLQ_EXPECT(get, 0, stream_write_buf_avail,
                SSL_VALUE_STREAM_WRITE_BUF_AVAIL);
#undef SSLQ_EXPECT

#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    /* Every shorthand against OpenSSL's definition of the same name. */
#define SSLQ_SAME_CALL(n, ...)                                                 \
    do {                                                                       \
        struct value_call theirs = SSL_##n(__VA_ARGS__);                       \
        expect_call("SSLQ_" #n, SSLQ_##n(__VA_ARGS__), theirs.set,             \
                    theirs.class_, theirs.id);                                 \
    } while (0)
    SSLQ_SAME_CALL(get_generic_value_uint, NULL, ID, NULL);
    SSLQ_SAME_CALL(set_generic_value_uint, NULL, ID, 0);
    SSLQ_SAME_CALL(get_feature_request_uint, NULL, ID, NULL);
    SSLQ_SAME_CALL(set_feature_request_uint, NULL, ID, 0);
    SSLQ_SAME_CALL(get_feature_peer_request_uint, NULL, ID, NULL);
    SSLQ_SAME_CALL(get_feature_negotiated_uint, NULL, ID, NULL);
    SSLQ_SAME_CALL(get_quic_stream_bidi_local_avail, NULL, NULL);
    SSLQ_SAME_CALL(get_quic_stream_bidi_remote_avail, NULL, NULL);
    SSLQ_SAME_CALL(get_quic_stream_uni_local_avail, NULL, NULL);
    SSLQ_SAME_CALL(get_quic_stream_uni_remote_avail, NULL, NULL);
    SSLQ_SAME_CALL(get_event_handling_mode, NULL, NULL);
    SSLQ_SAME_CALL(set_event_handling_mode, NULL, 0);
    SSLQ_SAME_CALL(get_stream_write_buf_size, NULL, NULL);
    SSLQ_SAME_CALL(get_stream_write_buf_used, NULL, NULL);
    SSLQ_SAME_CALL(get_stream_write_buf_avail, NULL, NULL);
#undef SSLQ_SAME_CALL
#endif
}

static void test_err_reasons_are_distinct_library_reasons(void **state)
{
    const int reasons[] = {
        SSLQ_R_PASSED_NULL_PARAMETER,
        SSLQ_R_PASSED_INVALID_ARGUMENT,
        SSLQ_R_UNSUPPORTED_FLAGS,
        SSLQ_R_WRONG_OBJECT_TYPE,
        SSLQ_R_NOT_A_LISTENER,
        SSLQ_R_NOT_A_DOMAIN,
        SSLQ_R_NOT_A_CONNECTION,
        SSLQ_R_NOT_A_STREAM,
        SSLQ_R_WRONG_METHOD,
        SSLQ_R_OPERATION_NOT_SUPPORTED,
        SSLQ_R_NO_BIO,
        SSLQ_R_BIO_NOT_DATAGRAM,
        SSLQ_R_PEER_ADDRESS_NOT_SET,
        SSLQ_R_BLOCKING_NOT_SUPPORTED,
        SSLQ_R_NETWORK_ERROR,
        SSLQ_R_POLL_REQUEST_NOT_SUPPORTED,
        SSLQ_R_ALREADY_CONNECTED,
        SSLQ_R_NOT_CONNECTED,
        SSLQ_R_HANDSHAKE_FAILED,
        SSLQ_R_NO_APPLICATION_PROTOCOL,
        SSLQ_R_PROTOCOL_ERROR,
        SSLQ_R_CONN_CLOSED,
        SSLQ_R_QUEUE_FULL,
        SSLQ_R_NO_DEFAULT_STREAM,
        SSLQ_R_STREAM_LIMIT_REACHED,
        SSLQ_R_WRONG_STREAM_DIRECTION,
        SSLQ_R_STREAM_SEND_ONLY,
        SSLQ_R_STREAM_RECV_ONLY,
        SSLQ_R_STREAM_FINISHED,
        SSLQ_R_STREAM_RESET,
        SSLQ_R_UNSUPPORTED_VALUE,
        SSLQ_R_UNSUPPORTED_VALUE_CLASS,
        SSLQ_R_VALUE_READ_ONLY,
        SSLQ_R_INTERNAL_ERROR,
    };
    const size_t n = sizeof(reasons) / sizeof(reasons[0]);
    char *text = header_load();
    size_t defined = 0;

    (void)state;
    for (char *p = strstr(text, "#define SSLQ_R_"); p;
         p = strstr(p + 1, "#define SSLQ_R_"))
        defined++;
    free(text);
    /* the list above is every reason the header defines */
    assert_int_equal(defined, n);

    for (size_t i = 0; i < n; i++) {
        /* below 100 is ERR's convention for reasons shared by all
         * libraries; a reason must survive ERR_PACK/ERR_GET_REASON */
        assert_true(reasons[i] >= 100);
        assert_int_equal(ERR_GET_REASON(ERR_PACK(ERR_LIB_USER, 0, reasons[i])),
                         reasons[i]);
        for (size_t j = i + 1; j < n; j++)
            if (reasons[i] == reasons[j])
                fail_msg("reasons %zu and %zu share the value %d", i, j,
                         reasons[i]);
    }
}

static void test_version_number_matches_version_text(void **state)
{
    unsigned major, minor, patch;
    char extra;

    (void)state;
    assert_int_equal(sscanf(SSLQUIC_VERSION_TEXT, "%u.%u.%u%c", &major, &minor,
                            &patch, &extra),
                     3);
    assert_int_equal(SSLQUIC_VERSION_NUMBER, ((long)major << 24) |
                                                 ((long)minor << 16) |
                                                 ((long)patch << 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_every_constant_and_layout_has_openssl35_value_and_type),
        cmocka_unit_test(test_every_openssl_constant_sslquic_defines_is_pinned),
        cmocka_unit_test(test_every_type_sslquic_defines_has_its_layout_pinned),
        cmocka_unit_test(test_value_shorthands_select_openssl_class_and_id),
        cmocka_unit_test(test_err_reasons_are_distinct_library_reasons),
        cmocka_unit_test(test_version_number_matches_version_text),
    };

    return cmocka_run_group_tests(tests, table_setup, table_teardown);
}
