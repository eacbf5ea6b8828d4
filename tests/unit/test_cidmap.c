/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cidmap.h"
#include "error.h"

static void make_cid(uint8_t *cid, size_t len, uint32_t n)
{
    memset(cid, 0xa5, len);
    for (size_t i = 0; i < len && i < 4; i++)
        cid[i] = (uint8_t)(n >> (8 * i));
}

static void test_siphash24_matches_reference_vectors(void **state)
{
    uint8_t key[16], msg[64];

    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    /* The SipHash paper's vectors: key 00..0f, messages 00..(n-1). */
    assert_true(sslq_siphash(key, msg, 0, 2, 4) == 0x726fdb47dd0e0e31ULL);
    assert_true(sslq_siphash(key, msg, 15, 2, 4) == 0xa129ca6149be45e5ULL);
}

static void test_add_then_get_returns_value(void **state)
{
    sslq_cidmap *map;
    uint8_t cid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int v;

    assert_int_equal(sslq_cidmap_new(&map), 0);
    assert_int_equal(sslq_cidmap_add(map, cid, sizeof(cid), &v), 0);
    assert_ptr_equal(sslq_cidmap_get(map, cid, sizeof(cid)), &v);
    /* A prefix of the CID is a different key. */
    assert_null(sslq_cidmap_get(map, cid, 7));
    assert_int_equal(sslq_cidmap_count(map), 1);
    sslq_cidmap_free(map);
}

static void test_zero_length_cid_is_a_valid_key(void **state)
{
    sslq_cidmap *map;
    int v;

    assert_int_equal(sslq_cidmap_new(&map), 0);
    assert_int_equal(sslq_cidmap_add(map, (const uint8_t *)"", 0, &v), 0);
    assert_ptr_equal(sslq_cidmap_get(map, (const uint8_t *)"", 0), &v);
    sslq_cidmap_free(map);
}

static void test_add_duplicate_fails_with_proto(void **state)
{
    sslq_cidmap *map;
    uint8_t cid[4] = {9, 9, 9, 9};
    int a, b;

    assert_int_equal(sslq_cidmap_new(&map), 0);
    assert_int_equal(sslq_cidmap_add(map, cid, 4, &a), 0);
    assert_int_equal(sslq_cidmap_add(map, cid, 4, &b), SSLQ_ERR_PROTO);
    assert_ptr_equal(sslq_cidmap_get(map, cid, 4), &a);
    sslq_cidmap_free(map);
}

static void test_bad_arguments_are_refused(void **state)
{
    sslq_cidmap *map;
    uint8_t cid[21] = {0};
    int v;

    assert_int_equal(sslq_cidmap_new(&map), 0);
    assert_int_equal(sslq_cidmap_add(map, cid, 21, &v),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_cidmap_add(map, cid, 4, NULL),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_cidmap_add(map, NULL, 4, &v),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_cidmap_add(NULL, cid, 4, &v),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_null(sslq_cidmap_get(map, cid, 21));
    assert_null(sslq_cidmap_get(NULL, cid, 4));
    assert_int_equal(sslq_cidmap_remove(map, cid, 21), 0);
    sslq_cidmap_free(map);
    sslq_cidmap_free(NULL);
}

static void test_hundred_thousand_entries_all_found(void **state)
{
    enum { N = 100000 };
    sslq_cidmap *map;
    uint8_t cid[20];
    static int vals[N];

    assert_int_equal(sslq_cidmap_new(&map), 0);
    for (uint32_t i = 0; i < N; i++) {
        make_cid(cid, 8 + i % 13, i);
        assert_int_equal(sslq_cidmap_add(map, cid, 8 + i % 13, &vals[i]), 0);
    }
    assert_int_equal(sslq_cidmap_count(map), N);
    for (uint32_t i = 0; i < N; i++) {
        make_cid(cid, 8 + i % 13, i);
        assert_ptr_equal(sslq_cidmap_get(map, cid, 8 + i % 13), &vals[i]);
    }
    for (uint32_t i = 0; i < N; i += 2) {
        make_cid(cid, 8 + i % 13, i);
        assert_int_equal(sslq_cidmap_remove(map, cid, 8 + i % 13), 1);
        assert_int_equal(sslq_cidmap_remove(map, cid, 8 + i % 13), 0);
    }
    for (uint32_t i = 0; i < N; i++) {
        make_cid(cid, 8 + i % 13, i);
        if (i % 2)
            assert_ptr_equal(sslq_cidmap_get(map, cid, 8 + i % 13), &vals[i]);
        else
            assert_null(sslq_cidmap_get(map, cid, 8 + i % 13));
    }
    assert_int_equal(sslq_cidmap_count(map), N / 2);
    sslq_cidmap_free(map);
}

static void test_add_remove_churn_keeps_working(void **state)
{
    /* Connections come and go for ever: tombstones must be recycled, or a
     * lookup for an absent CID would eventually probe without end. */
    sslq_cidmap *map;
    uint8_t cid[16];
    int v;

    assert_int_equal(sslq_cidmap_new(&map), 0);
    for (uint32_t i = 0; i < 200000; i++) {
        make_cid(cid, sizeof(cid), i);
        assert_int_equal(sslq_cidmap_add(map, cid, sizeof(cid), &v), 0);
        assert_int_equal(sslq_cidmap_remove(map, cid, sizeof(cid)), 1);
    }
    make_cid(cid, sizeof(cid), 0xffffffffu);
    assert_null(sslq_cidmap_get(map, cid, sizeof(cid)));
    assert_int_equal(sslq_cidmap_count(map), 0);
    sslq_cidmap_free(map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash24_matches_reference_vectors),
        cmocka_unit_test(test_add_then_get_returns_value),
        cmocka_unit_test(test_zero_length_cid_is_a_valid_key),
        cmocka_unit_test(test_add_duplicate_fails_with_proto),
        cmocka_unit_test(test_bad_arguments_are_refused),
        cmocka_unit_test(test_hundred_thousand_entries_all_found),
        cmocka_unit_test(test_add_remove_churn_keeps_working),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
