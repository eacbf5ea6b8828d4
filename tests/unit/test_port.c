/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End to end through the internal layers: a server port and a client port on
 * real loopback UDP sockets, real ngtcp2, real libssl handshakes through the
 * TLS shim.  The loop polls both sockets and fires timers; the deadline only
 * turns a hang into a failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "error.h"
#include "helper_net.h"
#include "helper_pki.h"
#include "port.h"
#include "tls_shim.h"

#define MAX_CONNS 8
#define SEC 1000000000ULL

typedef struct side {
    sslq_port *port;
    int fd;
    struct sockaddr_in addr;
    SSL_CTX *ctx;
    sslq_conn *conns[MAX_CONNS];
    size_t nconns;
    size_t cap; /* may_accept allows this many */
    int busy;   /* may_accept wants proven addresses only */
} side;

typedef struct world {
    sslq_test_pki *pki;
    side server, client;
} world;

static const unsigned char alpn_wire[] = {4, 't', 'e', 's', 't'};

static int srv_may_accept(void *owner)
{
    side *s = owner;

    if (s->nconns >= s->cap)
        return SSLQ_ACCEPT_NO;
    return s->busy ? SSLQ_ACCEPT_VALIDATED_ONLY : SSLQ_ACCEPT_YES;
}

static SSL *srv_new_ssl(void *owner)
{
    side *s = owner;

    return SSL_new(s->ctx);
}

static void srv_incoming(void *owner, sslq_conn *conn)
{
    side *s = owner;

    if (s->nconns < MAX_CONNS)
        s->conns[s->nconns++] = conn;
}

static const sslq_port_ops server_ops = {srv_may_accept, srv_new_ssl,
                                         srv_incoming, NULL};

static int make_side(side *s, int server, int validate)
{
    sslq_port_config cfg;
    sslq_udp *udp;

    memset(s, 0, sizeof(*s));
    s->cap = MAX_CONNS;
    s->fd = sslq_test_udp_socket(&s->addr, 1);
    if (s->fd < 0 || sslq_udp_new_fd(&udp, s->fd, SSLQ_UDP_OWN_FD) != 0)
        return -1;
    sslq_port_config_default(&cfg);
    cfg.accept = server;
    cfg.validate = validate;
    return sslq_port_new(&s->port, udp, &cfg, server ? &server_ops : NULL,
                         s);
}

static int setup_with(void **state, int validate)
{
    world *w = calloc(1, sizeof(*w));

    w->pki = sslq_test_pki_new(0, 0);
    if (w->pki == NULL || make_side(&w->server, 1, validate) != 0 ||
        make_side(&w->client, 0, 0) != 0)
        return -1;
    w->server.ctx = SSL_CTX_new(TLS_server_method());
    w->client.ctx = SSL_CTX_new(TLS_client_method());
    if (!sslq_test_pki_use_server(w->server.ctx, w->pki) ||
        !sslq_test_pki_trust(w->client.ctx, w->pki->ca) ||
        sslq_tls_ctx_prepare(w->server.ctx) != 0 ||
        sslq_tls_ctx_prepare(w->client.ctx) != 0)
        return -1;
    SSL_CTX_set_alpn_select_cb(w->server.ctx, sslq_test_select_alpn,
                               (void *)alpn_wire);
    SSL_CTX_set_verify(w->client.ctx, SSL_VERIFY_PEER, NULL);
    *state = w;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, 1);
}

static int setup_novalidate(void **state)
{
    return setup_with(state, 0);
}

static int teardown(void **state)
{
    world *w = *state;
    SSL *ssls[2 * MAX_CONNS];
    size_t n = 0;

    /* The ports free their connections, not the SSLs those borrow. */
    for (size_t i = 0; i < w->server.nconns; i++)
        ssls[n++] = sslq_conn_ssl(w->server.conns[i]);
    for (size_t i = 0; i < w->client.nconns; i++)
        ssls[n++] = sslq_conn_ssl(w->client.conns[i]);
    sslq_port_free(w->server.port);
    sslq_port_free(w->client.port);
    for (size_t i = 0; i < n; i++)
        SSL_free(ssls[i]);
    SSL_CTX_free(w->server.ctx);
    SSL_CTX_free(w->client.ctx);
    sslq_test_pki_free(w->pki);
    free(w);
    return 0;
}

