/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg, struct in6_pktinfo */
#include "udp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "error.h"

#if OPENSSL_VERSION_NUMBER >= 0x30200000L
#define SSLQ_HAVE_BIO_MMSG 1
#endif

/* Socket buffers worth a few bandwidth-delay products of a fast path; the
 * kernel caps the request at net.core.[rw]mem_max. */
#define UDP_SOCKBUF_WANTED (4 * 1024 * 1024)
/* A generic BIO reads into this when a caller's buffer is smaller: a read
 * that fills all of it cannot be a UDP datagram, so a cut is always seen. */
#define UDP_SCRATCH_LEN (SSLQ_UDP_GRO_BUFLEN + 1)
/* recvmmsg calls per sslq_udp_recv, so that a flood of oversized datagrams
 * or socket errors cannot keep one call busy for ever. */
#define UDP_RECV_MAX_CALLS 8
/* Retries of one send after the kernel reported a pending ICMP error
 * instead of sending (the report clears the error). */
#define UDP_SEND_MAX_ERR_RETRIES 4

/* Room for every control message either direction uses at once. */
#define UDP_CTRL_LEN                                                           \
    (CMSG_SPACE(sizeof(struct in6_pktinfo)) +                                  \
     CMSG_SPACE(sizeof(struct in_pktinfo)) + 3 * CMSG_SPACE(sizeof(int)) + 64)

typedef union udp_ctrl {
    struct cmsghdr align;
    uint8_t buf[UDP_CTRL_LEN];
} udp_ctrl;

/* One send call's worth of one message: a datagram, or a GSO train. */
typedef struct udp_unit {
    size_t msg; /* index in the caller's array */
    size_t off; /* offset in that message's data */
    size_t len;
    size_t gso; /* segment size when sent as a GSO train, else 0 */
} udp_unit;

struct sslq_udp {
    int fd;        /* -1 on the generic BIO path */
    int own_fd;    /* close fd on free */
    int family;    /* AF_INET or AF_INET6 (fast path) */
    uint16_t port; /* bound port, network order; 0 until bound */
    unsigned features;
    sslq_udp_stats stats;

    struct mmsghdr hdr[SSLQ_UDP_MAX_BATCH];
    struct iovec iov[SSLQ_UDP_MAX_BATCH];
    udp_ctrl ctrl[SSLQ_UDP_MAX_BATCH];
    udp_unit units[SSLQ_UDP_MAX_BATCH];

    /* generic BIO path */
    BIO *bio;
    uint8_t *scratch; /* UDP_SCRATCH_LEN bytes */
    BIO_ADDR *addr;
#ifdef SSLQ_HAVE_BIO_MMSG
    int mmsg_recv;  /* BIO_recvmmsg not (yet) refused */
    int mmsg_send;  /* BIO_sendmmsg not (yet) refused */
    int mmsg_peer;  /* BIO_sendmmsg accepts a destination address */
    int mmsg_local; /* local address support enabled on the BIO */
    BIO_MSG bmsg[SSLQ_UDP_MAX_BATCH];
    BIO_ADDR *bpeer[SSLQ_UDP_MAX_BATCH];
    BIO_ADDR *blocal[SSLQ_UDP_MAX_BATCH];
#endif
};

/* ---- addresses -------------------------------------------------------- */

static int sa_is_v4mapped(const struct sockaddr_storage *ss, socklen_t len)
{
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

    return ss->ss_family == AF_INET6 && len >= sizeof(*sin6) &&
           IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr);
}

