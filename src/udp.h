/* SPDX-License-Identifier: Apache-2.0 */
/*
 * udp — datagram I/O for a port: batches of datagrams in and out of one UDP
 * endpoint, nothing else (no QUIC, no ngtcp2, no sslquic objects).
 *
 * An endpoint is either a UDP socket (the fast path: recvmmsg/sendmmsg with
 * GSO, GRO, ECN and destination/source address control messages, each used
 * only when the kernel accepts it) or any datagram BIO (the generic path:
 * BIO_recvmmsg/BIO_sendmmsg on OpenSSL >= 3.2 when the BIO implements them,
 * else BIO_read/BIO_write with the DGRAM_GET_PEER/SET_PEER controls).  A
 * socket BIO (BIO_s_datagram) takes the fast path on its descriptor.
 *
 * The sslq_udp owns its preallocated message headers and control buffers
 * (sized for SSLQ_UDP_MAX_BATCH) and, when asked, its descriptor; it never
 * owns a BIO or a datagram buffer, and it allocates nothing per datagram.
 * One sslq_udp is used by one thread at a time (its port's lock).
 *
 * Conventions shared by every call:
 * - nothing blocks: every socket call is made with MSG_DONTWAIT;
 * - "nothing waiting" on receive and "kernel buffer full" on send are not
 *   errors: the call returns 0 and its count says how far it got.
 *   SSLQ_ERR_WOULD_BLOCK is never returned; poll sslq_udp_get_fd() instead;
 * - per-datagram trouble never fails a call: a received datagram larger than
 *   its buffer is dropped, ICMP errors reported on the socket (ECONNREFUSED,
 *   EHOSTUNREACH, ...) are skipped, and a datagram the kernel refuses to send
 *   (no route, too big for the path, ...) is dropped as the network would
 *   drop it; sslq_udp_get_stats() counts each case;
 * - SSLQ_ERR_IO means the endpoint itself is broken (closed descriptor, not
 *   a socket, a BIO read failing without asking for a retry).
 */
#ifndef SSLQUIC_UDP_H
#define SSLQUIC_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/bio.h>

/* Datagrams handled per system call; larger batches take several calls. */
#define SSLQ_UDP_MAX_BATCH 64
/* Segments in one GSO send (the kernel's UDP_MAX_SEGMENTS is 64 on older
 * kernels); longer GSO messages are sent as several GSO sends. */
#define SSLQ_UDP_MAX_GSO_SEGMENTS 64
/* The largest UDP payload over IPv4 (65535 - 20 - 8); a GSO send never
 * exceeds it. */
#define SSLQ_UDP_MAX_PAYLOAD 65507
/* Receive buffers must hold this much when GRO is on: the kernel hands over
 * a coalesced train of up to 64 KiB in one piece. */
#define SSLQ_UDP_GRO_BUFLEN 65535

/* ECN codepoints (RFC 3168) as they sit in the low two bits of TOS/TCLASS. */
#define SSLQ_ECN_NOT_ECT 0
#define SSLQ_ECN_ECT1 1
#define SSLQ_ECN_ECT0 2
#define SSLQ_ECN_CE 3

/* Feature bits, as reported by sslq_udp_features(). */
#define SSLQ_UDP_F_GSO 0x01u     /* UDP_SEGMENT: one send, many datagrams */
#define SSLQ_UDP_F_GRO 0x02u     /* UDP_GRO: received trains coalesced */
#define SSLQ_UDP_F_ECN 0x04u     /* ECN read on receive and set on send */
#define SSLQ_UDP_F_PKTINFO 0x08u /* local address reported and chosen */
#define SSLQ_UDP_F_MMSG 0x10u    /* several datagrams per call */

/* Flags for the constructors. */
#define SSLQ_UDP_OWN_FD 0x01u /* sslq_udp_free() closes the descriptor */
/* Turn UDP_GRO on.  The caller promises receive buffers of at least
 * SSLQ_UDP_GRO_BUFLEN bytes (sslq_udp_recv() refuses smaller ones), since
 * the kernel cannot split a coalesced train to fit a small buffer. */
#define SSLQ_UDP_GRO 0x02u

