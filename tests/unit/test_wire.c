/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Peers that break the rules on the wire, met by an sslquic server: too many
 * streams (STREAM_LIMIT_ERROR), data beyond the flow-control credit
 * (FLOW_CONTROL_ERROR) and a RESET_STREAM whose final size contradicts the
 * data received (FINAL_SIZE_ERROR).  Each time the server must close the
 * connection with that transport error, report it through
 * SSL_get_conn_close_info, and the offending client must see the close.
 *
 * The offender is an ordinary sslquic client made to misbehave: for the
 * first two, sslq_conn_test_peer_params_hook raises the server's limits as
 * the client sees them, so its ngtcp2 goes past the real ones; for the
 * third, no client API can send a wrong final size, so the test seals a
 * 1-RTT packet carrying that RESET_STREAM itself, with the client's keys
 * (from the keylog callback) and sslquic's own packet protection, and sends
 * it from the client's socket.  Client and server run in the test's thread,
 * non-blocking.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <openssl/err.h>

#include "conn.h"
#include "crypto.h"
#include "helper_net.h"
#include "helper_pki.h"
#include "object.h"
#include "port.h"
#include "sslquic/sslquic.h"

static const unsigned char alpn[] = {4, 'w', 'i', 'r', 'e'};
static sslq_test_pki *pki;

/* The client's 1-RTT secret, from the keylog callback. */
static uint8_t client_secret[SSLQ_MAX_SECRET_LEN];
static size_t client_secretlen;

static void keylog(const SSL *ssl, const char *line)
{
    static const char label[] = "CLIENT_TRAFFIC_SECRET_0 ";
    const char *hex;

    (void)ssl;
    if (strncmp(line, label, sizeof(label) - 1) != 0 ||
        (hex = strchr(line + sizeof(label) - 1, ' ')) == NULL)
        return;
    for (client_secretlen = 0, hex++;
         client_secretlen < sizeof(client_secret) && hex[0] && hex[1]; hex += 2)
        sscanf(hex, "%2hhx", &client_secret[client_secretlen++]);
}

typedef struct wire {
    SSL_CTX *sctx, *cctx;
    SSL *listener, *client, *server; /* server: the accepted connection */
    int sfd, cfd;
    struct sockaddr_in saddr;
} wire;

/* One round: both sides handle events, then wait up to 10 ms for data. */
static void drive(wire *w)
{
    struct pollfd p[2] = {{w->sfd, POLLIN, 0}, {w->cfd, POLLIN, 0}};

    SSLQ_handle_events(w->listener);
    SSLQ_handle_events(w->client);
    (void)poll(p, 2, 10);
    ERR_clear_error();
}

/* Runs the loop until |cond| holds; fails the test after ~30 s (a loaded
 * machine running the sanitizers is slow, but not that slow). */
#define DRIVE_UNTIL(w, cond)                                                   \
    do {                                                                       \
        int rounds_ = 0, ok_;                                                  \
        while (!(ok_ = (cond)) && rounds_++ < 3000)                            \
            drive(w);                                                          \
        assert_true(ok_);                                                      \
    } while (0)

/* The server's transport settings, before any connection exists. */
static sslq_conn_config *server_config(wire *w)
{
    sslq_obj *o = sslq_obj_get(w->listener);
    sslq_port *port = sslq_engine_port(o->eng);

    assert_non_null(port);
    return &sslq_port_get_config(port)->conn;
}

static void wire_listen(wire *w)
{
    memset(w, 0, sizeof(*w));
    w->sctx = sslq_test_server_ctx(pki, alpn);
    assert_non_null(w->sctx);
    w->listener = sslq_test_listen(w->sctx, 0, &w->sfd, &w->saddr);
    assert_non_null(w->listener);
    assert_true(SSLQ_set_blocking_mode(w->listener, 0));
}

