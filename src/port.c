/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cidmap.h"
#include "crypto.h"
#include "crypto_cb.h"
#include "error.h"
#include "port.h"
#include "token.h"

#define NS_PER_MS 1000000ULL
#define RX_SLOTS_GRO 8
#define RX_SLOTS 32
#define RX_BUFLEN 2048
#define TX_SLOTS SSLQ_UDP_MAX_BATCH
#define TX_BUFLEN 1500
/* One contiguous arena for the datagrams waiting to be sent, so that a
 * connection's consecutive packets can leave as one GSO train. */
#define TX_ARENA ((size_t)TX_SLOTS * TX_BUFLEN)
#define MIN_INITIAL_LEN 1200
#define MAX_CLIENT_TOKENS 16
#define NO_HEAP ((size_t)-1)

/* The port's record of one connection. */
typedef struct pconn {
    sslq_port *port;
    sslq_conn *conn;
    size_t heap_idx;
    uint64_t expiry;
    struct pconn *prev, *next;
    struct pconn *touch_next;
    unsigned touched : 1;
    unsigned closed_seen : 1;
} pconn;

/* A NEW_TOKEN token a server gave this (client) port. */
typedef struct client_token {
    struct sockaddr_storage peer;
    socklen_t peerlen;
    uint8_t token[256];
    size_t len;
} client_token;

struct sslq_port {
    sslq_udp *udp;
    sslq_port_config cfg;
    const sslq_port_ops *ops;
    void *owner;

    sslq_cidmap *cids;
    sslq_token_key *tokens;
    uint8_t reset_key[32];
    struct sockaddr_storage local;
    socklen_t locallen;

    pconn *conns;
    pconn **heap;
    size_t heaplen, heapcap;
    pconn *touched;

    /* datagrams waiting to be sent: tx[0..ntx) over txmem[0..txoff) */
    uint8_t *txmem;
    size_t txoff;
    sslq_dgram tx[TX_SLOTS];
    size_t ntx;
    /* the connection whose packets tx[ntx - 1] ends with, while it may
     * still grow into a longer GSO train */
    const pconn *train;

    /* stateless-reset budget (token bucket) */
    double reset_budget;
    uint64_t reset_refill;

    client_token client_tokens[MAX_CLIENT_TOKENS];
    size_t next_client_token;

    sslq_port_stats stats;
};

uint64_t sslq_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void sslq_port_config_default(sslq_port_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->validate = 1;
    cfg->retry_token_lifetime_ms = 10000;
    cfg->new_token_lifetime_ms = 24 * 3600 * 1000ULL;
    cfg->resets_per_second = 200;
    sslq_conn_config_default(&cfg->conn);
}

/* ---- timer heap ------------------------------------------------------------ */

static void heap_swap(sslq_port *p, size_t a, size_t b)
{
    pconn *t = p->heap[a];

    p->heap[a] = p->heap[b];
    p->heap[b] = t;
    p->heap[a]->heap_idx = a;
    p->heap[b]->heap_idx = b;
}

static void heap_up(sslq_port *p, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (p->heap[parent]->expiry <= p->heap[i]->expiry)
            break;
        heap_swap(p, i, parent);
        i = parent;
    }
}

static void heap_down(sslq_port *p, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < p->heaplen && p->heap[l]->expiry < p->heap[m]->expiry)
            m = l;
        if (r < p->heaplen && p->heap[r]->expiry < p->heap[m]->expiry)
            m = r;
        if (m == i)
            break;
        heap_swap(p, i, m);
        i = m;
    }
}

static void heap_remove(sslq_port *p, pconn *pc)
{
    size_t i = pc->heap_idx;

    if (i == NO_HEAP)
        return;
    pc->heap_idx = NO_HEAP;
    p->heaplen--;
    if (i == p->heaplen)
        return;
    p->heap[i] = p->heap[p->heaplen];
    p->heap[i]->heap_idx = i;
    heap_up(p, i);
    heap_down(p, p->heap[i]->heap_idx);
}

