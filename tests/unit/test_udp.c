/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "error.h"
#include "udp.h"

#define WAIT_MS 5000 /* generous: only a broken test ever waits this long */

/* ---- resources -------------------------------------------------------- */

/* Everything a test makes is registered here and released by teardown(), so
 * that a failing assertion leaks nothing and no test repeats cleanup code. */
static struct {
    sslq_udp *udp[16];
    size_t nudp;
    BIO *bio[4];
    size_t nbio;
    BIO_METHOD *meth;
    void *mem[512];
    size_t nmem;
} res;

static sslq_udp *keep_udp(sslq_udp *u)
{
    assert_true(res.nudp < sizeof(res.udp) / sizeof(res.udp[0]));
    res.udp[res.nudp++] = u;
    return u;
}

static BIO *keep_bio(BIO *b)
{
    assert_non_null(b);
    assert_true(res.nbio < sizeof(res.bio) / sizeof(res.bio[0]));
    res.bio[res.nbio++] = b;
    return b;
}

static void *keep_mem(size_t len)
{
    void *p = malloc(len);

    assert_non_null(p);
    assert_true(res.nmem < sizeof(res.mem) / sizeof(res.mem[0]));
    res.mem[res.nmem++] = p;
    return p;
}

/* Frees |u| now (to check what outlives it) rather than at teardown. */
static void release_udp(sslq_udp *u)
{
    for (size_t i = 0; i < res.nudp; i++)
        if (res.udp[i] == u)
            res.udp[i] = NULL;
    sslq_udp_free(u);
}

static int teardown(void **state)
{
    /* endpoints before the BIOs they use */
    for (size_t i = 0; i < res.nudp; i++)
        sslq_udp_free(res.udp[i]);
    for (size_t i = 0; i < res.nbio; i++)
        BIO_free(res.bio[i]);
    BIO_meth_free(res.meth);
    for (size_t i = 0; i < res.nmem; i++)
        free(res.mem[i]);
    memset(&res, 0, sizeof(res));
    ERR_clear_error();
    return 0;
}

/* ---- sockets and addresses -------------------------------------------- */

static socklen_t make_addr(struct sockaddr_storage *ss, int family,
                           const char *ip, uint16_t port)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
    return sizeof(*sin6);
}

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* "ip:port" of |ss| for assertions that print what they compare. */
static const char *addr_str(const struct sockaddr_storage *ss, char *buf,
                            size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip,
                  sizeof(ip));
    else if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip,
                  sizeof(ip));
    snprintf(buf, len, "%s:%u", ip, addr_port(ss));
    return buf;
}

static void assert_addr(const struct sockaddr_storage *got, socklen_t gotlen,
                        const char *ip, uint16_t port)
{
    char buf[80], want[80];

    assert_true(gotlen > 0);
    snprintf(want, sizeof(want), "%s:%u", ip, port);
    assert_string_equal(addr_str(got, buf, sizeof(buf)), want);
}

/* A UDP socket bound to |ip| port 0; -1 when the family is unusable. */
static int bound_socket(int family, const char *ip, int v6only)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, family, ip, 0);
    int fd = socket(family, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static uint16_t fd_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    return addr_port(&ss);
}

/* An endpoint owning |fd|. */
static sslq_udp *udp_wrap(int fd, unsigned flags)
{
    sslq_udp *u = NULL;
    int rc = sslq_udp_new_fd(&u, fd, flags | SSLQ_UDP_OWN_FD);

    if (rc != 0)
        close(fd);
    assert_int_equal(rc, 0);
    return keep_udp(u);
}

static sslq_udp *udp_bio(BIO *bio, unsigned flags)
{
    sslq_udp *u = NULL;

    assert_int_equal(sslq_udp_new_bio(&u, bio, flags), 0);
    return keep_udp(u);
}

/* An endpoint on a new socket bound to |ip|; an IPv6 wildcard is dual
 * stack, any other IPv6 address v6-only. */
static sslq_udp *udp_on(int family, const char *ip, unsigned flags)
{
    int fd = bound_socket(family, ip, strcmp(ip, "::") != 0);

    assert_true(fd >= 0);
    return udp_wrap(fd, flags);
}

static int have_ipv6_loopback(void)
{
    int fd = bound_socket(AF_INET6, "::1", 1);

    if (fd < 0) {
        print_message("no usable ::1 on this host; IPv6 case skipped\n");
        return 0;
    }
    close(fd);
    return 1;
}

/* ---- buffers ---------------------------------------------------------- */

/* Each buffer its own allocation of exactly |cap| bytes, so that ASan sees
 * any byte written past it. */
static void bufs_alloc(sslq_dgram *msgs, size_t n, size_t cap)
{
    memset(msgs, 0, n * sizeof(*msgs));
    for (size_t i = 0; i < n; i++) {
        msgs[i].data = keep_mem(cap);
        msgs[i].cap = cap;
    }
}

static void fill(uint8_t *p, size_t len, unsigned tag)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(tag * 31u + i * 7u);
}

static int filled_with(const uint8_t *p, size_t len, unsigned tag)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != (uint8_t)(tag * 31u + i * 7u))
            return 0;
    return 1;
}

/* Receives until |want| entries are filled, waiting on the descriptor
 * (never sleeping); fails if nothing comes within WAIT_MS. */
static void recv_exactly(sslq_udp *u, sslq_dgram *msgs, size_t want)
{
    size_t got = 0;

    while (got < want) {
        size_t k = 0;
        struct pollfd p = {.fd = sslq_udp_get_fd(u), .events = POLLIN};

        assert_int_equal(sslq_udp_recv(u, msgs + got, want - got, &k), 0);
        got += k;
        if (got < want && k == 0)
            assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    }
}