typedef struct sslq_dgram {
    uint8_t *data; /* caller-owned buffer */
    size_t cap;    /* recv: capacity of |data|; send: unused */
    size_t len;    /* recv: bytes received; send: bytes to send */
    /* send: split |len| into datagrams of this size (the last may be
     * shorter), by GSO when available; 0 = one datagram.  recv: the size of
     * each datagram in a GRO-coalesced buffer (the last may be shorter);
     * 0 = one datagram. */
    size_t segsize;
    /* recv: source of the datagram, as the kernel gives it (an IPv4 peer on
     * a dual-stack IPv6 socket comes as ::ffff:a.b.c.d); peerlen 0 when the
     * BIO does not say.  send: destination; peerlen 0 = the connected peer
     * (or, for a BIO, whatever it is set to). */
    struct sockaddr_storage peer;
    socklen_t peerlen;
    /* recv: destination address (and port) of the datagram; locallen 0 when
     * unknown.  send: source address to use; locallen 0 = the kernel's
     * choice.  Only with SSLQ_UDP_F_PKTINFO. */
    struct sockaddr_storage local;
    socklen_t locallen;
    /* recv: ECN codepoint of the datagram (0 without SSLQ_UDP_F_ECN); send:
     * the codepoint to set (ignored without SSLQ_UDP_F_ECN). */
    uint8_t ecn;
} sslq_dgram;

/* What happened to datagrams that did not simply go through. */
typedef struct sslq_udp_stats {
    uint64_t rx_dgrams;      /* buffers delivered (a GRO train counts 1) */
    uint64_t rx_truncated;   /* dropped: larger than their buffer */
    uint64_t rx_errors;      /* socket errors skipped (ICMP, ...) */
    uint64_t tx_dgrams;      /* datagrams handed to the kernel or BIO */
    uint64_t tx_units;       /* sends they took: a datagram or a GSO train */
    uint64_t tx_dropped;     /* datagrams refused and dropped */
    uint64_t tx_gso_refused; /* GSO sends refused, then sent split */
} sslq_udp_stats;

typedef struct sslq_udp sslq_udp;

/*
 * A new endpoint on the UDP socket |fd| (AF_INET or AF_INET6, bound or not).
 * Sets O_NONBLOCK and, best effort, 4 MiB socket buffers and
 * IP(V6)_MTU_DISCOVER = PMTUDISC_PROBE (DF set, no local fragmentation: QUIC
 * does its own path MTU discovery); then probes and turns on ECN reporting,
 * destination-address reporting, GSO and (with SSLQ_UDP_GRO) GRO, each
 * silently left off when the kernel refuses it.  |flags| is a mask of
 * SSLQ_UDP_OWN_FD and SSLQ_UDP_GRO.  Without SSLQ_UDP_OWN_FD the descriptor
 * stays the caller's (the options set on it stay set).
 *
 * Returns 0, SSLQ_ERR_INVALID_ARGUMENT (NULL |out|, negative |fd|, unknown
 * flag, not a UDP socket of an IP family), SSLQ_ERR_NOMEM.  On failure the
 * descriptor is not closed.
 */
int sslq_udp_new_fd(sslq_udp **out, int fd, unsigned flags);

/*
 * A new endpoint on the datagram BIO |bio|, which stays the caller's and
 * must outlive the endpoint.  A socket datagram BIO (BIO_TYPE_DGRAM with a
 * descriptor) takes the fast path of sslq_udp_new_fd() on its descriptor,
 * with the same socket options set, without owning it.  Any other BIO takes
 * the generic path: no GSO, GRO or ECN; BIO_recvmmsg/BIO_sendmmsg on
 * OpenSSL >= 3.2 until the BIO refuses them (SSLQ_UDP_F_MMSG then goes);
 * local addresses only where the BIO enables them
 * (BIO_dgram_set_local_addr_enable, tried here); a destination the BIO
 * cannot honour is dropped and the datagram sent unaddressed, as OpenSSL's
 * own QUIC port does with such a BIO.  |flags| may hold SSLQ_UDP_GRO (used
 * on the fast path only).
 *
 * Returns 0, SSLQ_ERR_INVALID_ARGUMENT (NULL argument, unknown flag),
 * SSLQ_ERR_NOMEM.
 */