/* Puts |pc| in the heap at its connection's current expiry. */
static int heap_update(sslq_port *p, pconn *pc)
{
    uint64_t e = sslq_conn_expiry(pc->conn);

    if (e == UINT64_MAX) {
        heap_remove(p, pc);
        return 0;
    }
    pc->expiry = e;
    if (pc->heap_idx == NO_HEAP) {
        if (p->heaplen == p->heapcap) {
            size_t cap = p->heapcap ? p->heapcap * 2 : 64;
            pconn **h = realloc(p->heap, cap * sizeof(*h));

            if (h == NULL)
                return SSLQ_ERR_NOMEM;
            p->heap = h;
            p->heapcap = cap;
        }
        pc->heap_idx = p->heaplen;
        p->heap[p->heaplen++] = pc;
    }
    heap_up(p, pc->heap_idx);
    heap_down(p, pc->heap_idx);
    return 0;
}

/* ---- connection ops ------------------------------------------------------ */

static void touch(sslq_port *p, pconn *pc)
{
    if (pc->touched)
        return;
    pc->touched = 1;
    pc->touch_next = p->touched;
    p->touched = pc;
}

static int op_cid_add(void *owner, sslq_conn *conn, const ngtcp2_cid *cid)
{
    pconn *pc = owner;

    (void)conn;
    return sslq_cidmap_add(pc->port->cids, cid->data, cid->datalen, pc);
}

static void op_cid_remove(void *owner, sslq_conn *conn, const ngtcp2_cid *cid)
{
    pconn *pc = owner;

    (void)conn;
    /* Only if it still routes to this connection: a client's chosen DCID
     * may collide with another's. */
    if (sslq_cidmap_get(pc->port->cids, cid->data, cid->datalen) == pc)
        sslq_cidmap_remove(pc->port->cids, cid->data, cid->datalen);
}

static void op_reset_token(void *owner, const ngtcp2_cid *cid, uint8_t *token)
{
    pconn *pc = owner;

    sslq_stateless_reset_token(pc->port->reset_key, cid->data, cid->datalen,
                               token);
}

static int op_make_token(void *owner, sslq_conn *conn, uint8_t *token,
                         size_t *tokenlen)
{
    pconn *pc = owner;
    const ngtcp2_path *path = sslq_conn_path(conn);

    if (*tokenlen < SSLQ_TOKEN_MAX_LEN)
        return SSLQ_ERR_BUFFER;
    return sslq_token_make(pc->port->tokens, SSLQ_TOKEN_KIND_REGULAR,
                           (const struct sockaddr *)path->remote.addr, NULL, 0,
                           sslq_now(), token, tokenlen);
}

static void op_got_token(void *owner, sslq_conn *conn, const uint8_t *token,
                         size_t tokenlen)
{
    pconn *pc = owner;
    sslq_port *p = pc->port;
    const ngtcp2_path *path = sslq_conn_path(conn);
    client_token *ct = NULL;

    if (tokenlen > sizeof(ct->token) ||
        path->remote.addrlen > sizeof(ct->peer))
        return;
    for (size_t i = 0; i < MAX_CLIENT_TOKENS; i++)
        if (p->client_tokens[i].peerlen == path->remote.addrlen &&
            memcmp(&p->client_tokens[i].peer, path->remote.addr,
                   path->remote.addrlen) == 0)
            ct = &p->client_tokens[i];
    if (ct == NULL) {
        ct = &p->client_tokens[p->next_client_token];
        p->next_client_token = (p->next_client_token + 1) % MAX_CLIENT_TOKENS;
    }
    memcpy(&ct->peer, path->remote.addr, path->remote.addrlen);
    ct->peerlen = (socklen_t)path->remote.addrlen;
    memcpy(ct->token, token, tokenlen);
    ct->len = tokenlen;
}

static void op_event(void *owner, sslq_conn *conn)
{
    pconn *pc = owner;
    sslq_port *p = pc->port;

    touch(p, pc);
    if (p->ops && p->ops->event)
        p->ops->event(p->owner, conn);
}

static const sslq_conn_ops port_conn_ops = {
    op_cid_add, op_cid_remove, op_reset_token,
    op_make_token, op_got_token, op_event,
};

/* ---- construction ------------------------------------------------------ */

/* Receive buffers.  A port needs them only inside sslq_port_read (every
 * datagram is processed before it returns), so ports borrow a set per call
 * instead of each holding half a megabyte for GRO: there are as many sets as
 * threads reading at once, kept for reuse. */
#define RX_SET_MEM ((size_t)RX_SLOTS_GRO * SSLQ_UDP_GRO_BUFLEN)

typedef struct rx_set {
    struct rx_set *next;
    int gro;  /* how d[] is laid out over mem */
    size_t n; /* slots in use */
    sslq_dgram d[RX_SLOTS];
    uint8_t mem[RX_SET_MEM];
} rx_set;