static void send_all(sslq_udp *u, sslq_dgram *msgs, size_t n)
{
    size_t sent = 0;

    assert_int_equal(sslq_udp_send(u, msgs, n, &sent), 0);
    assert_int_equal(sent, n);
}

/* ---- socket fast path ------------------------------------------------- */

static void batch_roundtrip(int family, const char *ip)
{
    enum { N = 64 };
    sslq_udp *tx = udp_on(family, ip, 0), *rx = udp_on(family, ip, 0);
    uint16_t rxport = fd_port(sslq_udp_get_fd(rx));
    uint16_t txport = fd_port(sslq_udp_get_fd(tx));
    sslq_dgram out[N], in[N];
    int seen[N] = {0};

    bufs_alloc(out, N, 1400);
    bufs_alloc(in, N, 1500);
    for (unsigned i = 0; i < N; i++) {
        out[i].len = 1 + (i * 211u) % 1400; /* 1 .. 1400 bytes */
        fill(out[i].data, out[i].len, i);
        out[i].data[0] = (uint8_t)i;
        out[i].peerlen = make_addr(&out[i].peer, family, ip, rxport);
    }
    send_all(tx, out, N);
    recv_exactly(rx, in, N);
    for (unsigned i = 0; i < N; i++) {
        unsigned tag = in[i].data[0];

        assert_true(tag < N);
        assert_false(seen[tag]);
        seen[tag] = 1;
        assert_int_equal(in[i].len, out[tag].len);
        assert_int_equal(in[i].segsize, 0);
        assert_memory_equal(in[i].data, out[tag].data, in[i].len);
        assert_addr(&in[i].peer, in[i].peerlen, ip, txport);
        if (sslq_udp_features(rx) & SSLQ_UDP_F_PKTINFO)
            assert_addr(&in[i].local, in[i].locallen, ip, rxport);
    }
}

static void test_batch_of_64_varied_sizes_arrives_byte_exact_ipv4(void **state)
{
    batch_roundtrip(AF_INET, "127.0.0.1");
}

static void test_batch_of_64_varied_sizes_arrives_byte_exact_ipv6(void **state)
{
    if (!have_ipv6_loopback())
        skip();
    batch_roundtrip(AF_INET6, "::1");
}