/* The IPv4 address in |ss| (AF_INET, or v4-mapped AF_INET6). */
static struct in_addr sa_v4addr(const struct sockaddr_storage *ss)
{
    struct in_addr a;

    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_addr;
    memcpy(&a, &((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr[12],
           sizeof(a));
    return a;
}

static int sa_valid(const struct sockaddr_storage *ss, socklen_t len)
{
    if (len == 0)
        return 1;
    if (ss->ss_family == AF_INET)
        return len >= sizeof(struct sockaddr_in) && len <= sizeof(*ss);
    if (ss->ss_family == AF_INET6)
        return len >= sizeof(struct sockaddr_in6) && len <= sizeof(*ss);
    return 0;
}

static int sa_to_bioaddr(BIO_ADDR *a, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

        return BIO_ADDR_rawmake(a, AF_INET, &sin->sin_addr,
                                sizeof(sin->sin_addr), sin->sin_port);
    }
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

    return BIO_ADDR_rawmake(a, AF_INET6, &sin6->sin6_addr,
                            sizeof(sin6->sin6_addr), sin6->sin6_port);
}

/* |a| as a sockaddr; 0 for a family other than IPv4/IPv6 (AF_UNSPEC when
 * the BIO did not say). */
static socklen_t bioaddr_to_sa(const BIO_ADDR *a, struct sockaddr_storage *ss)
{
    size_t rawlen = 0;
    int family = BIO_ADDR_family(a);

    memset(ss, 0, sizeof(*ss));
    if ((family != AF_INET && family != AF_INET6) ||
        !BIO_ADDR_rawaddress(a, NULL, &rawlen))
        return 0;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        if (rawlen != sizeof(sin->sin_addr))
            return 0;
        sin->sin_family = AF_INET;
        sin->sin_port = BIO_ADDR_rawport(a);
        BIO_ADDR_rawaddress(a, &sin->sin_addr, &rawlen);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    if (rawlen != sizeof(sin6->sin6_addr))
        return 0;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = BIO_ADDR_rawport(a);
    BIO_ADDR_rawaddress(a, &sin6->sin6_addr, &rawlen);
    return sizeof(*sin6);
}

/* ---- construction ----------------------------------------------------- */

static int sockopt_on(int fd, int level, int name)
{
    int one = 1;

    return setsockopt(fd, level, name, &one, sizeof(one)) == 0;
}

static void grow_sockbuf(int fd, int name)
{
    int cur = 0, want = UDP_SOCKBUF_WANTED;
    socklen_t len = sizeof(cur);

    /* The kernel reports double what was set; never shrink a buffer the
     * application already made larger. */
    if (getsockopt(fd, SOL_SOCKET, name, &cur, &len) == 0 && cur >= want)
        return;
    (void)setsockopt(fd, SOL_SOCKET, name, &want, sizeof(want));
}

static int refresh_port(sslq_udp *u)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(u->fd, (struct sockaddr *)&ss, &len) != 0)
        return SSLQ_ERR_IO;
    if (ss.ss_family == AF_INET)
        u->port = ((struct sockaddr_in *)&ss)->sin_port;
    else if (ss.ss_family == AF_INET6)
        u->port = ((struct sockaddr_in6 *)&ss)->sin6_port;
    return 0;
}

static int setup_fd(sslq_udp *u, int fd, unsigned flags)
{
    struct sockaddr_storage ss;
    int type = 0, v, fl;
    socklen_t len = sizeof(type);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        type != SOCK_DGRAM)
        return SSLQ_ERR_INVALID_ARGUMENT;
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
        return SSLQ_ERR_INVALID_ARGUMENT;
    u->fd = fd;
    u->family = ss.ss_family;
    refresh_port(u);

    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return SSLQ_ERR_INVALID_ARGUMENT;
    grow_sockbuf(fd, SO_RCVBUF);
    grow_sockbuf(fd, SO_SNDBUF);

    u->features = SSLQ_UDP_F_MMSG;
    /* IPv4 options on an IPv6 socket govern its v4-mapped traffic; they are
     * best effort there (an IPV6_V6ONLY socket has none). */
    v = IP_PMTUDISC_PROBE;
    (void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
    if (u->family == AF_INET) {
        if (sockopt_on(fd, IPPROTO_IP, IP_RECVTOS))
            u->features |= SSLQ_UDP_F_ECN;
        if (sockopt_on(fd, IPPROTO_IP, IP_PKTINFO))
            u->features |= SSLQ_UDP_F_PKTINFO;
    } else {
        v = IPV6_PMTUDISC_PROBE;
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v));
        if (sockopt_on(fd, IPPROTO_IPV6, IPV6_RECVTCLASS))
            u->features |= SSLQ_UDP_F_ECN;
        (void)sockopt_on(fd, IPPROTO_IP, IP_RECVTOS);
        if (sockopt_on(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO))
            u->features |= SSLQ_UDP_F_PKTINFO;
    }
#ifdef UDP_SEGMENT
    /* A kernel that knows the option answers the query; nothing is set. */
    v = 0;
    len = sizeof(v);
    if (getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &len) == 0)
        u->features |= SSLQ_UDP_F_GSO;
#endif
#ifdef UDP_GRO
    if ((flags & SSLQ_UDP_GRO) && sockopt_on(fd, SOL_UDP, UDP_GRO))
        u->features |= SSLQ_UDP_F_GRO;
#endif
    return 0;
}

static sslq_udp *udp_alloc(void)
{
    sslq_udp *u = calloc(1, sizeof(*u));

    if (u != NULL)
        u->fd = -1;
    return u;
}

int sslq_udp_new_fd(sslq_udp **out, int fd, unsigned flags)
{
    sslq_udp *u;
    int rc;

    if (out == NULL || fd < 0 || (flags & ~(SSLQ_UDP_OWN_FD | SSLQ_UDP_GRO)))
        return SSLQ_ERR_INVALID_ARGUMENT;
    if ((u = udp_alloc()) == NULL)
        return SSLQ_ERR_NOMEM;
    if ((rc = setup_fd(u, fd, flags)) != 0) {
        free(u);
        return rc;
    }
    u->own_fd = (flags & SSLQ_UDP_OWN_FD) != 0;
    *out = u;
    return 0;
}