/* One round: wait for a socket or the next timer, then tick both ports. */
static void step(world *w)
{
    uint64_t now = sslq_now();
    uint64_t t = sslq_port_next_timeout(w->server.port);
    uint64_t tc = sslq_port_next_timeout(w->client.port);
    struct pollfd pfd[2] = {{w->server.fd, POLLIN, 0}, {w->client.fd, POLLIN, 0}};
    int ms;

    if (tc < t)
        t = tc;
    ms = t == UINT64_MAX ? 50 : t <= now ? 0 : (int)((t - now) / 1000000) + 1;
    if (ms > 50)
        ms = 50;
    poll(pfd, 2, ms);
    now = sslq_now();
    sslq_port_tick(w->server.port, now);
    sslq_port_tick(w->client.port, now);
}

typedef int (*cond_fn)(world *w, void *arg);

static int run_until(world *w, cond_fn cond, void *arg, uint64_t limit)
{
    uint64_t deadline = sslq_now() + limit;

    while (!cond(w, arg)) {
        if (sslq_now() > deadline)
            return 0;
        step(w);
    }
    return 1;
}

static sslq_conn *connect_client(world *w)
{
    SSL *ssl = SSL_new(w->client.ctx);
    sslq_conn *c = NULL;

    assert_non_null(ssl);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set_alpn_protos(ssl, alpn_wire, sizeof(alpn_wire));
    assert_int_equal(sslq_port_connect(w->client.port, ssl,
                                       (struct sockaddr *)&w->server.addr,
                                       sizeof(w->server.addr), &c, sslq_now()),
                     0);
    w->client.conns[w->client.nconns++] = c;
    return c;
}

static int both_established(world *w, void *arg)
{
    sslq_conn *c = arg;

    return sslq_conn_state(c) == SSLQ_CONN_ESTABLISHED &&
           w->server.nconns > 0 &&
           sslq_conn_state(w->server.conns[w->server.nconns - 1]) ==
               SSLQ_CONN_ESTABLISHED;
}

static int closed(world *w, void *arg)
{
    (void)w;
    return sslq_conn_state(arg) == SSLQ_CONN_CLOSED;
}

static void test_handshake_completes_after_retry(void **state)
{
    world *w = *state;
    sslq_conn *c = connect_client(w);
    sslq_port_stats st;
    const unsigned char *alpn;
    unsigned int alpnlen;

    assert_true(run_until(w, both_established, c, 5 * SEC));
    sslq_port_get_stats(w->server.port, &st);
    /* One Retry per datagram of the first flight: OpenSSL 3.5's ClientHello
     * (with an ML-KEM key share) spans two. */
    assert_true(st.retries_sent >= 1);
    SSL_get0_alpn_selected(sslq_conn_ssl(c), &alpn, &alpnlen);
    assert_int_equal(alpnlen, 4);
    assert_memory_equal(alpn, "test", 4);
    SSL_get0_alpn_selected(sslq_conn_ssl(w->server.conns[0]), &alpn, &alpnlen);
    assert_int_equal(alpnlen, 4);
    assert_int_equal(SSL_get_verify_result(sslq_conn_ssl(c)), X509_V_OK);
}

static void test_handshake_without_validation_sends_no_retry(void **state)
{
    world *w = *state;
    sslq_conn *c = connect_client(w);
    sslq_port_stats st;

    assert_true(run_until(w, both_established, c, 5 * SEC));
    sslq_port_get_stats(w->server.port, &st);
    assert_int_equal(st.retries_sent, 0);
}

/* A busy owner (a listener whose pending cap is half full) makes the port
 * ask for a Retry round trip even with validation off. */