_Static_assert((size_t)RX_SLOTS * RX_BUFLEN <= RX_SET_MEM,
               "a receive set holds the non-GRO layout too");

static pthread_mutex_t rx_mu = PTHREAD_MUTEX_INITIALIZER;
static rx_set *rx_free;

static rx_set *rx_borrow(int gro)
{
    rx_set *set;

    pthread_mutex_lock(&rx_mu);
    set = rx_free;
    if (set != NULL)
        rx_free = set->next;
    pthread_mutex_unlock(&rx_mu);
    if (set == NULL) {
        if ((set = malloc(sizeof(*set))) == NULL)
            return NULL;
        set->gro = !gro; /* laid out below */
    }
    if (set->gro != gro) {
        size_t len = gro ? SSLQ_UDP_GRO_BUFLEN : RX_BUFLEN;

        set->gro = gro;
        set->n = gro ? RX_SLOTS_GRO : RX_SLOTS;
        for (size_t i = 0; i < set->n; i++) {
            memset(&set->d[i], 0, sizeof(set->d[i]));
            set->d[i].data = set->mem + i * len;
            set->d[i].cap = len;
        }
    }
    return set;
}

static void rx_return(rx_set *set)
{
    pthread_mutex_lock(&rx_mu);
    set->next = rx_free;
    rx_free = set;
    pthread_mutex_unlock(&rx_mu);
}

static void read_local_addr(sslq_port *p)
{
    p->locallen = 0;
    if (p->udp == NULL ||
        sslq_udp_local_addr(p->udp, &p->local, &p->locallen) != 0)
        p->locallen = 0;
    if (p->locallen == 0) {
        /* A BIO without a socket: an unspecified IPv4 address stands for
         * "this end" on every path. */
        struct sockaddr_in *sin = (struct sockaddr_in *)&p->local;

        memset(&p->local, 0, sizeof(p->local));
        sin->sin_family = AF_INET;
        p->locallen = sizeof(*sin);
    }
}