static int setup_bio(sslq_udp *u, BIO *bio)
{
    u->bio = bio;
    if ((u->scratch = malloc(UDP_SCRATCH_LEN)) == NULL ||
        (u->addr = BIO_ADDR_new()) == NULL)
        return SSLQ_ERR_NOMEM;
#ifdef SSLQ_HAVE_BIO_MMSG
    for (size_t i = 0; i < SSLQ_UDP_MAX_BATCH; i++)
        if ((u->bpeer[i] = BIO_ADDR_new()) == NULL ||
            (u->blocal[i] = BIO_ADDR_new()) == NULL)
            return SSLQ_ERR_NOMEM;
    u->mmsg_recv = u->mmsg_send = u->mmsg_peer = 1;
    /* Both calls are harmless controls on a BIO that knows nothing of them;
     * the error they may leave is not the caller's business. */
    ERR_set_mark();
    u->mmsg_local = BIO_dgram_get_local_addr_cap(bio) == 1 &&
                    BIO_dgram_set_local_addr_enable(bio, 1) == 1;
    ERR_pop_to_mark();
    if (u->mmsg_local)
        u->features |= SSLQ_UDP_F_PKTINFO;
    u->features |= SSLQ_UDP_F_MMSG;
#endif
    return 0;
}

int sslq_udp_new_bio(sslq_udp **out, BIO *bio, unsigned flags)
{
    sslq_udp *u;
    int fd = -1, rc;

    if (out == NULL || bio == NULL || (flags & ~SSLQ_UDP_GRO))
        return SSLQ_ERR_INVALID_ARGUMENT;
    if ((u = udp_alloc()) == NULL)
        return SSLQ_ERR_NOMEM;
    rc = SSLQ_ERR_INVALID_ARGUMENT;
    /* A socket BIO: use its descriptor directly, it stays the BIO's. */
    if (BIO_method_type(bio) == BIO_TYPE_DGRAM && BIO_get_fd(bio, &fd) >= 0 &&
        fd >= 0)
        rc = setup_fd(u, fd, flags);
    if (rc != 0) {
        memset(u, 0, sizeof(*u));
        u->fd = -1;
        rc = setup_bio(u, bio);
    }
    if (rc != 0) {
        sslq_udp_free(u);
        return rc;
    }
    *out = u;
    return 0;
}

void sslq_udp_free(sslq_udp *u)
{
    if (u == NULL)
        return;
    if (u->own_fd && u->fd >= 0)
        close(u->fd);
    free(u->scratch);
    BIO_ADDR_free(u->addr);
#ifdef SSLQ_HAVE_BIO_MMSG
    for (size_t i = 0; i < SSLQ_UDP_MAX_BATCH; i++) {
        BIO_ADDR_free(u->bpeer[i]);
        BIO_ADDR_free(u->blocal[i]);
    }
#endif
    free(u);
}

/* ---- small accessors -------------------------------------------------- */

int sslq_udp_get_fd(const sslq_udp *u)
{
    return u != NULL ? u->fd : -1;
}

unsigned sslq_udp_features(const sslq_udp *u)
{
    return u != NULL ? u->features : 0;
}

void sslq_udp_disable(sslq_udp *u, unsigned mask)
{
    if (u == NULL)
        return;
    mask &=
        SSLQ_UDP_F_GSO | SSLQ_UDP_F_GRO | SSLQ_UDP_F_ECN | SSLQ_UDP_F_PKTINFO;
#ifdef UDP_GRO
    if ((mask & u->features & SSLQ_UDP_F_GRO) && u->fd >= 0) {
        int zero = 0;

        (void)setsockopt(u->fd, SOL_UDP, UDP_GRO, &zero, sizeof(zero));
    }
#endif
    u->features &= ~mask;
}

void sslq_udp_get_stats(const sslq_udp *u, sslq_udp_stats *out)
{
    if (u == NULL || out == NULL)
        return;
    *out = u->stats;
}

int sslq_udp_local_addr(const sslq_udp *u, struct sockaddr_storage *addr,
                        socklen_t *len)
{
    if (u == NULL || addr == NULL || len == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    memset(addr, 0, sizeof(*addr));
    if (u->fd < 0) {
        *len = 0;
        return 0;
    }
    *len = sizeof(*addr);
    if (getsockname(u->fd, (struct sockaddr *)addr, len) != 0)
        return SSLQ_ERR_IO;
    return 0;
}

/* ---- receive ---------------------------------------------------------- */

static void swap_dgram(sslq_dgram *a, sslq_dgram *b)
{
    sslq_dgram t = *a;

    *a = *b;
    *b = t;
}

/* Errors a socket reports on behalf of earlier traffic (ICMP) or of the
 * moment: they say nothing about the socket itself. */
static int is_transient_errno(int err)
{
    switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case EPROTO:
    case ETIMEDOUT:
        return 1;
    default:
        return 0;
    }
}