static void test_busy_owner_gets_retry_without_validation(void **state)
{
    world *w = *state;
    sslq_conn *c;
    sslq_port_stats st;

    w->server.busy = 1;
    c = connect_client(w);
    assert_true(run_until(w, both_established, c, 5 * SEC));
    sslq_port_get_stats(w->server.port, &st);
    assert_true(st.retries_sent >= 1);
    assert_int_equal(st.conns_created, 1);
}

static void test_new_token_lets_next_connection_skip_retry(void **state)
{
    world *w = *state;
    sslq_conn *c1 = connect_client(w), *c2;
    sslq_port_stats st;
    uint64_t retries;

    assert_true(run_until(w, both_established, c1, 5 * SEC));
    sslq_port_get_stats(w->server.port, &st);
    retries = st.retries_sent;
    assert_true(retries >= 1);
    /* Give the NEW_TOKEN frame time to arrive: wait until the server has
     * nothing in flight (the client acknowledged it). */
    for (int i = 0; i < 20; i++)
        step(w);
    c2 = connect_client(w);
    assert_true(run_until(w, both_established, c2, 5 * SEC));
    sslq_port_get_stats(w->server.port, &st);
    assert_int_equal(st.retries_sent, retries);
    assert_int_equal(w->server.nconns, 2);
}

typedef struct echo_state {
    sslq_conn *client;
    sslq_stream *cs, *ss;
    uint8_t *payload, *echoed, *got;
    size_t len, sent, srv_got, srv_sent, cli_got;
    int srv_fin, cli_fin;
} echo_state;

/* Moves the bytes along one step: client writes, server reads and writes
 * back, client reads.  Done when the client saw the echo's FIN. */
static int echo_progress(world *w, void *arg)
{
    echo_state *e = arg;
    size_t n;
    int fin;

    if (e->sent < e->len) {
        if (sslq_stream_write(e->cs, e->payload + e->sent, e->len - e->sent, 1,
                              &n) == 0 ||
            n > 0)
            e->sent += n;
        sslq_port_conn_touch(w->client.port, e->client);
    }
    if (e->ss == NULL && w->server.nconns > 0)
        e->ss = sslq_conn_accept_stream(w->server.conns[0]);
    if (e->ss != NULL) {
        while (!e->srv_fin &&
               sslq_stream_read(e->ss, e->echoed + e->srv_got,
                                e->len - e->srv_got, 0, &n, &fin) == 0) {
            e->srv_got += n;
            if (fin)
                e->srv_fin = 1;
            if (n == 0 && !fin)
                break;
        }
        if (e->srv_sent < e->srv_got ||
            (e->srv_fin && e->srv_sent == e->srv_got && !e->ss->fin_wanted)) {
            sslq_stream_write(e->ss, e->echoed + e->srv_sent,
                              e->srv_got - e->srv_sent, e->srv_fin, &n);
            e->srv_sent += n;
            sslq_port_conn_touch(w->server.port, w->server.conns[0]);
        }
    }
    while (!e->cli_fin &&
           sslq_stream_read(e->cs, e->got + e->cli_got, e->len - e->cli_got,
                            0, &n, &fin) == 0) {
        e->cli_got += n;
        if (fin)
            e->cli_fin = 1;
        if (n == 0 && !fin)
            break;
    }
    return e->cli_fin;
}

static void run_echo(world *w, size_t len)
{
    echo_state e = {0};

    e.client = connect_client(w);
    assert_true(run_until(w, both_established, e.client, 5 * SEC));
    e.len = len;
    e.payload = malloc(len + 1);
    e.echoed = malloc(len + 1);
    e.got = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        e.payload[i] = (uint8_t)(i * 131 + (i >> 9));
    assert_int_equal(sslq_conn_open_stream(e.client, 0, &e.cs), 0);
    assert_true(run_until(w, echo_progress, &e, 30 * SEC));
    assert_int_equal(e.cli_got, len);
    assert_memory_equal(e.got, e.payload, len);
    free(e.payload);
    free(e.echoed);
    free(e.got);
}

static void test_stream_echo_one_byte(void **state)
{
    run_echo(*state, 1);
}