int sslq_port_new(sslq_port **out, sslq_udp *udp, const sslq_port_config *cfg,
                  const sslq_port_ops *ops, void *owner)
{
    sslq_port *p;

    if (out == NULL || cfg == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return SSLQ_ERR_NOMEM;
    p->cfg = *cfg;
    p->ops = ops;
    p->owner = owner;
    p->udp = udp;
    p->txmem = malloc(TX_ARENA);
    if (p->txmem == NULL || sslq_cidmap_new(&p->cids) != 0 ||
        sslq_token_key_new(&p->tokens, NULL) != 0 ||
        sslq_random(p->reset_key, sizeof(p->reset_key)) != 0) {
        p->udp = NULL; /* not ours until we succeed */
        sslq_port_free(p);
        return SSLQ_ERR_NOMEM;
    }
    read_local_addr(p);
    p->reset_budget = cfg->resets_per_second;
    *out = p;
    return 0;
}

void sslq_port_free(sslq_port *p)
{
    pconn *pc, *next;

    if (p == NULL)
        return;
    for (pc = p->conns; pc != NULL; pc = next) {
        next = pc->next;
        sslq_conn_free(pc->conn);
        free(pc);
    }
    sslq_udp_free(p->udp);
    sslq_cidmap_free(p->cids);
    sslq_token_key_free(p->tokens);
    OPENSSL_cleanse(p->reset_key, sizeof(p->reset_key));
    free(p->heap);
    free(p->txmem);
    free(p);
}

void sslq_port_set_udp(sslq_port *p, sslq_udp *udp)
{
    if (p->udp == udp)
        return;
    sslq_udp_free(p->udp);
    p->udp = udp;
    p->ntx = 0;
    p->txoff = 0;
    p->train = NULL;
    read_local_addr(p);
}

sslq_udp *sslq_port_udp(const sslq_port *p)
{
    return p->udp;
}

sslq_port_config *sslq_port_get_config(sslq_port *p)
{
    return &p->cfg;
}

static pconn *pconn_new(sslq_port *p)
{
    pconn *pc = calloc(1, sizeof(*pc));

    if (pc == NULL)
        return NULL;
    pc->port = p;
    pc->heap_idx = NO_HEAP;
    return pc;
}

static void pconn_link(sslq_port *p, pconn *pc)
{
    pc->next = p->conns;
    if (p->conns)
        p->conns->prev = pc;
    p->conns = pc;
    p->stats.conns_created++;
    p->stats.conns_live++;
    touch(p, pc);
    heap_update(p, pc);
}

static void make_path(sslq_port *p, ngtcp2_path *path,
                      const struct sockaddr *peer, socklen_t peerlen,
                      const struct sockaddr *local, socklen_t locallen)
{
    /* The socket's bound address stands for the local end of every path
     * unless the datagram said exactly where it arrived. */
    (void)local;
    (void)locallen;
    ngtcp2_addr_init(&path->local, (const ngtcp2_sockaddr *)&p->local,
                     p->locallen);
    ngtcp2_addr_init(&path->remote, (const ngtcp2_sockaddr *)peer, peerlen);
    path->user_data = NULL;
}

int sslq_port_connect(sslq_port *p, SSL *ssl, const struct sockaddr *peer,
                      socklen_t peerlen, sslq_conn **out, uint64_t now)
{
    sslq_conn_config cfg = p->cfg.conn;
    ngtcp2_path path;
    pconn *pc;
    int rv;

    if (ssl == NULL || peer == NULL || out == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < MAX_CLIENT_TOKENS; i++) {
        client_token *ct = &p->client_tokens[i];

        if (ct->len && ct->peerlen == peerlen &&
            memcmp(&ct->peer, peer, peerlen) == 0) {
            cfg.token = ct->token;
            cfg.tokenlen = ct->len;
        }
    }
    pc = pconn_new(p);
    if (pc == NULL)
        return SSLQ_ERR_NOMEM;
    make_path(p, &path, peer, peerlen, NULL, 0);
    rv = sslq_conn_new_client(&pc->conn, ssl, &cfg, &path, &port_conn_ops, pc,
                              now);
    if (rv != 0) {
        free(pc);
        return rv;
    }
    pconn_link(p, pc);
    *out = pc->conn;
    return 0;
}

static pconn *pconn_of(sslq_conn *conn)
{
    return (pconn *)sslq_conn_owner(conn);
}

void sslq_port_conn_free(sslq_port *p, sslq_conn *conn)
{
    pconn *pc, **pp;

    if (conn == NULL)
        return;
    pc = pconn_of(conn);
    heap_remove(p, pc);
    for (pp = &p->touched; *pp != NULL; pp = &(*pp)->touch_next)
        if (*pp == pc) {
            *pp = pc->touch_next;
            break;
        }
    if (pc->prev)
        pc->prev->next = pc->next;
    else
        p->conns = pc->next;
    if (pc->next)
        pc->next->prev = pc->prev;
    p->stats.conns_live--;
    sslq_conn_free(conn);
    free(pc);
}

void sslq_port_conn_touch(sslq_port *p, sslq_conn *conn)
{
    touch(p, pconn_of(conn));
}

/* ---- stateless answers ---------------------------------------------------- */

/* The next free tx slot, with TX_BUFLEN bytes of the arena to write into;
 * NULL when the queue is full. */
static sslq_dgram *tx_slot(sslq_port *p)
{
    if (p->ntx == TX_SLOTS || TX_ARENA - p->txoff < TX_BUFLEN)
        return NULL;
    p->tx[p->ntx].data = p->txmem + p->txoff;
    return &p->tx[p->ntx];
}

static void tx_commit(sslq_port *p, sslq_dgram *d, size_t len,
                      const struct sockaddr *peer, socklen_t peerlen)
{
    d->len = len;
    d->segsize = 0;
    d->ecn = 0;
    d->locallen = 0;
    memcpy(&d->peer, peer, peerlen);
    d->peerlen = peerlen;
    p->ntx++;
    p->txoff += len;
    p->train = NULL;
}

static void send_version_negotiation(sslq_port *p, const ngtcp2_version_cid *vc,
                                     const struct sockaddr *peer,
                                     socklen_t peerlen)
{
    static const uint32_t versions[] = {NGTCP2_PROTO_VER_V1,
                                        SSLQ_NGTCP2_PROTO_VER_V2};
    sslq_dgram *d = tx_slot(p);
    uint8_t r;
    ngtcp2_ssize n;

    if (d == NULL)
        return;
    sslq_random(&r, 1);
    n = ngtcp2_pkt_write_version_negotiation(
        d->data, TX_BUFLEN, r, vc->scid, vc->scidlen, vc->dcid, vc->dcidlen,
        versions, sizeof(versions) / sizeof(versions[0]));
    if (n > 0) {
        tx_commit(p, d, (size_t)n, peer, peerlen);
        p->stats.vn_sent++;
    }
}

static void send_retry(sslq_port *p, const ngtcp2_pkt_hd *hd,
                       const struct sockaddr *peer, socklen_t peerlen)
{
    sslq_dgram *d = tx_slot(p);
    uint8_t token[SSLQ_TOKEN_MAX_LEN];
    size_t tokenlen, n;
    ngtcp2_cid scid;

    if (d == NULL)
        return;
    scid.datalen = SSLQ_CONN_SCID_LEN;
    if (sslq_random(scid.data, scid.datalen) != 0 ||
        sslq_token_make(p->tokens, SSLQ_TOKEN_KIND_RETRY, peer, hd->dcid.data,
                        hd->dcid.datalen, sslq_now(), token, &tokenlen) != 0)
        return;
    if (sslq_crypto_write_retry(d->data, TX_BUFLEN, hd->version, &hd->scid,
                                &scid, &hd->dcid, token, tokenlen, &n) != 0)
        return;
    tx_commit(p, d, n, peer, peerlen);
    p->stats.retries_sent++;
}

/* An Initial carrying CONNECTION_CLOSE with |code|, for a client we will not
 * serve (pending cap, invalid token). */
static void send_initial_close(sslq_port *p, const ngtcp2_pkt_hd *hd,
                               uint64_t code, const struct sockaddr *peer,
                               socklen_t peerlen)
{
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t csecret[SSLQ_INITIAL_SECRET_LEN], ssecret[SSLQ_INITIAL_SECRET_LEN];
    sslq_packet_keys keys;
    EVP_CIPHER_CTX *aead = NULL, *hp = NULL;
    ngtcp2_crypto_aead a;
    ngtcp2_crypto_aead_ctx actx;
    ngtcp2_crypto_cipher c;
    ngtcp2_crypto_cipher_ctx cctx;
    ngtcp2_cid scid;
    sslq_dgram *d = tx_slot(p);
    ngtcp2_ssize n;

    if (d == NULL ||
        sslq_initial_secrets(hd->version, hd->dcid.data, hd->dcid.datalen,
                             csecret, ssecret) != 0 ||
        sslq_derive_packet_keys(suite, hd->version, ssecret, sizeof(ssecret),
                                &keys) != 0)
        return;
    aead = sslq_aead_ctx_new(suite, keys.key, 1);
    hp = sslq_hp_ctx_new(suite, keys.hp);
    scid.datalen = SSLQ_CONN_SCID_LEN;
    if (aead == NULL || hp == NULL ||
        sslq_random(scid.data, scid.datalen) != 0)
        goto out;
    a.native_handle = (void *)suite->aead;
    a.max_overhead = SSLQ_TAG_LEN;
    actx.native_handle = aead;
    c.native_handle = (void *)suite->hp;
    cctx.native_handle = hp;
    n = ngtcp2_pkt_write_connection_close(
        d->data, TX_BUFLEN, hd->version, &hd->scid, &scid, code, NULL, 0,
        sslq_crypto_cb_encrypt, &a, &actx, keys.iv, sslq_crypto_cb_hp_mask,
        &c, &cctx);
    if (n > 0)
        tx_commit(p, d, (size_t)n, peer, peerlen);
out:
    EVP_CIPHER_CTX_free(aead);
    EVP_CIPHER_CTX_free(hp);
    OPENSSL_cleanse(&keys, sizeof(keys));
    OPENSSL_cleanse(csecret, sizeof(csecret));
    OPENSSL_cleanse(ssecret, sizeof(ssecret));
}

static int reset_allowed(sslq_port *p, uint64_t now)
{
    double rate = p->cfg.resets_per_second;

    if (rate <= 0)
        return 0;
    if (p->reset_refill == 0)
        p->reset_refill = now;
    p->reset_budget += (double)(now - p->reset_refill) * rate / 1e9;
    p->reset_refill = now;
    if (p->reset_budget > rate)
        p->reset_budget = rate;
    if (p->reset_budget < 1)
        return 0;
    p->reset_budget -= 1;
    return 1;
}

/* A short-header packet for a connection we do not know (RFC 9000 §10.3). */
static void send_stateless_reset(sslq_port *p, const ngtcp2_version_cid *vc,
                                 size_t pktlen, const struct sockaddr *peer,
                                 socklen_t peerlen, uint64_t now)
{
    uint8_t token[SSLQ_STATELESS_RESET_TOKEN_LEN], rnd[64];
    sslq_dgram *d = tx_slot(p);
    size_t randlen;
    ngtcp2_ssize n;

    /* Smaller than what triggered it, so two endpoints cannot loop; and
     * never smaller than a real short packet could be (41 bytes). */
    if (d == NULL || pktlen <= 41 || !reset_allowed(p, now))
        return;
    randlen = pktlen - 1 - SSLQ_STATELESS_RESET_TOKEN_LEN;
    if (randlen > sizeof(rnd))
        randlen = sizeof(rnd);
    if (randlen < NGTCP2_MIN_STATELESS_RESET_RANDLEN)
        return;
    if (sslq_stateless_reset_token(p->reset_key, vc->dcid, vc->dcidlen,
                                   token) != 0 ||
        sslq_random(rnd, randlen) != 0)
        return;
    n = ngtcp2_pkt_write_stateless_reset(d->data, TX_BUFLEN, token, rnd,
                                         randlen);
    if (n > 0) {
        tx_commit(p, d, (size_t)n, peer, peerlen);
        p->stats.resets_sent++;
    }
}

/* ---- receiving ---------------------------------------------------------- */

static void accept_initial(sslq_port *p, const uint8_t *data, size_t len,
                           const ngtcp2_path *path, uint8_t ecn, uint64_t now)
{
    const struct sockaddr *peer = (const struct sockaddr *)path->remote.addr;
    socklen_t peerlen = (socklen_t)path->remote.addrlen;
    ngtcp2_pkt_hd hd;
    ngtcp2_cid odcid_buf, *odcid = NULL;
    const uint8_t *token;
    size_t tokenlen;
    int validated = 0, verdict;
    pconn *pc;
    SSL *ssl;

    if (ngtcp2_accept(&hd, data, len) != 0 || hd.type != NGTCP2_PKT_INITIAL) {
        p->stats.rx_dropped++;
        return;
    }
    token = sslq_ngtcp2_pkt_hd_token(&hd, &tokenlen);
    if (tokenlen > 0 && token[0] == SSLQ_TOKEN_KIND_RETRY) {
        size_t cidlen = 0;

        if (sslq_token_check(p->tokens, SSLQ_TOKEN_KIND_RETRY, token, tokenlen,
                             peer, now,
                             p->cfg.retry_token_lifetime_ms * NS_PER_MS,
                             odcid_buf.data, &cidlen) != 0) {
            /* RFC 9000 §8.1.3: a bad Retry token means someone is guessing;
             * refuse the connection with INVALID_TOKEN. */
            p->stats.invalid_tokens++;
            send_initial_close(p, &hd, NGTCP2_INVALID_TOKEN, peer, peerlen);
            return;
        }
        odcid_buf.datalen = cidlen;
        odcid = &odcid_buf;
        validated = 1;
    } else if (tokenlen > 0 &&
               sslq_token_check(p->tokens, SSLQ_TOKEN_KIND_REGULAR, token,
                                tokenlen, peer, now,
                                p->cfg.new_token_lifetime_ms * NS_PER_MS,
                                NULL, NULL) == 0) {
        validated = 1;
    }
    verdict = p->ops != NULL && p->ops->may_accept != NULL
                  ? p->ops->may_accept(p->owner)
                  : SSLQ_ACCEPT_NO;
    if (verdict == SSLQ_ACCEPT_NO) {
        p->stats.refused++;
        send_initial_close(p, &hd, NGTCP2_CONNECTION_REFUSED, peer, peerlen);
        return;
    }
    if ((p->cfg.validate || verdict == SSLQ_ACCEPT_VALIDATED_ONLY) &&
        !validated) {
        send_retry(p, &hd, peer, peerlen);
        return;
    }
    ssl = p->ops->new_ssl ? p->ops->new_ssl(p->owner) : NULL;
    pc = ssl ? pconn_new(p) : NULL;
    if (pc == NULL ||
        sslq_conn_new_server(&pc->conn, ssl, &p->cfg.conn, path, &hd, odcid,
                             validated, &port_conn_ops, pc, now) != 0) {
        free(pc);
        if (ssl)
            SSL_free(ssl);
        p->stats.rx_dropped++;
        return;
    }
    pconn_link(p, pc);
    if (p->ops->incoming)
        p->ops->incoming(p->owner, pc->conn);
    sslq_conn_read(pc->conn, path, ecn, data, len, now);
    heap_update(p, pc);
}

static void process_dgram(sslq_port *p, const uint8_t *data, size_t len,
                          const struct sockaddr *peer, socklen_t peerlen,
                          uint8_t ecn, uint64_t now)
{
    ngtcp2_version_cid vc;
    ngtcp2_path path;
    pconn *pc;
    int rv;

    p->stats.rx_dgrams++;
    rv = ngtcp2_pkt_decode_version_cid(&vc, data, len, SSLQ_CONN_SCID_LEN);
    if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
        if (p->cfg.accept && len >= MIN_INITIAL_LEN)
            send_version_negotiation(p, &vc, peer, peerlen);
        else
            p->stats.rx_dropped++;
        return;
    }
    if (rv != 0) {
        p->stats.rx_dropped++;
        return;
    }
    make_path(p, &path, peer, peerlen, NULL, 0);
    pc = sslq_cidmap_get(p->cids, vc.dcid, vc.dcidlen);
    if (pc != NULL) {
        if (sslq_conn_read(pc->conn, &path, ecn, data, len, now) ==
            SSLQ_ERR_NOMEM)
            p->stats.rx_dropped++;
        touch(p, pc);
        heap_update(p, pc);
        return;
    }
    if (data[0] & 0x80) {
        /* Long header, unknown DCID: only a client's first Initial is
         * welcome (0-RTT and Handshake for nobody are dropped). */
        if (p->cfg.accept && len >= MIN_INITIAL_LEN)
            accept_initial(p, data, len, &path, ecn, now);
        else
            p->stats.rx_dropped++;
        return;
    }
    if (p->cfg.accept)
        send_stateless_reset(p, &vc, len, peer, peerlen, now);
    else
        p->stats.rx_dropped++;
}