static void parse_cmsgs(const sslq_udp *u, struct msghdr *mh, sslq_dgram *d)
{
    size_t gro = 0;

    d->ecn = 0;
    d->locallen = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL;
         cm = CMSG_NXTHDR(mh, cm)) {
        const uint8_t *p = CMSG_DATA(cm);
        size_t plen = cm->cmsg_len - CMSG_LEN(0);
        int iv;

        if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS &&
            plen >= 1) {
            d->ecn = p[0] & 3;
        } else if (cm->cmsg_level == IPPROTO_IPV6 &&
                   cm->cmsg_type == IPV6_TCLASS && plen >= sizeof(int)) {
            memcpy(&iv, p, sizeof(iv));
            d->ecn = (uint8_t)(iv & 3);
        } else if (cm->cmsg_level == IPPROTO_IP &&
                   cm->cmsg_type == IP_PKTINFO && u->family == AF_INET &&
                   plen >= sizeof(struct in_pktinfo)) {
            struct in_pktinfo pi;
            struct sockaddr_in *sin = (struct sockaddr_in *)&d->local;

            memcpy(&pi, p, sizeof(pi));
            memset(&d->local, 0, sizeof(d->local));
            sin->sin_family = AF_INET;
            sin->sin_addr = pi.ipi_addr;
            sin->sin_port = u->port;
            d->locallen = sizeof(*sin);
        } else if (cm->cmsg_level == IPPROTO_IPV6 &&
                   cm->cmsg_type == IPV6_PKTINFO && u->family == AF_INET6 &&
                   plen >= sizeof(struct in6_pktinfo)) {
            struct in6_pktinfo pi;
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d->local;

            memcpy(&pi, p, sizeof(pi));
            memset(&d->local, 0, sizeof(d->local));
            sin6->sin6_family = AF_INET6;
            sin6->sin6_addr = pi.ipi6_addr;
            sin6->sin6_port = u->port;
            if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
                sin6->sin6_scope_id = pi.ipi6_ifindex;
            d->locallen = sizeof(*sin6);
#ifdef UDP_GRO
        } else if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
                   plen >= sizeof(int)) {
            memcpy(&iv, p, sizeof(iv));
            gro = iv > 0 ? (size_t)iv : 0;
#endif
        }
    }
    if (!(u->features & SSLQ_UDP_F_ECN))
        d->ecn = 0;
    if (!(u->features & SSLQ_UDP_F_PKTINFO))
        d->locallen = 0;
    d->segsize = gro != 0 && d->len > gro ? gro : 0;
}

static int fd_recv(sslq_udp *u, sslq_dgram *msgs, size_t n, size_t *nrecv)
{
    size_t filled = 0;
    int rc = 0;

    if (u->port == 0)
        refresh_port(u);
    for (int calls = 0; filled < n && calls < UDP_RECV_MAX_CALLS; calls++) {
        size_t m =
            n - filled < SSLQ_UDP_MAX_BATCH ? n - filled : SSLQ_UDP_MAX_BATCH;
        size_t w = filled;
        int r;

        for (size_t i = 0; i < m; i++) {
            sslq_dgram *d = &msgs[filled + i];
            struct msghdr *mh = &u->hdr[i].msg_hdr;

            u->iov[i].iov_base = d->data;
            u->iov[i].iov_len = d->cap;
            memset(mh, 0, sizeof(*mh));
            mh->msg_name = &d->peer;
            mh->msg_namelen = sizeof(d->peer);
            mh->msg_iov = &u->iov[i];
            mh->msg_iovlen = 1;
            mh->msg_control = u->ctrl[i].buf;
            mh->msg_controllen = sizeof(u->ctrl[i].buf);
        }
        r = recvmmsg(u->fd, u->hdr, (unsigned)m, MSG_DONTWAIT, NULL);
        if (r < 0) {
            int err = errno;

            if (err == EAGAIN || err == EWOULDBLOCK)
                break;
            if (err == EINTR)
                continue;
            if (is_transient_errno(err)) {
                u->stats.rx_errors++;
                continue;
            }
            rc = err == ENOMEM || err == ENOBUFS ? SSLQ_ERR_NOMEM : SSLQ_ERR_IO;
            break;
        }
        for (size_t i = 0; i < (size_t)r; i++) {
            struct msghdr *mh = &u->hdr[i].msg_hdr;
            sslq_dgram *d = &msgs[filled + i];

            if (mh->msg_flags & MSG_TRUNC) {
                u->stats.rx_truncated++;
                continue;
            }
            d->len = u->hdr[i].msg_len;
            d->peerlen = mh->msg_namelen;
            parse_cmsgs(u, mh, d);
            /* Close the gap a dropped datagram left: its buffer moves
             * back, this one forward. */
            if (w != filled + i)
                swap_dgram(&msgs[w], d);
            w++;
        }
        u->stats.rx_dgrams += w - filled;
        filled = w;
        if ((size_t)r < m)
            break; /* the queue is empty */
    }
    *nrecv = filled;
    return filled > 0 ? 0 : rc;
}

/* Fills |d| from one datagram read into |buf| (|got| bytes); 0 when it was
 * cut and dropped. */
static int bio_deliver(sslq_udp *u, sslq_dgram *d, const uint8_t *buf,
                       size_t got)
{
    if (got >= UDP_SCRATCH_LEN || got > d->cap) {
        u->stats.rx_truncated++;
        return 0;
    }
    if (buf != d->data)
        memcpy(d->data, buf, got);
    d->len = got;
    d->segsize = 0;
    d->ecn = 0;
    d->locallen = 0;
    d->peerlen = 0;
    return 1;
}