static void test_socket_endpoint_reports_fast_path_features(void **state)
{
    sslq_udp *u = udp_on(AF_INET, "127.0.0.1", 0);
    unsigned f = sslq_udp_features(u);
    int fd = sslq_udp_get_fd(u);

    print_message("features: gso=%d gro=%d ecn=%d pktinfo=%d mmsg=%d\n",
                  !!(f & SSLQ_UDP_F_GSO), !!(f & SSLQ_UDP_F_GRO),
                  !!(f & SSLQ_UDP_F_ECN), !!(f & SSLQ_UDP_F_PKTINFO),
                  !!(f & SSLQ_UDP_F_MMSG));
    /* Every Linux this project targets has these. */
    assert_true(f & SSLQ_UDP_F_MMSG);
    assert_true(f & SSLQ_UDP_F_ECN);
    assert_true(f & SSLQ_UDP_F_PKTINFO);
    /* GRO only on request. */
    assert_false(f & SSLQ_UDP_F_GRO);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

static void test_recv_on_empty_socket_returns_zero_datagrams(void **state)
{
    sslq_udp *u = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_dgram in[4];
    size_t k = 99;

    bufs_alloc(in, 4, 1500);
    assert_int_equal(sslq_udp_recv(u, in, 4, &k), 0);
    assert_int_equal(k, 0);
    /* Again: "empty" is a state, not an error that gets used up. */
    assert_int_equal(sslq_udp_recv(u, in, 4, &k), 0);
    assert_int_equal(k, 0);
}

/* One message of ten segments: 9 x 1200 bytes and a 700-byte tail. */
#define SEG 1200
#define SEGS 10
#define TRAIN_LEN (SEG * (SEGS - 1) + 700)

static void send_train(sslq_udp *tx, uint16_t rxport, uint8_t *buf)
{
    sslq_dgram m;

    memset(&m, 0, sizeof(m));
    fill(buf, TRAIN_LEN, 5);
    m.data = buf;
    m.len = TRAIN_LEN;
    m.segsize = SEG;
    m.peerlen = make_addr(&m.peer, AF_INET, "127.0.0.1", rxport);
    send_all(tx, &m, 1);
}

/* Receives the train as separate datagrams and checks each one. */
static void expect_train_as_datagrams(sslq_udp *rx, const uint8_t *sent)
{
    sslq_dgram in[SEGS];

    bufs_alloc(in, SEGS, 1500);
    recv_exactly(rx, in, SEGS);
    for (size_t i = 0; i < SEGS; i++) {
        assert_int_equal(in[i].len, i < SEGS - 1 ? SEG : 700);
        assert_int_equal(in[i].segsize, 0);
        assert_memory_equal(in[i].data, sent + i * SEG, in[i].len);
    }
}

static void test_gso_train_of_10_arrives_as_10_datagrams(void **state)
{
    sslq_udp *tx = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_udp *rx = udp_on(AF_INET, "127.0.0.1", 0);
    uint8_t *buf = keep_mem(TRAIN_LEN);
    sslq_udp_stats st;

    if (!(sslq_udp_features(tx) & SSLQ_UDP_F_GSO))
        print_message("kernel without UDP_SEGMENT: the split path runs\n");
    send_train(tx, fd_port(sslq_udp_get_fd(rx)), buf);
    expect_train_as_datagrams(rx, buf);
    sslq_udp_get_stats(tx, &st);
    assert_int_equal(st.tx_dgrams, SEGS);
    assert_int_equal(st.tx_gso_refused, 0);
}

static void test_train_is_split_transparently_when_gso_is_off(void **state)
{
    sslq_udp *tx = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_udp *rx = udp_on(AF_INET, "127.0.0.1", 0);
    uint8_t *buf = keep_mem(TRAIN_LEN);
    sslq_udp_stats st;

    sslq_udp_disable(tx, SSLQ_UDP_F_GSO);
    assert_false(sslq_udp_features(tx) & SSLQ_UDP_F_GSO);
    send_train(tx, fd_port(sslq_udp_get_fd(rx)), buf);
    expect_train_as_datagrams(rx, buf);
    sslq_udp_get_stats(tx, &st);
    assert_int_equal(st.tx_dgrams, SEGS);
}

static void test_refused_gso_train_is_sent_split(void **state)
{
    sslq_udp *tx = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_udp *rx = udp_on(AF_INET, "127.0.0.1", 0);
    uint8_t *buf = keep_mem(TRAIN_LEN);
    sslq_udp_stats st;
    int one = 1;

    if (!(sslq_udp_features(tx) & SSLQ_UDP_F_GSO))
        skip();
    /* Linux refuses GSO (EINVAL) on a socket that skips UDP checksums, and
     * only GSO: the same datagrams go one by one. */
    assert_int_equal(setsockopt(sslq_udp_get_fd(tx), SOL_SOCKET, SO_NO_CHECK,
                                &one, sizeof(one)),
                     0);
    send_train(tx, fd_port(sslq_udp_get_fd(rx)), buf);
    expect_train_as_datagrams(rx, buf);
    sslq_udp_get_stats(tx, &st);
    assert_int_equal(st.tx_gso_refused, 1);
    assert_int_equal(st.tx_dgrams, SEGS);
    assert_int_equal(st.tx_dropped, 0);
    /* not a verdict on the device: the next call tries GSO again */
    assert_true(sslq_udp_features(tx) & SSLQ_UDP_F_GSO);
}

static void
test_gso_train_to_gro_receiver_is_reported_with_segsize(void **state)
{
    sslq_udp *tx = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_udp *rx = udp_on(AF_INET, "127.0.0.1", SSLQ_UDP_GRO);
    uint8_t *buf = keep_mem(TRAIN_LEN), *got = keep_mem(TRAIN_LEN);
    sslq_dgram in[SEGS];
    size_t total = 0, entries = 0, coalesced = 0;

    if (!(sslq_udp_features(rx) & SSLQ_UDP_F_GRO)) {
        print_message("kernel without UDP_GRO; case skipped\n");
        skip();
    }
    bufs_alloc(in, SEGS, SSLQ_UDP_GRO_BUFLEN);
    send_train(tx, fd_port(sslq_udp_get_fd(rx)), buf);
    /* However the kernel coalesced them, the segments come back in order
     * and every segment but the last is segsize bytes long. */
    while (total < TRAIN_LEN) {
        size_t k = 0;
        struct pollfd p = {.fd = sslq_udp_get_fd(rx), .events = POLLIN};

        assert_int_equal(sslq_udp_recv(rx, in, SEGS, &k), 0);
        if (k == 0)
            assert_int_equal(poll(&p, 1, WAIT_MS), 1);
        for (size_t i = 0; i < k; i++) {
            assert_true(total + in[i].len <= TRAIN_LEN);
            if (in[i].segsize != 0) {
                assert_int_equal(in[i].segsize, SEG);
                coalesced++;
            } else {
                assert_true(in[i].len <= SEG);
            }
            memcpy(got + total, in[i].data, in[i].len);
            total += in[i].len;
            entries++;
        }
    }
    assert_memory_equal(got, buf, TRAIN_LEN);
    print_message("10 segments arrived in %zu buffers, %zu coalesced\n",
                  entries, coalesced);
    /* A GSO train crosses loopback unsegmented, so a GRO socket gets it in
     * one piece. */
    if (sslq_udp_features(tx) & SSLQ_UDP_F_GSO) {
        assert_int_equal(entries, 1);
        assert_int_equal(coalesced, 1);
    }
}

static void test_recv_refuses_small_buffers_when_gro_is_on(void **state)
{
    sslq_udp *rx = udp_on(AF_INET, "127.0.0.1", SSLQ_UDP_GRO);
    sslq_dgram in[1];
    size_t k = 7;

    if (!(sslq_udp_features(rx) & SSLQ_UDP_F_GRO)) {
        skip();
    }
    bufs_alloc(in, 1, 1500);
    assert_int_equal(sslq_udp_recv(rx, in, 1, &k), SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(k, 0);
}

static void ecn_roundtrip(int tx_family, const char *tx_bind, int rx_family,
                          const char *rx_bind, const char *dst_ip)
{
    sslq_udp *tx = udp_on(tx_family, tx_bind, 0);
    sslq_udp *rx = udp_on(rx_family, rx_bind, 0);
    int rxfd = sslq_udp_get_fd(rx);
    sslq_dgram out[2], in[2];

    assert_true(sslq_udp_features(tx) & SSLQ_UDP_F_ECN);
    assert_true(sslq_udp_features(rx) & SSLQ_UDP_F_ECN);
    bufs_alloc(out, 2, 100);
    bufs_alloc(in, 2, 1500);
    for (int i = 0; i < 2; i++) {
        out[i].len = 100;
        fill(out[i].data, 100, (unsigned)i);
        out[i].peerlen =
            make_addr(&out[i].peer, tx_family, dst_ip, fd_port(rxfd));
    }
    out[0].ecn = SSLQ_ECN_ECT0;
    out[1].ecn = SSLQ_ECN_NOT_ECT;
    send_all(tx, out, 2);
    recv_exactly(rx, in, 2);
    assert_int_equal(in[0].ecn, SSLQ_ECN_ECT0);
    assert_int_equal(in[1].ecn, SSLQ_ECN_NOT_ECT);
}

static void test_ecn_ect0_sent_arrives_as_ect0_ipv4(void **state)
{
    ecn_roundtrip(AF_INET, "127.0.0.1", AF_INET, "127.0.0.1", "127.0.0.1");
}

static void test_ecn_ect0_sent_arrives_as_ect0_ipv6(void **state)
{
    if (!have_ipv6_loopback())
        skip();
    ecn_roundtrip(AF_INET6, "::1", AF_INET6, "::1", "::1");
}

static void test_ecn_ect0_crosses_dual_stack_sockets_both_ways(void **state)
{
    if (!have_ipv6_loopback())
        skip();
    /* IPv4 sender to a dual-stack receiver (reads IP_TOS on a v6 socket) */
    ecn_roundtrip(AF_INET, "127.0.0.1", AF_INET6, "::", "127.0.0.1");
    /* dual-stack sender to a v4-mapped peer (sets IP_TOS on a v6 socket) */
    ecn_roundtrip(AF_INET6, "::", AF_INET, "127.0.0.1", "::ffff:127.0.0.1");
}

/* One datagram from |tx| to |dst_ip|; returns what |rx| saw. */
static void one_datagram(sslq_udp *tx, sslq_udp *rx, int dst_family,
                         const char *dst_ip, const char *src_ip, sslq_dgram *in)
{
    sslq_dgram m;
    uint8_t payload[32];

    memset(&m, 0, sizeof(m));
    fill(payload, sizeof(payload), 9);
    m.data = payload;
    m.len = sizeof(payload);
    m.peerlen =
        make_addr(&m.peer, dst_family, dst_ip, fd_port(sslq_udp_get_fd(rx)));
    if (src_ip != NULL)
        m.locallen = make_addr(&m.local, dst_family, src_ip, 0);
    send_all(tx, &m, 1);
    recv_exactly(rx, in, 1);
    assert_int_equal(in->len, sizeof(payload));
    assert_memory_equal(in->data, payload, sizeof(payload));
}

static void test_pktinfo_reports_destination_address_ipv4(void **state)
{
    sslq_udp *tx = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_udp *rx = udp_on(AF_INET, "0.0.0.0", 0);
    sslq_dgram in[1];

    bufs_alloc(in, 1, 1500);
    one_datagram(tx, rx, AF_INET, "127.0.0.5", NULL, in);
    /* The wildcard socket learns which of its addresses was used. */
    assert_addr(&in[0].local, in[0].locallen, "127.0.0.5",
                fd_port(sslq_udp_get_fd(rx)));
    assert_addr(&in[0].peer, in[0].peerlen, "127.0.0.1",
                fd_port(sslq_udp_get_fd(tx)));
}

static void test_pktinfo_reports_destination_address_ipv6(void **state)
{
    sslq_udp *tx, *rx;
    sslq_dgram in[1];

    if (!have_ipv6_loopback())
        skip();
    tx = udp_on(AF_INET6, "::1", 0);
    rx = udp_on(AF_INET6, "::", 0);
    bufs_alloc(in, 1, 1500);
    one_datagram(tx, rx, AF_INET6, "::1", NULL, in);
    assert_addr(&in[0].local, in[0].locallen, "::1",
                fd_port(sslq_udp_get_fd(rx)));
    assert_addr(&in[0].peer, in[0].peerlen, "::1",
                fd_port(sslq_udp_get_fd(tx)));
}

static void test_dual_stack_socket_reports_ipv4_as_mapped(void **state)
{
    sslq_udp *tx, *rx;
    sslq_dgram in[1];
    int fd;

    if (!have_ipv6_loopback())
        skip();
    tx = udp_on(AF_INET, "127.0.0.1", 0);
    fd = bound_socket(AF_INET6, "::", 0);
    assert_true(fd >= 0);
    rx = udp_wrap(fd, 0);
    bufs_alloc(in, 1, 1500);
    one_datagram(tx, rx, AF_INET, "127.0.0.1", NULL, in);
    assert_addr(&in[0].peer, in[0].peerlen, "::ffff:127.0.0.1",
                fd_port(sslq_udp_get_fd(tx)));
    assert_addr(&in[0].local, in[0].locallen, "::ffff:127.0.0.1", fd_port(fd));
}

static void test_local_address_on_send_chooses_the_source(void **state)
{
    sslq_udp *tx = udp_on(AF_INET, "0.0.0.0", 0);
    sslq_udp *rx = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_dgram in[1];

    bufs_alloc(in, 1, 1500);
    /* All of 127/8 is local: a wildcard socket may send from any of it. */
    one_datagram(tx, rx, AF_INET, "127.0.0.1", "127.0.0.2", in);
    assert_addr(&in[0].peer, in[0].peerlen, "127.0.0.2",
                fd_port(sslq_udp_get_fd(tx)));
    one_datagram(tx, rx, AF_INET, "127.0.0.1", "127.0.0.3", in);
    assert_addr(&in[0].peer, in[0].peerlen, "127.0.0.3",
                fd_port(sslq_udp_get_fd(tx)));
}

static void test_local_address_on_dual_stack_send_to_mapped_peer(void **state)
{
    sslq_udp *tx, *rx;
    sslq_dgram in[1];
    int fd;

    if (!have_ipv6_loopback())
        skip();
    fd = bound_socket(AF_INET6, "::", 0);
    assert_true(fd >= 0);
    tx = udp_wrap(fd, 0);
    rx = udp_on(AF_INET, "127.0.0.1", 0);
    bufs_alloc(in, 1, 1500);
    one_datagram(tx, rx, AF_INET6, "::ffff:127.0.0.1", "::ffff:127.0.0.4", in);
    assert_addr(&in[0].peer, in[0].peerlen, "127.0.0.4", fd_port(fd));
}

static void test_datagram_larger_than_buffer_is_dropped(void **state)
{
    sslq_udp *tx = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_udp *rx = udp_on(AF_INET, "127.0.0.1", 0);
    uint16_t port = fd_port(sslq_udp_get_fd(rx));
    sslq_dgram out[3], in[3];
    uint8_t *bufs[3];
    sslq_udp_stats st;
    size_t k = 0;
    struct pollfd p = {.fd = sslq_udp_get_fd(rx), .events = POLLIN};

    bufs_alloc(out, 3, 2000);
    bufs_alloc(in, 3, 1000);
    for (int i = 0; i < 3; i++) {
        bufs[i] = in[i].data;
        out[i].len = i == 0 ? 2000 : 100 + (size_t)i;
        fill(out[i].data, out[i].len, (unsigned)i);
        out[i].peerlen = make_addr(&out[i].peer, AF_INET, "127.0.0.1", port);
    }
    send_all(tx, out, 3);
    /* All three are queued once the socket polls readable on loopback; a
     * short first read is allowed, so collect until both small ones came. */
    while (k < 2) {
        size_t got = 0;

        assert_int_equal(poll(&p, 1, WAIT_MS), 1);
        assert_int_equal(sslq_udp_recv(rx, in + k, 3 - k, &got), 0);
        k += got;
    }
    assert_int_equal(in[0].len, 101);
    assert_true(filled_with(in[0].data, 101, 1));
    assert_int_equal(in[1].len, 102);
    assert_true(filled_with(in[1].data, 102, 2));
    /* The buffers were permuted, not lost or duplicated. */
    for (int i = 0; i < 3; i++) {
        int found = 0;

        for (int j = 0; j < 3; j++)
            found += in[j].data == bufs[i];
        assert_int_equal(found, 1);
        assert_int_equal(in[i].cap, 1000);
    }
    sslq_udp_get_stats(rx, &st);
    assert_int_equal(st.rx_truncated, 1);
    assert_int_equal(st.rx_dgrams, 2);
}

static void test_icmp_port_unreachable_does_not_fail_the_port(void **state)
{
    sslq_udp *u = udp_on(AF_INET, "127.0.0.1", 0), *peer;
    int fd = sslq_udp_get_fd(u), closed = bound_socket(AF_INET, "127.0.0.1", 0);
    struct sockaddr_storage ss;
    socklen_t len;
    sslq_dgram m, in[2];
    uint8_t payload[16] = {0};
    size_t k = 9;
    sslq_udp_stats st;
    struct pollfd p = {.fd = fd, .events = POLLIN};

    /* A port nobody listens on; connecting makes Linux report the ICMP
     * error on the socket (unconnected sockets ignore it). */
    len = make_addr(&ss, AF_INET, "127.0.0.1", fd_port(closed));
    close(closed);
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
    memset(&m, 0, sizeof(m));
    m.data = payload;
    m.len = sizeof(payload);
    send_all(u, &m, 1);
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    assert_true(p.revents & POLLERR);
    /* A send while the error is pending may get the error instead of
     * sending; the layer then sends again, so it still goes. */
    send_all(u, &m, 1);
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    bufs_alloc(in, 2, 1500);
    assert_int_equal(sslq_udp_recv(u, in, 2, &k), 0);
    assert_int_equal(k, 0);
    sslq_udp_get_stats(u, &st);
    assert_true(st.rx_errors >= 1);
    assert_int_equal(st.tx_dropped, 0);

    /* The same endpoint still works once pointed at a live peer. */
    peer = udp_on(AF_INET, "127.0.0.1", 0);
    len = make_addr(&ss, AF_INET, "127.0.0.1", fd_port(sslq_udp_get_fd(peer)));
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
    send_all(u, &m, 1);
    recv_exactly(peer, in, 1);
    assert_int_equal(in[0].len, sizeof(payload));
}

static void test_bad_arguments_are_refused(void **state)
{
    sslq_udp *u = NULL;
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    sslq_dgram m;
    size_t k = 5;

    assert_int_equal(sslq_udp_new_fd(&u, -1, 0), SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_udp_new_fd(NULL, 0, 0), SSLQ_ERR_INVALID_ARGUMENT);
    assert_true(tcp >= 0);
    assert_int_equal(sslq_udp_new_fd(&u, tcp, 0), SSLQ_ERR_INVALID_ARGUMENT);
    assert_true(fcntl(tcp, F_GETFD) >= 0); /* not closed on failure */
    close(tcp);
    assert_int_equal(sslq_udp_new_fd(&u, 0, 0x80), SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_udp_new_bio(&u, NULL, 0), SSLQ_ERR_INVALID_ARGUMENT);

    u = udp_on(AF_INET, "127.0.0.1", 0);
    memset(&m, 0, sizeof(m));
    m.len = 10; /* no buffer */
    assert_int_equal(sslq_udp_send(u, &m, 1, &k), SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(k, 0);
    m.data = (uint8_t *)"0123456789";
    m.peerlen = 3; /* no address is 3 bytes long */
    m.peer.ss_family = AF_INET;
    assert_int_equal(sslq_udp_send(u, &m, 1, &k), SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_udp_recv(u, NULL, 1, &k), SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_udp_recv(u, &m, 1, NULL), SSLQ_ERR_INVALID_ARGUMENT);
    /* An unconnected socket needs a destination. */
    m.peerlen = 0;
    assert_int_equal(sslq_udp_send(u, &m, 1, &k), SSLQ_ERR_INVALID_ARGUMENT);
    sslq_udp_free(NULL);
}

/* ---- BIO paths -------------------------------------------------------- */

static void test_socket_dgram_bio_takes_the_fast_path(void **state)
{
    int fd = bound_socket(AF_INET, "127.0.0.1", 1), bfd = -1;
    BIO *bio = keep_bio(BIO_new_dgram(fd, BIO_CLOSE));
    sslq_udp *u = udp_bio(bio, 0), *rx = udp_on(AF_INET, "127.0.0.1", 0);
    sslq_dgram m, in[1];
    uint8_t payload[300];

    assert_int_equal(sslq_udp_get_fd(u), fd);
    assert_true(sslq_udp_features(u) & SSLQ_UDP_F_MMSG);
    assert_true(sslq_udp_features(u) & SSLQ_UDP_F_PKTINFO);
    memset(&m, 0, sizeof(m));
    fill(payload, sizeof(payload), 3);
    m.data = payload;
    m.len = sizeof(payload);
    m.ecn = SSLQ_ECN_ECT0;
    m.peerlen =
        make_addr(&m.peer, AF_INET, "127.0.0.1", fd_port(sslq_udp_get_fd(rx)));
    send_all(u, &m, 1);
    bufs_alloc(in, 1, 1500);
    recv_exactly(rx, in, 1);
    assert_memory_equal(in[0].data, payload, sizeof(payload));
    assert_int_equal(in[0].ecn, SSLQ_ECN_ECT0);
    assert_addr(&in[0].peer, in[0].peerlen, "127.0.0.1", fd_port(fd));
    release_udp(u);
    /* Neither the descriptor nor the BIO belonged to the endpoint. */
    assert_true(fcntl(fd, F_GETFD) >= 0);
    assert_int_equal(BIO_get_fd(bio, &bfd), fd);
    assert_int_equal(bfd, fd);
}

/*
 * memq: a datagram BIO that is not a socket, as an application might write
 * one.  What is written is queued with the destination set by
 * BIO_CTRL_DGRAM_SET_PEER; a read dequeues one datagram (cut to the buffer,
 * as a socket read would) and makes its address the one GET_PEER reports.
 */
#define MEMQ_SLOTS 8
#define MEMQ_MAX 4096

typedef struct memq_slot {
    uint8_t data[MEMQ_MAX];
    size_t len;
    struct sockaddr_storage addr;
} memq_slot;

typedef struct memq {
    memq_slot slot[MEMQ_SLOTS];
    size_t head, count, limit;
    struct sockaddr_storage set_peer, got_peer;
} memq;

static void bioaddr_get(const BIO_ADDR *a, struct sockaddr_storage *ss)
{
    size_t len = 0;

    memset(ss, 0, sizeof(*ss));
    if (BIO_ADDR_family(a) == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        sin->sin_family = AF_INET;
        sin->sin_port = BIO_ADDR_rawport(a);
        assert_int_equal(BIO_ADDR_rawaddress(a, NULL, &len), 1);
        assert_int_equal(len, sizeof(sin->sin_addr));
        BIO_ADDR_rawaddress(a, &sin->sin_addr, &len);
    } else if (BIO_ADDR_family(a) == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = BIO_ADDR_rawport(a);
        assert_int_equal(BIO_ADDR_rawaddress(a, NULL, &len), 1);
        assert_int_equal(len, sizeof(sin6->sin6_addr));
        BIO_ADDR_rawaddress(a, &sin6->sin6_addr, &len);
    }
}

static void bioaddr_set(BIO_ADDR *a, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

        BIO_ADDR_rawmake(a, AF_INET, &sin->sin_addr, sizeof(sin->sin_addr),
                         sin->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

        BIO_ADDR_rawmake(a, AF_INET6, &sin6->sin6_addr, sizeof(sin6->sin6_addr),
                         sin6->sin6_port);
    } else {
        BIO_ADDR_clear(a);
    }
}

static int memq_write(BIO *b, const char *in, int inl)
{
    memq *q = BIO_get_data(b);
    memq_slot *s;

    BIO_clear_retry_flags(b);
    if (inl <= 0 || inl > MEMQ_MAX)
        return -1;
    if (q->count == q->limit) {
        BIO_set_retry_write(b);
        return -1;
    }
    s = &q->slot[(q->head + q->count++) % MEMQ_SLOTS];
    memcpy(s->data, in, (size_t)inl);
    s->len = (size_t)inl;
    s->addr = q->set_peer;
    return inl;
}

static int memq_read(BIO *b, char *out, int outl)
{
    memq *q = BIO_get_data(b);
    memq_slot *s;
    size_t n;

    BIO_clear_retry_flags(b);
    if (q->count == 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    s = &q->slot[q->head];
    q->head = (q->head + 1) % MEMQ_SLOTS;
    q->count--;
    n = s->len < (size_t)outl ? s->len : (size_t)outl;
    memcpy(out, s->data, n);
    q->got_peer = s->addr;
    return (int)n;
}

static long memq_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    memq *q = BIO_get_data(b);

    switch (cmd) {
    case BIO_CTRL_DGRAM_SET_PEER:
        bioaddr_get(ptr, &q->set_peer);
        return 1;
    case BIO_CTRL_DGRAM_GET_PEER:
        bioaddr_set(ptr, &q->got_peer);
        return 1;
    case BIO_CTRL_FLUSH:
        return 1;
    default:
        return 0;
    }
}

static int memq_create(BIO *b)
{
    memq *q = calloc(1, sizeof(*q));

    if (q == NULL)
        return 0;
    q->limit = MEMQ_SLOTS;
    BIO_set_data(b, q);
    BIO_set_init(b, 1);
    return 1;
}

static int memq_destroy(BIO *b)
{
    free(BIO_get_data(b));
    BIO_set_data(b, NULL);
    return 1;
}

static BIO *memq_new(void)
{
    if (res.meth == NULL) {
        res.meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                "memq datagram queue");
        assert_non_null(res.meth);
        BIO_meth_set_write(res.meth, memq_write);
        BIO_meth_set_read(res.meth, memq_read);
        BIO_meth_set_ctrl(res.meth, memq_ctrl);
        BIO_meth_set_create(res.meth, memq_create);
        BIO_meth_set_destroy(res.meth, memq_destroy);
    }
    return keep_bio(BIO_new(res.meth));
}

static void test_custom_datagram_bio_roundtrips_data_and_peer(void **state)
{
    sslq_udp *u = udp_bio(memq_new(), SSLQ_UDP_GRO);
    sslq_dgram out[3], in[6];
    size_t k = 0;

    assert_int_equal(sslq_udp_get_fd(u), -1);
    assert_false(sslq_udp_features(u) &
                 (SSLQ_UDP_F_GSO | SSLQ_UDP_F_GRO | SSLQ_UDP_F_ECN));
    bufs_alloc(out, 3, 3000);
    bufs_alloc(in, 6, 1500);
    /* empty queue: nothing, at once */
    assert_int_equal(sslq_udp_recv(u, in, 6, &k), 0);
    assert_int_equal(k, 0);

    out[0].len = 200;
    out[0].peerlen = make_addr(&out[0].peer, AF_INET, "192.0.2.7", 4433);
    out[1].len = 3000; /* three datagrams of 1000 */
    out[1].segsize = 1000;
    out[1].peerlen = make_addr(&out[1].peer, AF_INET6, "2001:db8::9", 443);
    out[2].len = 1400;
    out[2].peerlen = make_addr(&out[2].peer, AF_INET, "192.0.2.8", 1);
    for (int i = 0; i < 3; i++)
        fill(out[i].data, out[i].len, (unsigned)i);
    send_all(u, out, 3);
    assert_int_equal(sslq_udp_recv(u, in, 6, &k), 0);
    assert_int_equal(k, 5);
    assert_int_equal(in[0].len, 200);
    assert_true(filled_with(in[0].data, 200, 0));
    assert_addr(&in[0].peer, in[0].peerlen, "192.0.2.7", 4433);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(in[i].len, 1000);
        assert_memory_equal(in[i].data, out[1].data + (i - 1) * 1000, 1000);
        assert_addr(&in[i].peer, in[i].peerlen, "2001:db8::9", 443);
    }
    assert_int_equal(in[4].len, 1400);
    assert_true(filled_with(in[4].data, 1400, 2));
    assert_addr(&in[4].peer, in[4].peerlen, "192.0.2.8", 1);
    assert_int_equal(in[4].locallen, 0);
    /* The refused BIO_recvmmsg/BIO_sendmmsg (OpenSSL >= 3.2) and the
     * controls left nothing on the caller's error queue. */
    assert_true(ERR_peek_error() == 0);
}

static void test_custom_bio_drops_datagram_larger_than_buffer(void **state)
{
    sslq_udp *u = udp_bio(memq_new(), 0);
    sslq_dgram out[2], in[2];
    sslq_udp_stats st;
    size_t k = 0;

    bufs_alloc(out, 2, 2000);
    bufs_alloc(in, 2, 1000);
    out[0].len = 1001;
    out[1].len = 1000;
    for (int i = 0; i < 2; i++)
        fill(out[i].data, out[i].len, (unsigned)i);
    send_all(u, out, 2);
    assert_int_equal(sslq_udp_recv(u, in, 2, &k), 0);
    assert_int_equal(k, 1);
    assert_int_equal(in[0].len, 1000);
    assert_true(filled_with(in[0].data, 1000, 1));
    sslq_udp_get_stats(u, &st);
    assert_int_equal(st.rx_truncated, 1);
}

static void
test_full_bio_stops_send_and_drops_rest_of_split_message(void **state)
{
    BIO *bio = memq_new();
    memq *q = BIO_get_data(bio);
    sslq_udp *u = udp_bio(bio, 0);
    sslq_dgram out[2], in[MEMQ_SLOTS];
    sslq_udp_stats st;
    size_t k = 0, sent = 9;

    q->limit = 4;
    bufs_alloc(out, 2, 6000);
    bufs_alloc(in, MEMQ_SLOTS, 1500);
    out[0].len = 6000; /* six datagrams, only four fit */
    out[0].segsize = 1000;
    out[1].len = 10;
    fill(out[0].data, 6000, 1);
    fill(out[1].data, 10, 2);
    assert_int_equal(sslq_udp_send(u, out, 2, &sent), 0);
    /* The split message is done with (its last two dropped); the next one
     * waits for room. */
    assert_int_equal(sent, 1);
    sslq_udp_get_stats(u, &st);
    assert_int_equal(st.tx_dgrams, 4);
    assert_int_equal(st.tx_dropped, 2);
    assert_int_equal(out[0].len, 6000); /* the caller's array is untouched */
    assert_int_equal(sslq_udp_recv(u, in, MEMQ_SLOTS, &k), 0);
    assert_int_equal(k, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(in[i].len, 1000);
        assert_memory_equal(in[i].data, out[0].data + i * 1000, 1000);
    }
    assert_int_equal(sslq_udp_send(u, out + 1, 1, &sent), 0);
    assert_int_equal(sent, 1);
    assert_int_equal(sslq_udp_recv(u, in, MEMQ_SLOTS, &k), 0);
    assert_int_equal(k, 1);
    assert_int_equal(in[0].len, 10);
    assert_true(filled_with(in[0].data, 10, 2));
}

#if OPENSSL_VERSION_NUMBER >= 0x30200000L
static void test_dgram_pair_bio_carries_batches_and_addresses(void **state)
{
    BIO *b1 = NULL, *b2 = NULL;
    sslq_udp *u1, *u2;
    sslq_dgram out[4], in[4];
    uint32_t caps =
        BIO_DGRAM_CAP_HANDLES_SRC_ADDR | BIO_DGRAM_CAP_HANDLES_DST_ADDR |
        BIO_DGRAM_CAP_PROVIDES_SRC_ADDR | BIO_DGRAM_CAP_PROVIDES_DST_ADDR;
    sslq_udp_stats st;
    size_t k = 0;

    assert_int_equal(BIO_new_bio_dgram_pair(&b1, 0, &b2, 0), 1);
    keep_bio(b1);
    keep_bio(b2);
    /* Both ends promise to honour addresses, so local addresses work. */
    assert_int_equal(BIO_dgram_set_caps(b1, caps), 1);
    assert_int_equal(BIO_dgram_set_caps(b2, caps), 1);
    u1 = udp_bio(b1, 0);
    u2 = udp_bio(b2, 0);
    assert_int_equal(sslq_udp_get_fd(u1), -1);
    assert_true(sslq_udp_features(u1) & SSLQ_UDP_F_MMSG);
    assert_true(sslq_udp_features(u2) & SSLQ_UDP_F_PKTINFO);

    bufs_alloc(out, 4, 1200);
    bufs_alloc(in, 4, 1500);
    for (int i = 0; i < 4; i++) {
        out[i].len = 100 + (size_t)i * 300;
        fill(out[i].data, out[i].len, (unsigned)i);
        out[i].peerlen = make_addr(&out[i].peer, AF_INET, "192.0.2.1", 443);
        out[i].locallen =
            make_addr(&out[i].local, AF_INET, "198.51.100.2", 5000);
    }
    send_all(u1, out, 4);
    assert_int_equal(sslq_udp_recv(u2, in, 4, &k), 0);
    assert_int_equal(k, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(in[i].len, out[i].len);
        assert_memory_equal(in[i].data, out[i].data, in[i].len);
        /* the sender's source is our peer, its destination our local */
        assert_addr(&in[i].peer, in[i].peerlen, "198.51.100.2", 5000);
        assert_addr(&in[i].local, in[i].locallen, "192.0.2.1", 443);
    }
    /* empty now, and a datagram too large for its buffer is dropped */
    assert_int_equal(sslq_udp_recv(u2, in, 4, &k), 0);
    assert_int_equal(k, 0);
    bufs_alloc(in, 4, 500);
    send_all(u1, out, 4);
    assert_int_equal(sslq_udp_recv(u2, in, 4, &k), 0);
    assert_int_equal(k, 2);
    assert_int_equal(in[0].len, 100);
    assert_int_equal(in[1].len, 400);
    sslq_udp_get_stats(u2, &st);
    assert_int_equal(st.rx_truncated, 2);
}

static void test_dgram_pair_without_address_caps_sends_unaddressed(void **state)
{
    BIO *b1 = NULL, *b2 = NULL;
    sslq_udp *u1, *u2;
    sslq_dgram out[2], in[2];
    size_t k = 0;

    assert_int_equal(BIO_new_bio_dgram_pair(&b1, 0, &b2, 0), 1);
    keep_bio(b1);
    keep_bio(b2);
    u1 = udp_bio(b1, 0);
    u2 = udp_bio(b2, 0);
    assert_false(sslq_udp_features(u1) & SSLQ_UDP_F_PKTINFO);
    bufs_alloc(out, 2, 300);
    bufs_alloc(in, 2, 1500);
    for (int i = 0; i < 2; i++) {
        out[i].len = 300;
        fill(out[i].data, 300, (unsigned)i);
        out[i].peerlen = make_addr(&out[i].peer, AF_INET, "192.0.2.1", 443);
    }
    send_all(u1, out, 2);
    assert_true(ERR_peek_error() == 0); /* refusals stayed internal */
    assert_int_equal(sslq_udp_recv(u2, in, 2, &k), 0);
    assert_int_equal(k, 2);
    for (int i = 0; i < 2; i++) {
        assert_memory_equal(in[i].data, out[i].data, 300);
        assert_int_equal(in[i].locallen, 0);
    }
}
#endif

/* Every test releases what it made in teardown(), even when it fails. */
#define UDP_TEST(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        UDP_TEST(test_batch_of_64_varied_sizes_arrives_byte_exact_ipv4),
        UDP_TEST(test_batch_of_64_varied_sizes_arrives_byte_exact_ipv6),
        UDP_TEST(test_socket_endpoint_reports_fast_path_features),
        UDP_TEST(test_recv_on_empty_socket_returns_zero_datagrams),
        UDP_TEST(test_gso_train_of_10_arrives_as_10_datagrams),
        UDP_TEST(test_train_is_split_transparently_when_gso_is_off),
        UDP_TEST(test_refused_gso_train_is_sent_split),
        UDP_TEST(test_gso_train_to_gro_receiver_is_reported_with_segsize),
        UDP_TEST(test_recv_refuses_small_buffers_when_gro_is_on),
        UDP_TEST(test_ecn_ect0_sent_arrives_as_ect0_ipv4),
        UDP_TEST(test_ecn_ect0_sent_arrives_as_ect0_ipv6),
        UDP_TEST(test_ecn_ect0_crosses_dual_stack_sockets_both_ways),
        UDP_TEST(test_pktinfo_reports_destination_address_ipv4),
        UDP_TEST(test_pktinfo_reports_destination_address_ipv6),
        UDP_TEST(test_dual_stack_socket_reports_ipv4_as_mapped),
        UDP_TEST(test_local_address_on_send_chooses_the_source),
        UDP_TEST(test_local_address_on_dual_stack_send_to_mapped_peer),
        UDP_TEST(test_datagram_larger_than_buffer_is_dropped),
        UDP_TEST(test_icmp_port_unreachable_does_not_fail_the_port),
        UDP_TEST(test_bad_arguments_are_refused),
        UDP_TEST(test_socket_dgram_bio_takes_the_fast_path),
        UDP_TEST(test_custom_datagram_bio_roundtrips_data_and_peer),
        UDP_TEST(test_custom_bio_drops_datagram_larger_than_buffer),
        UDP_TEST(test_full_bio_stops_send_and_drops_rest_of_split_message),
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
        UDP_TEST(test_dgram_pair_bio_carries_batches_and_addresses),
        UDP_TEST(test_dgram_pair_without_address_caps_sends_unaddressed),
#endif
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
