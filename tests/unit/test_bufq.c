/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bufq.h"

static void fill(uint8_t *p, size_t len, uint64_t offset)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)((offset + i) * 7 + 3);
}

static void test_append_read_round_trip_across_chunks(void **state)
{
    sslq_bufq q;
    uint8_t in[1000], out[1000];

    sslq_bufq_init(&q, 64, 0);
    fill(in, sizeof(in), 0);
    for (size_t done = 0; done < sizeof(in); done += 37)
        assert_int_equal(sslq_bufq_append(&q, in + done,
                                          sizeof(in) - done < 37
                                              ? sizeof(in) - done
                                              : 37),
                         0);
    assert_int_equal(sslq_bufq_len(&q), sizeof(in));
    assert_int_equal(sslq_bufq_read(&q, out, 300), 300);
    assert_int_equal(sslq_bufq_read(&q, out + 300, 1000), 700);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(sslq_bufq_len(&q), 0);
    assert_null(q.head);
    sslq_bufq_free(&q);
}

static void test_vec_from_offset_covers_exactly_the_rest(void **state)
{
    sslq_bufq q;
    uint8_t in[500];
    struct iovec v[32];
    size_t total, nv, seen = 0;

    sslq_bufq_init(&q, 100, 1000); /* stream offsets start at 1000 */
    fill(in, sizeof(in), 1000);
    assert_int_equal(sslq_bufq_append(&q, in, sizeof(in)), 0);
    nv = sslq_bufq_vec(&q, 1250, v, 32, &total);
    assert_int_equal(total, 250);
    for (size_t i = 0; i < nv; i++) {
        assert_memory_equal(v[i].iov_base, in + 250 + seen, v[i].iov_len);
        seen += v[i].iov_len;
    }
    assert_int_equal(seen, 250);
    /* Out of range: before start, at end, past end. */
    assert_int_equal(sslq_bufq_vec(&q, 999, v, 32, &total), 0);
    assert_int_equal(sslq_bufq_vec(&q, 1500, v, 32, &total), 0);
    assert_int_equal(total, 0);
    /* Vector count is bounded by nvec. */
    assert_int_equal(sslq_bufq_vec(&q, 1000, v, 2, &total), 2);
    assert_int_equal(total, 200);
    sslq_bufq_free(&q);
}

static void test_release_frees_whole_chunks_and_keeps_pointers_stable(void **state)
{
    sslq_bufq q;
    uint8_t in[400];
    struct iovec v[8];
    const void *p;

    sslq_bufq_init(&q, 100, 0);
    fill(in, sizeof(in), 0);
    assert_int_equal(sslq_bufq_append(&q, in, 250), 0);
    sslq_bufq_vec(&q, 200, v, 8, NULL);
    p = v[0].iov_base;
    sslq_bufq_release(&q, 150);
    assert_int_equal(q.start, 150);
    assert_int_equal(q.head_offset, 100); /* the first chunk went */
    assert_int_equal(sslq_bufq_append(&q, in + 250, 150), 0);
    /* Bytes already handed out did not move. */
    sslq_bufq_vec(&q, 200, v, 8, NULL);
    assert_ptr_equal(v[0].iov_base, p);
    assert_memory_equal(p, in + 200, 50);
    sslq_bufq_release(&q, 10000); /* clamped to end */
    assert_int_equal(q.start, 400);
    assert_int_equal(sslq_bufq_len(&q), 0);
    assert_null(q.head);
    /* Appending after a full release continues at the same offset. */
    assert_int_equal(sslq_bufq_append(&q, in, 10), 0);
    assert_int_equal(q.start, 400);
    assert_int_equal(q.end, 410);
    sslq_bufq_free(&q);
}

static void test_random_appends_and_releases_match_a_flat_model(void **state)
{
    enum { TOTAL = 200000 };
    sslq_bufq q;
    uint8_t *model = malloc(TOTAL), buf[4096];
    uint64_t written = 0, released = 0;

    srand(7);
    fill(model, TOTAL, 0);
    sslq_bufq_init(&q, 333, 0);
    while (released < TOTAL) {
        if (written < TOTAL && rand() % 2) {
            size_t n = (size_t)rand() % 3000;
            if (n > TOTAL - written)
                n = TOTAL - written;
            assert_int_equal(sslq_bufq_append(&q, model + written, n), 0);
            written += n;
        } else {
            size_t n = sslq_bufq_read(&q, buf, (size_t)rand() % sizeof(buf));
            assert_memory_equal(buf, model + released, n);
            released += n;
        }
        assert_int_equal(sslq_bufq_len(&q), written - released);
    }
    sslq_bufq_free(&q);
    free(model);
}

/* A sender asks for later and later offsets (the cursor's case), now and
 * then an earlier one, while acknowledgements release the front: every
 * vector must still match the model, including after the chunk the
 * cursor points into has been freed. */
static void test_vec_at_moving_offsets_matches_a_flat_model(void **state)
{
    enum { TOTAL = 100000 };
    sslq_bufq q;
    uint8_t *model = malloc(TOTAL);
    uint64_t written = 0, released = 0, sent = 0;
    struct iovec v[4];

    srand(11);
    fill(model, TOTAL, 0);
    sslq_bufq_init(&q, 257, 0);
    while (released < TOTAL) {
        int op = rand() % 4;

        if (op == 0 && written < TOTAL) {
            size_t n = (size_t)rand() % 2000;
            if (n > TOTAL - written)
                n = TOTAL - written;
            assert_int_equal(sslq_bufq_append(&q, model + written, n), 0);
            written += n;
        } else if (op == 1 && sent < written) {
            uint64_t from = sent;
            size_t nv, total, i, sum = 0;

            if (rand() % 8 == 0 && sent > released) /* a retransmission */
                from = released + (uint64_t)rand() % (sent - released);
            nv = sslq_bufq_vec(&q, from, v, 4, &total);
            assert_true(nv > 0);
            for (i = 0; i < nv; i++) {
                assert_memory_equal(v[i].iov_base, model + from + sum,
                                    v[i].iov_len);
                sum += v[i].iov_len;
            }
            assert_int_equal(sum, total);
            if (from == sent)
                sent += (uint64_t)rand() % (total + 1);
        } else if (op == 2 && released < sent) {
            released += 1 + (uint64_t)rand() % (sent - released);
            sslq_bufq_release(&q, released);
        } else if (written == TOTAL && sent == TOTAL) {
            released = TOTAL;
            sslq_bufq_release(&q, released);
        } else if (written == TOTAL) {
            sent = TOTAL;
        }
        assert_int_equal(sslq_bufq_len(&q), written - released);
    }
    sslq_bufq_free(&q);
    free(model);
}

static void test_peek_does_not_consume(void **state)
{
    sslq_bufq q;
    uint8_t out[8];

    sslq_bufq_init(&q, 4, 0);
    assert_int_equal(sslq_bufq_append(&q, (const uint8_t *)"abcdefg", 7), 0);
    assert_int_equal(sslq_bufq_peek(&q, out, 8), 7);
    assert_memory_equal(out, "abcdefg", 7);
    assert_int_equal(sslq_bufq_len(&q), 7);
    sslq_bufq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_read_round_trip_across_chunks),
        cmocka_unit_test(test_vec_from_offset_covers_exactly_the_rest),
        cmocka_unit_test(test_release_frees_whole_chunks_and_keeps_pointers_stable),
        cmocka_unit_test(test_random_appends_and_releases_match_a_flat_model),
        cmocka_unit_test(test_vec_at_moving_offsets_matches_a_flat_model),
        cmocka_unit_test(test_peek_does_not_consume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