static int bio_read_recv(sslq_udp *u, sslq_dgram *msgs, size_t n, size_t *nrecv)
{
    size_t filled = 0;
    int rc = 0;

    /* Each read consumes one datagram, so a bound on reads bounds the
     * work an oversized flood can cause. */
    for (size_t reads = 0; filled < n && reads < n + SSLQ_UDP_MAX_BATCH;
         reads++) {
        sslq_dgram *d = &msgs[filled];
        int direct = d->cap >= UDP_SCRATCH_LEN;
        uint8_t *buf = direct ? d->data : u->scratch;
        int want = direct && d->cap < INT_MAX ? (int)d->cap
                   : direct                   ? INT_MAX
                                              : UDP_SCRATCH_LEN;
        int got;

        ERR_set_mark();
        got = BIO_read(u->bio, buf, want);
        if (got <= 0) {
            int retry = BIO_should_retry(u->bio);

            ERR_pop_to_mark();
            if (!retry)
                rc = SSLQ_ERR_IO;
            break;
        }
        if (!bio_deliver(u, d, buf, (size_t)got)) {
            ERR_pop_to_mark();
            continue;
        }
        BIO_ADDR_clear(u->addr);
        if (BIO_ctrl(u->bio, BIO_CTRL_DGRAM_GET_PEER, 0, u->addr) > 0)
            d->peerlen = bioaddr_to_sa(u->addr, &d->peer);
        ERR_pop_to_mark();
        filled++;
    }
    u->stats.rx_dgrams += filled;
    *nrecv = filled;
    return filled > 0 ? 0 : rc;
}

#ifdef SSLQ_HAVE_BIO_MMSG
/* The BIO's error after a failed BIO_recvmmsg/BIO_sendmmsg, taken off the
 * error queue. */
static unsigned long mmsg_error(void)
{
    unsigned long e = ERR_peek_last_error();

    ERR_pop_to_mark();
    return e;
}

static int is_bio_reason(unsigned long e, int reason)
{
    return ERR_GET_LIB(e) == ERR_LIB_BIO && ERR_GET_REASON(e) == reason;
}

/* 1 when BIO_recvmmsg is refused and the caller should use BIO_read. */
static int bio_mmsg_recv(sslq_udp *u, sslq_dgram *msgs, size_t n, size_t *nrecv,
                         int *rc)
{
    size_t filled = 0;

    *rc = 0;
    for (size_t calls = 0; filled < n && calls < n + SSLQ_UDP_MAX_BATCH;
         calls++) {
        size_t m =
            n - filled < SSLQ_UDP_MAX_BATCH ? n - filled : SSLQ_UDP_MAX_BATCH;
        size_t done = 0, w = filled;
        int via_scratch = 0;

        /* A buffer too small to see a cut datagram takes the datagram
         * through the scratch buffer, one at a time. */
        for (size_t i = 0; i < m; i++)
            if (msgs[filled + i].cap < UDP_SCRATCH_LEN)
                via_scratch = 1;
        if (via_scratch)
            m = 1;
        for (size_t i = 0; i < m; i++) {
            BIO_MSG *bm = &u->bmsg[i];

            memset(bm, 0, sizeof(*bm));
            bm->data = via_scratch ? u->scratch : msgs[filled + i].data;
            bm->data_len = via_scratch ? UDP_SCRATCH_LEN : msgs[filled + i].cap;
            BIO_ADDR_clear(u->bpeer[i]);
            BIO_ADDR_clear(u->blocal[i]);
            bm->peer = u->bpeer[i];
            bm->local = u->mmsg_local ? u->blocal[i] : NULL;
        }
        ERR_set_mark();
        if (!BIO_recvmmsg(u->bio, u->bmsg, sizeof(BIO_MSG), m, 0, &done)) {
            unsigned long e = mmsg_error();

            if (filled == 0 && is_bio_reason(e, BIO_R_UNSUPPORTED_METHOD)) {
                u->mmsg_recv = 0;
                u->features &= ~SSLQ_UDP_F_MMSG;
                return 1;
            }
            if (!BIO_err_is_non_fatal(e))
                *rc = SSLQ_ERR_IO;
            break;
        }
        ERR_pop_to_mark();
        for (size_t i = 0; i < done; i++) {
            sslq_dgram *d = &msgs[filled + i];

            if (!bio_deliver(u, d, u->bmsg[i].data, u->bmsg[i].data_len))
                continue;
            d->peerlen = bioaddr_to_sa(u->bpeer[i], &d->peer);
            if (u->mmsg_local && (u->features & SSLQ_UDP_F_PKTINFO))
                d->locallen = bioaddr_to_sa(u->blocal[i], &d->local);
            if (w != filled + i)
                swap_dgram(&msgs[w], d);
            w++;
        }
        filled = w;
        if (done < m)
            break;
    }
    u->stats.rx_dgrams += filled;
    *nrecv = filled;
    if (filled > 0)
        *rc = 0;
    return 0;
}
#endif