static void wire_connect(wire *w)
{
    int r = 0;

    w->cctx = sslq_test_client_ctx(pki);
    assert_non_null(w->cctx);
    SSLQ_CTX_set_keylog_callback(w->cctx, keylog);
    w->client = sslq_test_client(w->cctx, &w->saddr, alpn, 1, &w->cfd);
    assert_non_null(w->client);
    assert_true(SSLQ_set_blocking_mode(w->client, 0));
    assert_true(
        SSLQ_set_default_stream_mode(w->client, SSL_DEFAULT_STREAM_MODE_NONE));
    client_secretlen = 0;
    DRIVE_UNTIL(w, (r = SSLQ_connect(w->client)) == 1 ||
                       SSLQ_get_error(w->client, r) == SSL_ERROR_SSL);
    assert_int_equal(r, 1);
    DRIVE_UNTIL(w, (w->server = SSLQ_accept_connection(
                        w->listener, SSL_ACCEPT_CONNECTION_NO_BLOCK)) != NULL);
    assert_true(SSLQ_set_blocking_mode(w->server, 0));
    assert_true(SSLQ_set_incoming_stream_policy(
        w->server, SSL_INCOMING_STREAM_POLICY_ACCEPT, 0));
}

static void wire_free(wire *w)
{
    SSLQ_free(w->server);
    SSLQ_free(w->client);
    SSLQ_free(w->listener);
    SSL_CTX_free(w->cctx);
    SSL_CTX_free(w->sctx);
    close(w->cfd);
    close(w->sfd);
}

static int closed(SSL *s)
{
    SSL_CONN_CLOSE_INFO ci;

    return SSLQ_get_conn_close_info(s, &ci, sizeof(ci)) == 1;
}

/* The server closed with transport error |code|; the client saw it. */
static void assert_transport_close(wire *w, uint64_t code)
{
    SSL_CONN_CLOSE_INFO ci;

    DRIVE_UNTIL(w, closed(w->server) && closed(w->client));
    assert_int_equal(SSLQ_get_conn_close_info(w->server, &ci, sizeof(ci)), 1);
    assert_int_equal(ci.error_code, code);
    assert_int_equal(ci.flags,
                     SSL_CONN_CLOSE_FLAG_LOCAL | SSL_CONN_CLOSE_FLAG_TRANSPORT);
    assert_int_equal(SSLQ_get_conn_close_info(w->client, &ci, sizeof(ci)), 1);
    assert_int_equal(ci.error_code, code);
    assert_int_equal(ci.flags, SSL_CONN_CLOSE_FLAG_TRANSPORT);
}

static void raise_server_limits(ngtcp2_transport_params *p)
{
    p->initial_max_streams_bidi = 1000;
    p->initial_max_stream_data_bidi_remote = 16 * 1024 * 1024;
    p->initial_max_data = 64 * 1024 * 1024;
}

static void
test_peer_opening_too_many_streams_gets_stream_limit_error(void **state)
{
    SSL *s[5];
    size_t n;
    wire w;

    (void)state;
    wire_listen(&w);
    server_config(&w)->max_streams_bidi = 4;
    sslq_conn_test_peer_params_hook = raise_server_limits;
    wire_connect(&w);
    sslq_conn_test_peer_params_hook = NULL;
    /* The client believes it may open 1000; the server allows 4. */
    for (int i = 0; i < 5; i++) {
        s[i] = SSLQ_new_stream(w.client, SSL_STREAM_FLAG_NO_BLOCK);
        assert_non_null(s[i]);
        assert_true(SSLQ_write_ex(s[i], "x", 1, &n));
    }
    assert_transport_close(&w, OSSL_QUIC_ERR_STREAM_LIMIT_ERROR);
    for (int i = 0; i < 5; i++)
        SSLQ_free(s[i]);
    wire_free(&w);
}