int sslq_port_read(sslq_port *p, uint64_t now)
{
    size_t n = 0;
    int any = 0, rv = 0;
    rx_set *set;

    if (p->udp == NULL)
        return 0;
    set = rx_borrow((sslq_udp_features(p->udp) & SSLQ_UDP_F_GRO) != 0);
    if (set == NULL)
        return SSLQ_ERR_NOMEM;
    /* Bounded: a flood must not starve timers and sends. */
    for (int round = 0; round < 8; round++) {
        rv = sslq_udp_recv(p->udp, set->d, set->n, &n);
        if (rv != 0 || n == 0)
            break;
        any = 1;
        for (size_t i = 0; i < n; i++) {
            sslq_dgram *d = &set->d[i];
            size_t seg = d->segsize ? d->segsize : d->len;

            for (size_t off = 0; off < d->len; off += seg) {
                size_t l = d->len - off < seg ? d->len - off : seg;

                process_dgram(p, d->data + off, l,
                              (struct sockaddr *)&d->peer, d->peerlen, d->ecn,
                              now);
            }
        }
        if (n < set->n)
            break;
    }
    rx_return(set);
    if (rv != 0)
        return any ? 1 : rv;
    return any;
}

int sslq_port_inject(sslq_port *p, const uint8_t *data, size_t len,
                     const struct sockaddr *peer, socklen_t peerlen,
                     const struct sockaddr *local, socklen_t locallen,
                     uint64_t now)
{
    (void)local;
    (void)locallen;
    if (data == NULL || peer == NULL || len == 0)
        return SSLQ_ERR_INVALID_ARGUMENT;
    process_dgram(p, data, len, peer, peerlen, 0, now);
    return 0;
}