int sslq_udp_recv(sslq_udp *u, sslq_dgram *msgs, size_t n, size_t *nrecv)
{
    if (nrecv != NULL)
        *nrecv = 0;
    if (u == NULL || (msgs == NULL && n > 0) || nrecv == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < n; i++) {
        if (msgs[i].data == NULL && msgs[i].cap > 0)
            return SSLQ_ERR_INVALID_ARGUMENT;
        if ((u->features & SSLQ_UDP_F_GRO) && msgs[i].cap < SSLQ_UDP_GRO_BUFLEN)
            return SSLQ_ERR_INVALID_ARGUMENT;
    }
    if (n == 0)
        return 0;
    if (u->fd >= 0)
        return fd_recv(u, msgs, n, nrecv);
#ifdef SSLQ_HAVE_BIO_MMSG
    if (u->mmsg_recv) {
        int rc;

        if (!bio_mmsg_recv(u, msgs, n, nrecv, &rc))
            return rc;
    }
#endif
    return bio_read_recv(u, msgs, n, nrecv);
}

/* ---- send ------------------------------------------------------------- */

/* Cuts messages [*mi..n) starting at offset *moff into at most |max| units,
 * GSO trains where |gso_ok|; returns the count. */
static size_t build_units(udp_unit *units, size_t max, const sslq_dgram *msgs,
                          size_t n, size_t mi, size_t moff, int gso_ok)
{
    size_t k = 0;

    while (k < max && mi < n) {
        const sslq_dgram *m = &msgs[mi];
        size_t rest = m->len - moff, seg = m->segsize, len = rest, gso = 0;

        if (seg != 0 && rest > seg) {
            size_t per = SSLQ_UDP_MAX_PAYLOAD / seg;

            if (per > SSLQ_UDP_MAX_GSO_SEGMENTS)
                per = SSLQ_UDP_MAX_GSO_SEGMENTS;
            if (gso_ok && per > 1) {
                len = rest < per * seg ? rest : per * seg;
                gso = len > seg ? seg : 0;
            } else {
                len = seg;
            }
        }
        units[k].msg = mi;
        units[k].off = moff;
        units[k].len = len;
        units[k].gso = gso;
        k++;
        moff += len;
        if (moff >= m->len) {
            mi++;
            moff = 0;
        }
    }
    return k;
}

/* Moves the cursor past |unit|. */
static void advance(const sslq_dgram *msgs, const udp_unit *unit, size_t *mi,
                    size_t *moff)
{
    *mi = unit->msg;
    *moff = unit->off + unit->len;
    if (*moff >= msgs[*mi].len) {
        (*mi)++;
        *moff = 0;
    }
}

static uint64_t unit_dgrams(const udp_unit *unit)
{
    return unit->gso != 0 ? (unit->len + unit->gso - 1) / unit->gso : 1;
}

static void *put_cmsg(uint8_t *buf, size_t *off, int level, int type,
                      size_t len)
{
    struct cmsghdr *cm = (struct cmsghdr *)(void *)(buf + *off);

    memset(cm, 0, CMSG_SPACE(len));
    cm->cmsg_level = level;
    cm->cmsg_type = type;
    cm->cmsg_len = CMSG_LEN(len);
    *off += CMSG_SPACE(len);
    return CMSG_DATA(cm);
}

/* Writes the control messages |unit| of |m| needs; returns their length. */
static size_t send_cmsgs(const sslq_udp *u, const sslq_dgram *m,
                         const udp_unit *unit, uint8_t *buf)
{
    size_t off = 0;
    int v4;

    /* IPv4 traffic on a dual-stack socket takes the IPv4 options. */
    if (m->peerlen > 0)
        v4 = m->peer.ss_family == AF_INET ||
             sa_is_v4mapped(&m->peer, m->peerlen);
    else if (m->locallen > 0)
        v4 = m->local.ss_family == AF_INET ||
             sa_is_v4mapped(&m->local, m->locallen);
    else
        v4 = u->family == AF_INET;

#ifdef UDP_SEGMENT
    if (unit->gso != 0) {
        uint16_t seg = (uint16_t)unit->gso;

        memcpy(put_cmsg(buf, &off, SOL_UDP, UDP_SEGMENT, sizeof(seg)), &seg,
               sizeof(seg));
    }
#endif
    if ((u->features & SSLQ_UDP_F_ECN) && (m->ecn & 3) != 0) {
        int tos = m->ecn & 3;

        memcpy(v4 ? put_cmsg(buf, &off, IPPROTO_IP, IP_TOS, sizeof(tos))
                  : put_cmsg(buf, &off, IPPROTO_IPV6, IPV6_TCLASS, sizeof(tos)),
               &tos, sizeof(tos));
    }
    if ((u->features & SSLQ_UDP_F_PKTINFO) && m->locallen > 0) {
        if (v4 && (m->local.ss_family == AF_INET ||
                   sa_is_v4mapped(&m->local, m->locallen))) {
            struct in_pktinfo pi;

            memset(&pi, 0, sizeof(pi));
            pi.ipi_spec_dst = sa_v4addr(&m->local);
            if (pi.ipi_spec_dst.s_addr != htonl(INADDR_ANY))
                memcpy(put_cmsg(buf, &off, IPPROTO_IP, IP_PKTINFO, sizeof(pi)),
                       &pi, sizeof(pi));
        } else if (!v4 && m->local.ss_family == AF_INET6) {
            const struct sockaddr_in6 *sin6 =
                (const struct sockaddr_in6 *)&m->local;
            struct in6_pktinfo pi;

            memset(&pi, 0, sizeof(pi));
            pi.ipi6_addr = sin6->sin6_addr;
            pi.ipi6_ifindex = sin6->sin6_scope_id;
            if (!IN6_IS_ADDR_UNSPECIFIED(&pi.ipi6_addr))
                memcpy(
                    put_cmsg(buf, &off, IPPROTO_IPV6, IPV6_PKTINFO, sizeof(pi)),
                    &pi, sizeof(pi));
        }
    }
    return off;
}