int sslq_udp_new_bio(sslq_udp **out, BIO *bio, unsigned flags);

/* Frees |udp| (NULL is fine), closing the descriptor if it owns it. */
void sslq_udp_free(sslq_udp *udp);

/*
 * Receives up to |n| datagrams without blocking, one per entry of |msgs|,
 * each into msgs[i].data (capacity msgs[i].cap); *nrecv is how many entries
 * were filled (len, segsize, peer, local, ecn), 0 when nothing is waiting.
 * Entries are filled in arrival order from msgs[0].  A datagram longer than
 * its buffer is dropped, never delivered cut; to keep the filled entries
 * contiguous the buffers of the entries may be permuted among msgs[0..n)
 * (each data pointer keeps its own cap), so read msgs[i].data, not the
 * buffer that was put in slot i.  With GRO on, one entry may hold several
 * datagrams of segsize bytes each.
 *
 * A call may also return with fewer than |n| entries while more are
 * waiting (it bounds its work); the descriptor then still polls readable.
 *
 * Returns 0, SSLQ_ERR_INVALID_ARGUMENT (NULL argument, an entry with a NULL
 * buffer or, with GRO on, a capacity below SSLQ_UDP_GRO_BUFLEN), SSLQ_ERR_IO
 * (the socket or BIO is broken, or a BIO failed without asking for a
 * retry), SSLQ_ERR_NOMEM (the kernel is out of memory).  An error is
 * returned only when no entry was filled: after a partial batch the call
 * returns 0 and the error comes back on the next call.
 */
int sslq_udp_recv(sslq_udp *udp, sslq_dgram *msgs, size_t n, size_t *nrecv);

/*
 * Sends up to |n| messages without blocking; *nsent is how many the layer is
 * done with: sent, or dropped because the kernel or BIO refused that datagram
 * (counted in the stats).  A message with segsize != 0 goes as one GSO send
 * per 64 segments when GSO is on, else as separate datagrams.  When the
 * socket buffer fills (*nsent < n), msgs[*nsent..n) are for a later call
 * once the descriptor polls writable.  If it fills in the middle of a message
 * sent as several datagrams (or GSO trains), that message is counted and the
 * rest of it dropped (tx_dropped): resending it whole would duplicate what
 * went, and QUIC recovers a loss.  Only with SSLQ_UDP_F_GSO and at most 64
 * segments is a segmented message all-or-nothing.
 *
 * A GSO send the kernel refuses is sent split instead: after EIO (the
 * device cannot checksum GSO trains) GSO is turned off for good on this
 * endpoint; after EMSGSIZE or EINVAL (a train that does not fit the path)
 * only for the rest of the call.
 *
 * Returns 0, SSLQ_ERR_INVALID_ARGUMENT (NULL argument or buffer, a local or
 * peer address of an unknown family or length, no destination on an
 * unconnected socket), SSLQ_ERR_IO (the socket is broken; *nsent says how
 * far it got).
 */
int sslq_udp_send(sslq_udp *udp, const sslq_dgram *msgs, size_t n,
                  size_t *nsent);

/* The descriptor to poll, or -1 for a BIO without one. */
int sslq_udp_get_fd(const sslq_udp *udp);

/*
 * The address the socket is bound to (*len 0 for a BIO endpoint without a
 * socket).  Returns 0, SSLQ_ERR_INVALID_ARGUMENT (NULL argument), SSLQ_ERR_IO
 * (getsockname failed).
 */
int sslq_udp_local_addr(const sslq_udp *udp, struct sockaddr_storage *addr,
                        socklen_t *len);

/* The SSLQ_UDP_F_* features in use. */
unsigned sslq_udp_features(const sslq_udp *udp);

/* Stops using the features in |mask| (for tests and benchmarks: GSO can be
 * turned off to measure the split path; turning off GRO also turns it off
 * on the socket).  Features cannot be turned back on. */
void sslq_udp_disable(sslq_udp *udp, unsigned mask);

/* Copies the counters of |udp| into |out|. */
void sslq_udp_get_stats(const sslq_udp *udp, sslq_udp_stats *out);

#endif /* SSLQUIC_UDP_H */