void sslq_port_timers(sslq_port *p, uint64_t now)
{
    while (p->heaplen > 0 && p->heap[0]->expiry <= now) {
        pconn *pc = p->heap[0];

        sslq_conn_handle_expiry(pc->conn, now);
        touch(p, pc);
        /* A timer still due wants a write first (flush re-arms it): out of
         * the heap until then, so this loop never spins. */
        if (heap_update(p, pc) != 0 || pc->expiry <= now)
            heap_remove(p, pc);
    }
}

/* ---- sending ----------------------------------------------------------- */

static int tx_flush(sslq_port *p)
{
    size_t sent = 0;

    if (p->ntx == 0)
        return 0;
    if (p->udp == NULL) { /* nowhere to send: the packets are lost */
        p->ntx = 0;
        p->txoff = 0;
        p->train = NULL;
        return 0;
    }
    if (sslq_udp_send(p->udp, p->tx, p->ntx, &sent) != 0)
        sent = p->ntx; /* a broken endpoint: the packets are lost */
    p->stats.tx_dgrams += sent;
    p->train = NULL;
    if (sent < p->ntx) {
        /* Keep the rest, in order, at the front of the slots and arena. */
        size_t from = (size_t)(p->tx[sent].data - p->txmem);

        memmove(p->txmem, p->txmem + from, p->txoff - from);
        p->txoff -= from;
        for (size_t i = sent; i < p->ntx; i++) {
            p->tx[i - sent] = p->tx[i];
            p->tx[i - sent].data -= from;
        }
        p->ntx -= sent;
        return 1;
    }
    p->ntx = 0;
    p->txoff = 0;
    return 0;
}