static int fd_send(sslq_udp *u, const sslq_dgram *msgs, size_t n, size_t *mi,
                   size_t *moff)
{
    int err_retries = 0, gso_refused = 0;

    while (*mi < n) {
        int gso_ok = (u->features & SSLQ_UDP_F_GSO) && !gso_refused;
        size_t nu = build_units(u->units, SSLQ_UDP_MAX_BATCH, msgs, n, *mi,
                                *moff, gso_ok);
        int r, err;

        for (size_t k = 0; k < nu; k++) {
            const udp_unit *un = &u->units[k];
            const sslq_dgram *m = &msgs[un->msg];
            struct msghdr *mh = &u->hdr[k].msg_hdr;

            memset(mh, 0, sizeof(*mh));
            u->iov[k].iov_base = m->data + un->off;
            u->iov[k].iov_len = un->len;
            mh->msg_iov = &u->iov[k];
            mh->msg_iovlen = 1;
            if (m->peerlen > 0) {
                mh->msg_name = (void *)&m->peer;
                mh->msg_namelen = m->peerlen;
            }
            mh->msg_controllen = send_cmsgs(u, m, un, u->ctrl[k].buf);
            if (mh->msg_controllen > 0)
                mh->msg_control = u->ctrl[k].buf;
        }
        r = sendmmsg(u->fd, u->hdr, (unsigned)nu, MSG_DONTWAIT);
        if (r > 0) {
            for (int k = 0; k < r; k++)
                u->stats.tx_dgrams += unit_dgrams(&u->units[k]);
            u->stats.tx_units += (uint64_t)r;
            advance(msgs, &u->units[r - 1], mi, moff);
            err_retries = 0;
            continue;
        }
        err = r < 0 ? errno : EAGAIN;
        if (err == EAGAIN || err == EWOULDBLOCK)
            return 0;
        if (err == EINTR)
            continue;
        if (u->units[0].gso != 0 &&
            (err == EIO || err == EMSGSIZE || err == EINVAL)) {
            /* EIO: the route's device cannot checksum a GSO train, which
             * will not change.  EMSGSIZE/EINVAL: this train does not fit
             * (segment above the path MTU, SO_NO_CHECK, ...); the next call
             * may send one that does. */
            if (err == EIO)
                u->features &= ~SSLQ_UDP_F_GSO;
            u->stats.tx_gso_refused++;
            gso_refused = 1;
            continue;
        }
        switch (err) {
        case EBADF:
        case ENOTSOCK:
        case EFAULT:
            return SSLQ_ERR_IO;
        case EDESTADDRREQ:
        case ENOTCONN:
            return SSLQ_ERR_INVALID_ARGUMENT;
        case ECONNREFUSED:
        case ECONNRESET:
        case EHOSTUNREACH:
        case ENETUNREACH:
            /* Possibly an earlier datagram's ICMP error, reported (and
             * cleared) instead of sending this one. */
            if (err_retries++ < UDP_SEND_MAX_ERR_RETRIES)
                continue;
            break;
        default:
            break;
        }
        /* The kernel refuses this datagram; the network would have lost it
         * too, and the next one may well go. */
        u->stats.tx_dropped += unit_dgrams(&u->units[0]);
        advance(msgs, &u->units[0], mi, moff);
        err_retries = 0;
    }
    return 0;
}

static void bio_set_peer(sslq_udp *u, const sslq_dgram *m)
{
    if (m->peerlen == 0 || !sa_to_bioaddr(u->addr, &m->peer))
        return;
    ERR_set_mark();
    (void)BIO_ctrl(u->bio, BIO_CTRL_DGRAM_SET_PEER, 0, u->addr);
    ERR_pop_to_mark();
}