static void test_stream_echo_four_mebibytes(void **state)
{
    run_echo(*state, 4 * 1024 * 1024);
}

/* The fast path: a bulk transfer leaves in GSO trains (several datagrams per
 * send) where the kernel has UDP_SEGMENT, as loopback on Linux does. */
static void test_bulk_transfer_is_sent_in_gso_trains(void **state)
{
    world *w = *state;
    sslq_udp_stats st;
    sslq_udp *u = sslq_port_udp(w->client.port);

    if (!(sslq_udp_features(u) & SSLQ_UDP_F_GSO))
        fail_msg("loopback has no UDP GSO here; the test needs Linux >= 4.18");
    run_echo(w, 4 * 1024 * 1024);
    sslq_udp_get_stats(u, &st);
    assert_true(st.tx_dgrams >= 4 * 1024 * 1024 / 1500);
    assert_true(st.tx_dgrams >= 4 * st.tx_units);
    sslq_udp_get_stats(sslq_port_udp(w->server.port), &st);
    assert_true(st.tx_dgrams >= 4 * st.tx_units);
}

static void test_application_close_reaches_peer_with_code_and_reason(void **state)
{
    world *w = *state;
    sslq_conn *c = connect_client(w);
    const sslq_close_info *ci;

    assert_true(run_until(w, both_established, c, 5 * SEC));
    sslq_conn_close(c, 1, 42, "bye", sslq_now());
    sslq_port_conn_touch(w->client.port, c);
    assert_true(run_until(w, closed, w->server.conns[0], 10 * SEC));
    ci = sslq_conn_close_info(w->server.conns[0]);
    assert_true(ci->set);
    assert_true(ci->remote);
    assert_true(ci->app);
    assert_int_equal(ci->code, 42);
    assert_string_equal(ci->reason, "bye");
    ci = sslq_conn_close_info(c);
    assert_false(ci->remote);
    assert_int_equal(ci->code, 42);
}

static void test_forged_retry_token_is_refused_with_invalid_token(void **state)
{
    world *w = *state;
    sslq_port_config *cc = sslq_port_get_config(w->client.port);
    uint8_t forged[60];
    sslq_conn *c;
    const sslq_close_info *ci;
    sslq_port_stats st;

    /* Looks like one of our Retry tokens; sealed under no key of ours. */
    memset(forged, 0x5a, sizeof(forged));
    forged[0] = 0x52;
    cc->conn.token = forged;
    cc->conn.tokenlen = sizeof(forged);
    c = connect_client(w);
    cc->conn.token = NULL;
    cc->conn.tokenlen = 0;
    assert_true(run_until(w, closed, c, 10 * SEC));
    ci = sslq_conn_close_info(c);
    assert_true(ci->remote);
    assert_false(ci->app);
    assert_int_equal(ci->code, 0xb); /* INVALID_TOKEN */
    sslq_port_get_stats(w->server.port, &st);
    assert_true(st.invalid_tokens >= 1);
    assert_int_equal(w->server.nconns, 0);
}

static void test_pending_cap_refuses_with_connection_refused(void **state)
{
    world *w = *state;
    sslq_conn *c;
    const sslq_close_info *ci;
    sslq_port_stats st;

    w->server.cap = 0;
    c = connect_client(w);
    assert_true(run_until(w, closed, c, 10 * SEC));
    ci = sslq_conn_close_info(c);
    assert_true(ci->remote);
    assert_false(ci->app);
    assert_int_equal(ci->code, 0x2); /* CONNECTION_REFUSED */
    sslq_port_get_stats(w->server.port, &st);
    assert_true(st.refused >= 1);
    assert_int_equal(w->server.nconns, 0);
}

/* Sends |len| bytes of |pkt| to the server from a fresh socket and returns
 * the size of the answer, 0 if none within 2 s. */
