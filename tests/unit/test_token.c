/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <cmocka.h>

#include "error.h"
#include "token.h"

#define SEC 1000000000ULL

typedef struct fixture {
    sslq_token_key *key;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
} fixture;

static int setup(void **state)
{
    static fixture f;

    memset(&f, 0, sizeof(f));
    if (sslq_token_key_new(&f.key, NULL) != 0)
        return -1;
    f.v4.sin_family = AF_INET;
    f.v4.sin_port = htons(40000);
    inet_pton(AF_INET, "192.0.2.7", &f.v4.sin_addr);
    f.v6.sin6_family = AF_INET6;
    f.v6.sin6_port = htons(40001);
    inet_pton(AF_INET6, "2001:db8::7", &f.v6.sin6_addr);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    sslq_token_key_free(f->key);
    return 0;
}

static const uint8_t odcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void make_retry(fixture *f, const struct sockaddr *sa, uint64_t now,
                       uint8_t *tok, size_t *len)
{
    assert_int_equal(sslq_token_make(f->key, SSLQ_TOKEN_KIND_RETRY, sa, odcid,
                                     sizeof(odcid), now, tok, len),
                     0);
}

static void test_retry_token_round_trip_returns_odcid(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN], cid[20];
    size_t len, cidlen = 0;

    make_retry(f, (struct sockaddr *)&f->v4, 100 * SEC, tok, &len);
    assert_true(len <= SSLQ_TOKEN_MAX_LEN);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok, len,
                                      (struct sockaddr *)&f->v4, 105 * SEC,
                                      10 * SEC, cid, &cidlen),
                     0);
    assert_int_equal(cidlen, sizeof(odcid));
    assert_memory_equal(cid, odcid, sizeof(odcid));
}

static void test_retry_token_ipv6_round_trip(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN];
    size_t len;

    make_retry(f, (struct sockaddr *)&f->v6, SEC, tok, &len);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok, len,
                                      (struct sockaddr *)&f->v6, SEC, SEC,
                                      NULL, NULL),
                     0);
}

static void test_retry_token_from_other_port_is_refused(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN];
    size_t len;
    struct sockaddr_in other = f->v4;

    make_retry(f, (struct sockaddr *)&f->v4, SEC, tok, &len);
    other.sin_port = htons(40002);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok, len,
                                      (struct sockaddr *)&other, SEC, SEC,
                                      NULL, NULL),
                     SSLQ_ERR_PROTO);
}

static void test_regular_token_survives_port_change_not_ip_change(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN];
    size_t len;
    struct sockaddr_in other = f->v4;

    assert_int_equal(sslq_token_make(f->key, SSLQ_TOKEN_KIND_REGULAR,
                                     (struct sockaddr *)&f->v4, NULL, 0, SEC,
                                     tok, &len),
                     0);
    other.sin_port = htons(50000);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_REGULAR, tok,
                                      len, (struct sockaddr *)&other, 2 * SEC,
                                      3600 * SEC, NULL, NULL),
                     0);
    inet_pton(AF_INET, "192.0.2.8", &other.sin_addr);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_REGULAR, tok,
                                      len, (struct sockaddr *)&other, 2 * SEC,
                                      3600 * SEC, NULL, NULL),
                     SSLQ_ERR_PROTO);
}

static void test_expired_and_future_tokens_are_refused(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN];
    size_t len;
    const struct sockaddr *sa = (struct sockaddr *)&f->v4;

    make_retry(f, sa, 100 * SEC, tok, &len);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok, len,
                                      sa, 110 * SEC, 10 * SEC, NULL, NULL),
                     0);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok, len,
                                      sa, 110 * SEC + 1, 10 * SEC, NULL, NULL),
                     SSLQ_ERR_PROTO);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok, len,
                                      sa, 99 * SEC, 10 * SEC, NULL, NULL),
                     SSLQ_ERR_PROTO);
}

static void test_any_flipped_bit_is_refused(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN];
    size_t len;
    const struct sockaddr *sa = (struct sockaddr *)&f->v4;

    make_retry(f, sa, SEC, tok, &len);
    for (size_t i = 0; i < len * 8; i++) {
        tok[i / 8] ^= (uint8_t)(1 << (i % 8));
        assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok,
                                          len, sa, SEC, SEC, NULL, NULL),
                         SSLQ_ERR_PROTO);
        tok[i / 8] ^= (uint8_t)(1 << (i % 8));
    }
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok, len,
                                      sa, SEC, SEC, NULL, NULL),
                     0);
}