static int bio_write_send(sslq_udp *u, const sslq_dgram *msgs, size_t n,
                          size_t *mi, size_t *moff)
{
    while (*mi < n) {
        udp_unit un;
        int w;

        build_units(&un, 1, msgs, n, *mi, *moff, 0);
        if (un.len == 0 || un.len > INT_MAX) {
            /* A BIO cannot carry an empty datagram: BIO_write(0) is a
             * no-op for a datagram pair. */
            u->stats.tx_dropped++;
            advance(msgs, &un, mi, moff);
            continue;
        }
        bio_set_peer(u, &msgs[un.msg]);
        ERR_set_mark();
        w = BIO_write(u->bio, msgs[un.msg].data + un.off, (int)un.len);
        if (w <= 0 && BIO_should_retry(u->bio)) {
            ERR_pop_to_mark();
            return 0;
        }
        ERR_pop_to_mark();
        if (w > 0) {
            u->stats.tx_dgrams++;
            u->stats.tx_units++;
        } else {
            u->stats.tx_dropped++;
        }
        advance(msgs, &un, mi, moff);
    }
    return 0;
}

#ifdef SSLQ_HAVE_BIO_MMSG
/* 1 when BIO_sendmmsg is refused and the caller should use BIO_write. */
static int bio_mmsg_send(sslq_udp *u, const sslq_dgram *msgs, size_t n,
                         size_t *mi, size_t *moff)
{
    while (*mi < n) {
        size_t nu =
            build_units(u->units, SSLQ_UDP_MAX_BATCH, msgs, n, *mi, *moff, 0);
        size_t done = 0;

        for (size_t k = 0; k < nu; k++) {
            const udp_unit *un = &u->units[k];
            const sslq_dgram *m = &msgs[un->msg];
            BIO_MSG *bm = &u->bmsg[k];

            memset(bm, 0, sizeof(*bm));
            bm->data = m->data + un->off;
            bm->data_len = un->len;
            if (u->mmsg_peer && m->peerlen > 0 &&
                sa_to_bioaddr(u->bpeer[k], &m->peer))
                bm->peer = u->bpeer[k];
            if (u->mmsg_local && (u->features & SSLQ_UDP_F_PKTINFO) &&
                m->locallen > 0 && sa_to_bioaddr(u->blocal[k], &m->local))
                bm->local = u->blocal[k];
        }
        ERR_set_mark();
        if (BIO_sendmmsg(u->bio, u->bmsg, sizeof(BIO_MSG), nu, 0, &done)) {
            ERR_pop_to_mark();
            if (done == 0)
                return 0;
            u->stats.tx_dgrams += done;
            u->stats.tx_units += done;
            advance(msgs, &u->units[done - 1], mi, moff);
            continue;
        }
        unsigned long e = mmsg_error();

        if (is_bio_reason(e, BIO_R_UNSUPPORTED_METHOD)) {
            u->mmsg_send = 0;
            u->features &= ~SSLQ_UDP_F_MMSG;
            return 1;
        }
        /* The other half of a datagram pair may not honour addresses:
         * send unaddressed, as OpenSSL's own QUIC port does then. */
        if (u->mmsg_peer && is_bio_reason(e, BIO_R_PEER_ADDR_NOT_AVAILABLE)) {
            u->mmsg_peer = 0;
            continue;
        }
        if (u->mmsg_local && is_bio_reason(e, BIO_R_LOCAL_ADDR_NOT_AVAILABLE)) {
            u->mmsg_local = 0;
            u->features &= ~SSLQ_UDP_F_PKTINFO;
            continue;
        }
        if (BIO_err_is_non_fatal(e))
            return 0;
        u->stats.tx_dropped++;
        advance(msgs, &u->units[0], mi, moff);
    }
    return 0;
}
#endif

int sslq_udp_send(sslq_udp *u, const sslq_dgram *msgs, size_t n, size_t *nsent)
{
    size_t mi = 0, moff = 0;
    int rc;

    if (nsent != NULL)
        *nsent = 0;
    if (u == NULL || (msgs == NULL && n > 0) || nsent == NULL)
        return SSLQ_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < n; i++) {
        const sslq_dgram *m = &msgs[i];

        if ((m->data == NULL && m->len > 0) ||
            !sa_valid(&m->peer, m->peerlen) ||
            !sa_valid(&m->local, m->locallen))
            return SSLQ_ERR_INVALID_ARGUMENT;
    }
    if (u->fd >= 0) {
        rc = fd_send(u, msgs, n, &mi, &moff);
    } else {
        rc = 1;
#ifdef SSLQ_HAVE_BIO_MMSG
        if (u->mmsg_send)
            rc = bio_mmsg_send(u, msgs, n, &mi, &moff);
#endif
        if (rc == 1)
            rc = bio_write_send(u, msgs, n, &mi, &moff);
    }
    if (mi < n && moff > 0) {
        /* The buffer filled in the middle of a split message.  Sending its
         * first datagrams again would duplicate them, and keeping its rest
         * would need state between calls; QUIC recovers a loss, so the rest
         * is dropped and the message counted. */
        size_t rest = msgs[mi].len - moff, seg = msgs[mi].segsize;

        u->stats.tx_dropped += (rest + seg - 1) / seg;
        mi++;
    }
    *nsent = mi;
    return rc;
}