static size_t raw_exchange(world *w, const uint8_t *pkt, size_t len,
                           uint8_t *reply, size_t replycap)
{
    struct sockaddr_in a;
    int fd = sslq_test_udp_socket(&a, 1);
    uint64_t deadline = sslq_now() + 2 * SEC;
    ssize_t n = 0;

    assert_true(fd >= 0);
    assert_int_equal(sendto(fd, pkt, len, 0,
                            (struct sockaddr *)&w->server.addr,
                            sizeof(w->server.addr)),
                     (ssize_t)len);
    while (sslq_now() < deadline) {
        struct pollfd pfd = {fd, POLLIN, 0};

        sslq_port_tick(w->server.port, sslq_now());
        if (poll(&pfd, 1, 10) == 1) {
            n = recv(fd, reply, replycap, 0);
            break;
        }
    }
    close(fd);
    return n > 0 ? (size_t)n : 0;
}

static void test_unknown_version_gets_version_negotiation(void **state)
{
    world *w = *state;
    uint8_t pkt[1200] = {0}, reply[1500];
    size_t n;

    pkt[0] = 0xc0;
    pkt[1] = 0x1a; pkt[2] = 0x2a; pkt[3] = 0x3a; pkt[4] = 0x4a;
    pkt[5] = 8;                     /* DCID length */
    memset(pkt + 6, 0x11, 8);
    pkt[14] = 4;                    /* SCID length */
    memset(pkt + 15, 0x22, 4);
    n = raw_exchange(w, pkt, sizeof(pkt), reply, sizeof(reply));
    assert_true(n >= 7 + 8 + 4 + 4);
    assert_true(reply[0] & 0x80);
    assert_memory_equal(reply + 1, "\0\0\0\0", 4); /* version 0 */
    /* The answer swaps the CIDs. */
    assert_int_equal(reply[5], 4);
    assert_memory_equal(reply + 6, pkt + 15, 4);
}

static void test_short_packet_for_unknown_cid_gets_smaller_stateless_reset(void **state)
{
    world *w = *state;
    uint8_t pkt[100], reply[1500];
    size_t n;

    memset(pkt, 0x5a, sizeof(pkt));
    pkt[0] = 0x40; /* short header, fixed bit */
    n = raw_exchange(w, pkt, sizeof(pkt), reply, sizeof(reply));
    assert_true(n > 0);
    assert_true(n < sizeof(pkt));
    assert_int_equal(reply[0] & 0xc0, 0x40);
}

static void test_garbage_datagrams_do_not_disturb_a_transfer(void **state)
{
    world *w = *state;
    int fd;
    struct sockaddr_in a;
    uint8_t junk[1300];
    sslq_port_stats st;

    fd = sslq_test_udp_socket(&a, 1);
    for (int i = 0; i < 200; i++) {
        for (size_t j = 0; j < sizeof(junk); j++)
            junk[j] = (uint8_t)rand();
        sendto(fd, junk, (size_t)(rand() % (int)sizeof(junk)) + 1, 0,
               (struct sockaddr *)&w->server.addr, sizeof(w->server.addr));
    }
    close(fd);
    run_echo(w, 256 * 1024);
    sslq_port_get_stats(w->server.port, &st);
    assert_int_equal(st.conns_created, 1);
}

static void test_idle_connection_times_out_on_both_sides(void **state)
{
    world *w = *state;
    sslq_conn *c;

    sslq_port_get_config(w->server.port)->conn.idle_timeout_ms = 300;
    sslq_port_get_config(w->client.port)->conn.idle_timeout_ms = 300;
    c = connect_client(w);
    assert_true(run_until(w, both_established, c, 5 * SEC));
    assert_true(run_until(w, closed, c, 5 * SEC));
    assert_true(run_until(w, closed, w->server.conns[0], 5 * SEC));
    assert_true(sslq_conn_close_info(c)->idle);
    assert_true(sslq_conn_close_info(w->server.conns[0])->idle);
}

/* Forwards what arrives on |from| to |to| (dest |dst|), or drops it when
 * |to| < 0; returns the UDP payload bytes seen. */
