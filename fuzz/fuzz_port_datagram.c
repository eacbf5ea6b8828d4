/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server port fed fuzzed datagrams through sslq_port_inject (no socket),
 * then timers and flushes, as the reactor would drive it.
 *
 * Input: one flags byte, then records until the input ends:
 *   flags:  bit 0 picks the port that sends Retry (validate=1);
 *           bits 4-7: the final clock jump, 2^n ms, before the last timers.
 *   record: hdr (bits 0-1 peer, bit 2 "seal", bits 3-7 clock step in 4 ms),
 *           u16 length, that many bytes.
 * A raw record is one datagram as is.  A sealed record is
 *   dcidlen%21, dcid, scidlen%21, scid, tokenlen%64, token, pn, frames
 * turned into a client Initial protected with the Initial keys of dcid, so
 * frames (and the ClientHello in CRYPTO) reach ngtcp2 and the TLS shim.
 *
 * Connections live across inputs (that is where the state is); every
 * FUZZ_PORT_RESET_EVERY inputs (default 16; 1 makes a run deterministic,
 * for reproducing) all are freed so that memory stays bounded.
 * FUZZ_PORT_STATS=1 prints the port's counters after each input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fuzz_common.h"
#include "port.h"

#define MAX_CONNS 8
#define NPEERS 4
#define MS 1000000ULL

typedef struct fport {
    sslq_port *port;
    sslq_conn *conns[MAX_CONNS];
    size_t nconns;
} fport;

static fport ports[2];
static struct sockaddr_storage peers[NPEERS];
static socklen_t peerlens[NPEERS];
static uint64_t clock_ns;
static unsigned reset_every = 16, runs;
static int verbose; /* FUZZ_PORT_STATS=1: port counters per input */

static int may_accept(void *owner)
{
    fport *fp = owner;

    return fp->nconns < MAX_CONNS;
}

static SSL *new_ssl(void *owner)
{
    (void)owner;
    return SSL_new(fuzz_server_ctx());
}

static void incoming(void *owner, sslq_conn *conn)
{
    fport *fp = owner;

    if (fp->nconns == MAX_CONNS) /* may_accept said no: a port bug */
        abort();
    fp->conns[fp->nconns++] = conn;
}

static const sslq_port_ops ops = {may_accept, new_ssl, incoming, NULL};

static void free_conns(fport *fp)
{
    for (size_t i = 0; i < fp->nconns; i++) {
        SSL *ssl = sslq_conn_ssl(fp->conns[i]);

        sslq_port_conn_free(fp->port, fp->conns[i]);
        SSL_free(ssl);
    }
    fp->nconns = 0;
}

static void add_peer(int i, int family, const char *addr, uint16_t port)
{
    memset(&peers[i], 0, sizeof(peers[i]));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&peers[i];

        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        inet_pton(AF_INET, addr, &sin->sin_addr);
        peerlens[i] = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&peers[i];

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        inet_pton(AF_INET6, addr, &sin6->sin6_addr);
        peerlens[i] = sizeof(*sin6);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *e = getenv("FUZZ_PORT_RESET_EVERY");

    (void)argc;
    (void)argv;
    if (e && atoi(e) > 0)
        reset_every = (unsigned)atoi(e);
    verbose = getenv("FUZZ_PORT_STATS") != NULL;
    fuzz_server_ctx();
    add_peer(0, AF_INET, "192.0.2.1", 4433);
    add_peer(1, AF_INET, "192.0.2.1", 50000); /* same host, other port */
    add_peer(2, AF_INET, "198.51.100.7", 443);
    add_peer(3, AF_INET6, "2001:db8::1", 8443);
    for (int v = 0; v < 2; v++) {
        sslq_port_config cfg;

        sslq_port_config_default(&cfg);
        cfg.accept = 1;
        cfg.validate = v;
        if (sslq_port_new(&ports[v].port, NULL, &cfg, &ops, &ports[v]) != 0)
            abort();
    }
    clock_ns = sslq_now();
    return 0;
}

static size_t seal(const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
    fuzz_reader r = {data, len};
    const uint8_t *dcid, *scid, *token, *frames;
    size_t dcidlen, scidlen, tokenlen, frameslen;
    uint32_t pn;

    dcid = fuzz_bytes(&r, fuzz_u8(&r) % 21, &dcidlen);
    scid = fuzz_bytes(&r, fuzz_u8(&r) % 21, &scidlen);
    token = fuzz_bytes(&r, fuzz_u8(&r) % 64, &tokenlen);
    pn = fuzz_u8(&r);
    frames = fuzz_bytes(&r, r.left, &frameslen);
    return fuzz_seal_initial(out, cap, dcid, dcidlen, scid, scidlen, token,
                             tokenlen, pn, frames, frameslen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pkt[1500];
    fuzz_reader r = {data, size};
    uint8_t flags = fuzz_u8(&r);
    fport *fp = &ports[flags & 1];

    while (r.left > 0) {
        uint8_t hdr = fuzz_u8(&r);
        size_t len;
        const uint8_t *d = fuzz_bytes(&r, fuzz_u16(&r) % 2048, &len);
        int peer = hdr & 3;

        clock_ns += (uint64_t)(hdr >> 3) * 4 * MS;
        if (hdr & 4) {
            len = seal(d, len, pkt, sizeof(pkt));
            d = pkt;
        }
        if (len > 0)
            sslq_port_inject(fp->port, d, len,
                             (const struct sockaddr *)&peers[peer],
                             peerlens[peer], NULL, 0, clock_ns);
        sslq_port_timers(fp->port, clock_ns);
        sslq_port_flush(fp->port, clock_ns);
    }
    clock_ns += (1ULL << (flags >> 4)) * MS;
    for (int i = 0; i < 2; i++) {
        sslq_port_timers(fp->port, clock_ns);
        sslq_port_flush(fp->port, clock_ns);
        clock_ns += MS;
    }
    if (verbose) {
        sslq_port_stats st;

        sslq_port_get_stats(fp->port, &st);
        fprintf(stderr,
                "port %d: rx %llu dropped %llu tx %llu retry %llu vn %llu "
                "reset %llu refused %llu badtoken %llu conns %llu/%llu\n",
                flags & 1, (unsigned long long)st.rx_dgrams,
                (unsigned long long)st.rx_dropped,
                (unsigned long long)st.tx_dgrams,
                (unsigned long long)st.retries_sent,
                (unsigned long long)st.vn_sent,
                (unsigned long long)st.resets_sent,
                (unsigned long long)st.refused,
                (unsigned long long)st.invalid_tokens,
                (unsigned long long)st.conns_live,
                (unsigned long long)st.conns_created);
    }
    if (++runs % reset_every == 0) {
        free_conns(&ports[0]);
        free_conns(&ports[1]);
    }
    return 0;
}