static void test_token_of_other_kind_or_key_is_refused(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN];
    size_t len;
    const struct sockaddr *sa = (struct sockaddr *)&f->v4;
    sslq_token_key *other;

    make_retry(f, sa, SEC, tok, &len);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_REGULAR, tok,
                                      len, sa, SEC, SEC, NULL, NULL),
                     SSLQ_ERR_PROTO);
    /* Relabelled as the other kind: the kind is in the AAD. */
    tok[0] = SSLQ_TOKEN_KIND_REGULAR;
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_REGULAR, tok,
                                      len, sa, SEC, SEC, NULL, NULL),
                     SSLQ_ERR_PROTO);
    tok[0] = SSLQ_TOKEN_KIND_RETRY;
    assert_int_equal(sslq_token_key_new(&other, NULL), 0);
    assert_int_equal(sslq_token_check(other, SSLQ_TOKEN_KIND_RETRY, tok, len,
                                      sa, SEC, SEC, NULL, NULL),
                     SSLQ_ERR_PROTO);
    sslq_token_key_free(other);
}

static void test_shared_secret_keys_accept_each_others_tokens(void **state)
{
    fixture *f = *state;
    uint8_t secret[SSLQ_TOKEN_KEY_LEN], tok[SSLQ_TOKEN_MAX_LEN];
    size_t len;
    sslq_token_key *a, *b;
    const struct sockaddr *sa = (struct sockaddr *)&f->v4;

    memset(secret, 0x42, sizeof(secret));
    assert_int_equal(sslq_token_key_new(&a, secret), 0);
    assert_int_equal(sslq_token_key_new(&b, secret), 0);
    assert_int_equal(sslq_token_make(a, SSLQ_TOKEN_KIND_REGULAR, sa, NULL, 0,
                                     SEC, tok, &len),
                     0);
    assert_int_equal(sslq_token_check(b, SSLQ_TOKEN_KIND_REGULAR, tok, len, sa,
                                      SEC, SEC, NULL, NULL),
                     0);
    sslq_token_key_free(a);
    sslq_token_key_free(b);
}

static void test_truncated_and_oversized_tokens_are_refused(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN + 8];
    size_t len;
    const struct sockaddr *sa = (struct sockaddr *)&f->v4;

    make_retry(f, sa, SEC, tok, &len);
    for (size_t l = 0; l < len; l++)
        assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok,
                                          l, sa, SEC, SEC, NULL, NULL),
                         SSLQ_ERR_PROTO);
    memset(tok, 0, sizeof(tok));
    tok[0] = SSLQ_TOKEN_KIND_RETRY;
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, tok,
                                      sizeof(tok), sa, SEC, SEC, NULL, NULL),
                     SSLQ_ERR_PROTO);
    assert_int_equal(sslq_token_check(f->key, SSLQ_TOKEN_KIND_RETRY, NULL, 40,
                                      sa, SEC, SEC, NULL, NULL),
                     SSLQ_ERR_PROTO);
}

static void test_bad_arguments_to_make_are_refused(void **state)
{
    fixture *f = *state;
    uint8_t tok[SSLQ_TOKEN_MAX_LEN], big[21] = {0};
    size_t len;
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    const struct sockaddr *sa = (struct sockaddr *)&f->v4;

    assert_int_equal(sslq_token_make(f->key, 0x99, sa, NULL, 0, SEC, tok, &len),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_token_make(f->key, SSLQ_TOKEN_KIND_RETRY,
                                     (struct sockaddr *)&un, NULL, 0, SEC, tok,
                                     &len),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_token_make(f->key, SSLQ_TOKEN_KIND_RETRY, sa, big,
                                     sizeof(big), SEC, tok, &len),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_token_make(f->key, SSLQ_TOKEN_KIND_RETRY, NULL, NULL,
                                     0, SEC, tok, &len),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_token_make(NULL, SSLQ_TOKEN_KIND_RETRY, sa, NULL, 0,
                                     SEC, tok, &len),
                     SSLQ_ERR_INVALID_ARGUMENT);
}

static void test_tokens_are_unpredictable(void **state)
{
    fixture *f = *state;
    uint8_t a[SSLQ_TOKEN_MAX_LEN], b[SSLQ_TOKEN_MAX_LEN];
    size_t la, lb;
    const struct sockaddr *sa = (struct sockaddr *)&f->v4;

    make_retry(f, sa, SEC, a, &la);
    make_retry(f, sa, SEC, b, &lb);
    assert_int_equal(la, lb);
    assert_memory_not_equal(a, b, la);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_token_round_trip_returns_odcid),
        cmocka_unit_test(test_retry_token_ipv6_round_trip),
        cmocka_unit_test(test_retry_token_from_other_port_is_refused),
        cmocka_unit_test(test_regular_token_survives_port_change_not_ip_change),
        cmocka_unit_test(test_expired_and_future_tokens_are_refused),
        cmocka_unit_test(test_any_flipped_bit_is_refused),
        cmocka_unit_test(test_token_of_other_kind_or_key_is_refused),
        cmocka_unit_test(test_shared_secret_keys_accept_each_others_tokens),
        cmocka_unit_test(test_truncated_and_oversized_tokens_are_refused),
        cmocka_unit_test(test_bad_arguments_to_make_are_refused),
        cmocka_unit_test(test_tokens_are_unpredictable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