static void
test_peer_ignoring_stream_credit_gets_flow_control_error(void **state)
{
    static unsigned char buf[64 * 1024];
    size_t n, sent = 0;
    SSL *s;
    wire w;

    (void)state;
    wire_listen(&w);
    server_config(&w)->stream_window = 16 * 1024;
    server_config(&w)->max_stream_window = 16 * 1024;
    sslq_conn_test_peer_params_hook = raise_server_limits;
    wire_connect(&w);
    sslq_conn_test_peer_params_hook = NULL;
    s = SSLQ_new_stream(w.client, 0);
    assert_non_null(s);
    /* Nobody reads on the server: its 16 KiB window never grows. */
    while (sent < sizeof(buf) && !closed(w.client)) {
        if (SSLQ_write_ex(s, buf, sizeof(buf) - sent, &n))
            sent += n;
        drive(&w);
    }
    assert_transport_close(&w, OSSL_QUIC_ERR_FLOW_CONTROL_ERROR);
    SSLQ_free(s);
    wire_free(&w);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    if (v < 64) {
        p[0] = (uint8_t)v;
        return 1;
    }
    assert_true(v < 16384);
    p[0] = (uint8_t)(0x40 | v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

/* Sends, as the client, a 1-RTT packet holding RESET_STREAM(|id|, code 1,
 * |final_size|), sealed with the client's current keys. */
static void send_forged_reset(wire *w, int64_t id, uint64_t final_size)
{
    sslq_conn_obj *co = sslq_obj_conn(w->client);
    ngtcp2_conn *nc = sslq_conn_ngtcp2(co->conn);
    const ngtcp2_cid *dcid = ngtcp2_conn_get_dcid(nc);
    uint32_t version = ngtcp2_conn_get_negotiated_version(nc);
    const SSL_CIPHER *cipher = SSLQ_get_current_cipher(w->client);
    const sslq_suite *suite =
        sslq_suite_get((uint16_t)(SSL_CIPHER_get_id(cipher) & 0xffff));
    /* Far above anything the client used; still decodable (RFC 9000 A.3). */
    const uint64_t pn = 1000000;
    sslq_packet_keys keys;
    EVP_CIPHER_CTX *aead, *hp;
    uint8_t pkt[128];
    size_t hdr = 0, len;

    assert_non_null(suite);
    assert_int_equal(client_secretlen, suite->secretlen);
    assert_int_equal(sslq_derive_packet_keys(suite, version, client_secret,
                                             client_secretlen, &keys),
                     0);
    aead = sslq_aead_ctx_new(suite, keys.key, 1);
    hp = sslq_hp_ctx_new(suite, keys.hp);
    assert_non_null(aead);
    assert_non_null(hp);
    pkt[hdr++] = 0x40 | 0x03; /* short header, key phase 0, 4-byte pn */
    memcpy(pkt + hdr, dcid->data, dcid->datalen);
    hdr += dcid->datalen;
    for (int i = 3; i >= 0; i--)
        pkt[hdr++] = (uint8_t)(pn >> (8 * i));
    len = hdr;
    pkt[len++] = 0x04; /* RESET_STREAM */
    len += put_varint(pkt + len, (uint64_t)id);
    len += put_varint(pkt + len, 1);
    len += put_varint(pkt + len, final_size);
    memset(pkt + len, 0, 16); /* PADDING, so the header can be sampled */
    len += 16;
    assert_int_equal(
        sslq_packet_protect(aead, keys.iv, hp, pkt, hdr, pn, len - hdr), 0);
    len += SSLQ_TAG_LEN;
    assert_int_equal(sendto(w->cfd, pkt, len, 0, (struct sockaddr *)&w->saddr,
                            sizeof(w->saddr)),
                     (ssize_t)len);
    EVP_CIPHER_CTX_free(aead);
    EVP_CIPHER_CTX_free(hp);
}

static void test_reset_below_received_data_gets_final_size_error(void **state)
{
    static unsigned char data[1000], in[1000];
    size_t n, got = 0;
    SSL *s, *as = NULL;
    wire w;

    (void)state;
    wire_listen(&w);
    wire_connect(&w);
    s = SSLQ_new_stream(w.client, 0);
    assert_non_null(s);
    assert_true(SSLQ_write_ex(s, data, sizeof(data), &n));
    DRIVE_UNTIL(&w, as != NULL || (as = SSLQ_accept_stream(
                                       w.server, SSL_ACCEPT_STREAM_NO_BLOCK)));
    assert_true(SSLQ_set_blocking_mode(as, 0));
    while (got < sizeof(in)) {
        if (SSLQ_read_ex(as, in + got, sizeof(in) - got, &n))
            got += n;
        else
            drive(&w);
    }
    /* 1000 bytes arrived; the forged reset says the stream had 10. */
    send_forged_reset(&w, (int64_t)SSLQ_get_stream_id(s), 10);
    assert_transport_close(&w, OSSL_QUIC_ERR_FINAL_SIZE_ERROR);
    SSLQ_free(as);
    SSLQ_free(s);
    wire_free(&w);
}

static int setup(void **state)
{
    (void)state;
    pki = sslq_test_pki_new(0, 0);
    return pki == NULL;
}

static int teardown(void **state)
{
    (void)state;
    sslq_test_pki_free(pki);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_peer_opening_too_many_streams_gets_stream_limit_error),
        cmocka_unit_test(
            test_peer_ignoring_stream_credit_gets_flow_control_error),
        cmocka_unit_test(test_reset_below_received_data_gets_final_size_error),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