static uint64_t pump(int from, int to, const struct sockaddr_in *dst)
{
    uint8_t buf[65536];
    uint64_t total = 0;
    ssize_t n;

    while ((n = recv(from, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        total += (uint64_t)n;
        if (to >= 0)
            sendto(to, buf, (size_t)n, 0, (const struct sockaddr *)dst,
                   sizeof(*dst));
    }
    return total;
}

/* A client whose replies all vanish (a spoofed source address): the
 * server, which cannot validate the address, sends at most three times
 * the bytes it received (RFC 9000 section 8.1), although its certificate
 * chain is several times larger than that. */
static void test_unvalidated_address_gets_at_most_three_times_its_bytes(void **state)
{
    world *w = *state;
    sslq_test_pki *big = sslq_test_pki_new(3, 6000);
    struct sockaddr_in tap_addr, spoof_addr;
    int tap, spoof;
    uint64_t c2s = 0, s2c = 0, deadline;
    sslq_port_stats st;
    SSL *ssl;
    sslq_conn *c = NULL;

    assert_non_null(big);
    for (int i = 0; i < sk_X509_num(big->client_chain); i++)
        assert_int_equal(SSL_CTX_add1_chain_cert(
                             w->server.ctx, sk_X509_value(big->client_chain, i)),
                         1);
    tap = sslq_test_udp_socket(&tap_addr, 1);
    spoof = sslq_test_udp_socket(&spoof_addr, 1);
    assert_true(tap >= 0 && spoof >= 0);

    ssl = SSL_new(w->client.ctx);
    assert_non_null(ssl);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set_alpn_protos(ssl, alpn_wire, sizeof(alpn_wire));
    assert_int_equal(sslq_port_connect(w->client.port, ssl,
                                       (struct sockaddr *)&tap_addr,
                                       sizeof(tap_addr), &c, sslq_now()),
                     0);
    w->client.conns[w->client.nconns++] = c;

    /* Long enough for the client's Initial to be retransmitted and the
     * server's probe timeouts to fire several times. */
    deadline = sslq_now() + 3 * SEC;
    while (sslq_now() < deadline) {
        struct pollfd pfd[3] = {{w->server.fd, POLLIN, 0},
                                {tap, POLLIN, 0},
                                {spoof, POLLIN, 0}};

        poll(pfd, 3, 5);
        sslq_port_tick(w->server.port, sslq_now());
        sslq_port_tick(w->client.port, sslq_now());
        c2s += pump(tap, spoof, &w->server.addr);
        s2c += pump(spoof, -1, NULL);
    }
    sslq_port_get_stats(w->server.port, &st);
    assert_int_equal(st.conns_created, 1);
    assert_int_equal(st.retries_sent, 0);
    print_message("client sent %llu bytes, server sent %llu (chain %zu)\n",
                  (unsigned long long)c2s, (unsigned long long)s2c,
                  sslq_test_pki_client_chain_size(big));
    assert_true(c2s >= 1200);
    assert_true(s2c > 0);
    assert_true(s2c <= 3 * c2s);
    /* not vacuous: unlimited, the server would have sent its whole chain */
    assert_true(sslq_test_pki_client_chain_size(big) > 3 * c2s);
    close(tap);
    close(spoof);
    sslq_test_pki_free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake_completes_after_retry,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_handshake_without_validation_sends_no_retry,
            setup_novalidate, teardown),
        cmocka_unit_test_setup_teardown(
            test_busy_owner_gets_retry_without_validation, setup_novalidate,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_new_token_lets_next_connection_skip_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_echo_one_byte, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bulk_transfer_is_sent_in_gso_trains,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_echo_four_mebibytes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_application_close_reaches_peer_with_code_and_reason, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_pending_cap_refuses_with_connection_refused, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_forged_retry_token_is_refused_with_invalid_token, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_unknown_version_gets_version_negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_short_packet_for_unknown_cid_gets_smaller_stateless_reset,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_garbage_datagrams_do_not_disturb_a_transfer, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_idle_connection_times_out_on_both_sides, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_unvalidated_address_gets_at_most_three_times_its_bytes,
            setup_novalidate, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