/* 1 when a |len|-byte packet of |pc| just written at the arena's end can
 * join the GSO train in tx[ntx - 1]: same connection, path and ECN marking,
 * every earlier segment full-sized and no longer than it, and the train
 * within the kernel's segment count and datagram size. */
static int tx_joins_train(const sslq_port *p, const pconn *pc, size_t len,
                          const ngtcp2_path *path, uint8_t ecn)
{
    const sslq_dgram *t;
    size_t seg;

    if (p->train != pc || p->ntx == 0 || p->udp == NULL ||
        !(sslq_udp_features(p->udp) & SSLQ_UDP_F_GSO))
        return 0;
    t = &p->tx[p->ntx - 1];
    seg = t->segsize ? t->segsize : t->len;
    return t->ecn == ecn && len <= seg && t->len % seg == 0 &&
           t->len / seg < SSLQ_UDP_MAX_GSO_SEGMENTS &&
           t->len + len <= SSLQ_UDP_MAX_PAYLOAD &&
           t->peerlen == (socklen_t)path->remote.addrlen &&
           memcmp(&t->peer, path->remote.addr, t->peerlen) == 0;
}

/* Writes |pc|'s datagrams; 1 when the socket filled up first. */
static int write_conn(sslq_port *p, pconn *pc, uint64_t now)
{
    ngtcp2_path_storage ps;

    for (;;) {
        sslq_dgram *d;
        size_t len = 0;
        uint8_t ecn = 0;

        d = tx_slot(p);
        if (d == NULL) {
            if (tx_flush(p) != 0 || (d = tx_slot(p)) == NULL)
                return 1;
        }
        if (sslq_conn_write(pc->conn, d->data, TX_BUFLEN, &len, &ps, &ecn,
                            now) != 0 ||
            len == 0)
            return 0;
        if (tx_joins_train(p, pc, len, &ps.path, ecn)) {
            sslq_dgram *t = &p->tx[p->ntx - 1];

            if (t->segsize == 0)
                t->segsize = t->len;
            t->len += len;
            p->txoff += len;
            continue;
        }
        tx_commit(p, d, len, (const struct sockaddr *)ps.path.remote.addr,
                  (socklen_t)ps.path.remote.addrlen);
        d->ecn = ecn;
        p->train = pc;
    }
}

int sslq_port_flush(sslq_port *p, uint64_t now)
{
    if (tx_flush(p) != 0)
        return 1;
    while (p->touched != NULL) {
        pconn *pc = p->touched;

        p->touched = pc->touch_next;
        pc->touched = 0;
        pc->touch_next = NULL;
        if (write_conn(p, pc, now) != 0) {
            touch(p, pc); /* more to send once writable */
            return 1;
        }
        heap_update(p, pc);
        if (sslq_conn_state(pc->conn) == SSLQ_CONN_CLOSED && !pc->closed_seen) {
            pc->closed_seen = 1;
            if (p->ops && p->ops->event)
                p->ops->event(p->owner, pc->conn);
        }
    }
    return tx_flush(p);
}

int sslq_port_tick(sslq_port *p, uint64_t now)
{
    int rv = sslq_port_read(p, now);

    if (rv < 0 && rv != SSLQ_ERR_IO)
        return rv;
    sslq_port_timers(p, now);
    sslq_port_flush(p, now);
    return 0;
}

uint64_t sslq_port_next_timeout(const sslq_port *p)
{
    return p->heaplen ? p->heap[0]->expiry : UINT64_MAX;
}

int sslq_port_write_pending(const sslq_port *p)
{
    return p->ntx > 0 || p->touched != NULL;
}

void sslq_port_get_stats(const sslq_port *p, sslq_port_stats *out)
{
    *out = p->stats;
}
