/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn — one QUIC connection: an ngtcp2_conn, the TLS shim that runs its
 * handshake on the connection's SSL, and its streams.
 *
 * A connection does no network I/O and keeps no clock: its owner (the port)
 * hands it each datagram addressed to it (sslq_conn_read), asks it for
 * datagrams to send (sslq_conn_write), and fires its timer
 * (sslq_conn_expiry / sslq_conn_handle_expiry).  What a connection needs
 * from its owner — routing its connection IDs, stateless-reset tokens,
 * address-validation tokens, waking waiters — goes through sslq_conn_ops.
 *
 * Ownership: the owner creates and frees connections.  A connection borrows
 * its SSL (the handle the application holds) and owns everything else:
 * ngtcp2_conn, shim, streams and their buffers.  Not thread-safe: every call
 * is made under the owner's lock.
 *
 * Errors: 0 or a negative SSLQ_ERR_*.  ngtcp2's codes stop here.
 */
#ifndef SSLQUIC_CONN_H
#define SSLQUIC_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "ngtcp2_compat.h"
#include "stream.h"

#define SSLQ_CONN_SCID_LEN 16

typedef struct sslq_conn sslq_conn;

typedef struct sslq_conn_ops {
    /* Route |cid| to |conn| (a new local connection ID).  0 or error. */
    int (*cid_add)(void *owner, sslq_conn *conn, const ngtcp2_cid *cid);
    /* |cid| no longer routes to |conn|. */
    void (*cid_remove)(void *owner, sslq_conn *conn, const ngtcp2_cid *cid);
    /* The stateless-reset token of |cid| (16 bytes). */
    void (*reset_token)(void *owner, const ngtcp2_cid *cid, uint8_t *token);
    /* Server: make a NEW_TOKEN token for |conn|'s peer; 0 or error.
     * Optional. */
    int (*make_token)(void *owner, sslq_conn *conn, uint8_t *token,
                      size_t *tokenlen);
    /* Client: the server sent a NEW_TOKEN token.  Optional. */
    void (*got_token)(void *owner, sslq_conn *conn, const uint8_t *token,
                      size_t tokenlen);
    /* Something the application may wait for changed (handshake done, data
     * readable, stream accepted, credit, close).  Optional. */
    void (*event)(void *owner, sslq_conn *conn);
} sslq_conn_ops;

/* Transport settings a connection starts with. */
typedef struct sslq_conn_config {
    uint64_t idle_timeout_ms;       /* 0: no idle timeout */
    uint64_t handshake_timeout_ms;  /* 0: the default (10 s) */
    uint64_t max_streams_bidi;      /* the peer may open this many */
    uint64_t max_streams_uni;
    uint64_t stream_window;         /* initial receive window per stream */
    uint64_t conn_window;           /* initial receive window, connection */
    uint64_t max_stream_window;     /* auto-tuned windows stop here */
    uint64_t max_conn_window;
    size_t stream_send_buffer;      /* SSL_VALUE_STREAM_WRITE_BUF_SIZE */
    uint32_t version;               /* client: version to start with */
    int cc_algo;                    /* ngtcp2_cc_algo (SSLQUIC_CC) */
    const uint8_t *token;           /* client: Retry or NEW_TOKEN token */
    size_t tokenlen;
    ngtcp2_printf log_printf;       /* ngtcp2 debug log, usually NULL */
} sslq_conn_config;

void sslq_conn_config_default(sslq_conn_config *cfg);

/* Connection states, in order; a connection only moves forward. */
enum sslq_conn_state {
    SSLQ_CONN_HANDSHAKE = 0,
    SSLQ_CONN_ESTABLISHED,
    SSLQ_CONN_CLOSING,  /* we sent CONNECTION_CLOSE, answering with it */
    SSLQ_CONN_DRAINING, /* the peer closed; silent */
    SSLQ_CONN_CLOSED,   /* done: the owner may free it */
};

/* Why a connection ended (SSL_CONN_CLOSE_INFO's fields). */
typedef struct sslq_close_info {
    int set;            /* a close happened */
    int remote;         /* the peer closed (else we did) */
    int app;            /* application close (else transport) */
    int idle;           /* idle timeout */
    uint64_t code;      /* error code; transport codes include 0x100+alert */
    uint64_t frame_type;
    char reason[256];
    size_t reasonlen;
} sslq_close_info;

/* A client connection to |path->remote| on |ssl| (an SSL on a QUIC client
 * SSL_CTX prepared by sslq_tls_ctx_prepare).  The handshake starts on the
 * first sslq_conn_write.  SSLQ_ERR_INVALID_ARGUMENT, SSLQ_ERR_NOMEM,
 * SSLQ_ERR_TLS (the SSL cannot run QUIC, e.g. no usable cipher suite). */
int sslq_conn_new_client(sslq_conn **out, SSL *ssl,
                         const sslq_conn_config *cfg,
                         const ngtcp2_path *path, const sslq_conn_ops *ops,
                         void *owner, uint64_t now);

/* A server connection for the client Initial |hd| (decoded by ngtcp2_accept)
 * that arrived on |path|.  |odcid| is the original DCID recovered from a
 * valid Retry token (NULL without Retry); |validated| says the peer's
 * address is validated (a valid token), lifting the amplification limit.
 * Registers its CIDs through ops->cid_add.  The caller then passes the same
 * datagram to sslq_conn_read. */
int sslq_conn_new_server(sslq_conn **out, SSL *ssl,
                         const sslq_conn_config *cfg,
                         const ngtcp2_path *path, const ngtcp2_pkt_hd *hd,
                         const ngtcp2_cid *odcid, int validated,
                         const sslq_conn_ops *ops, void *owner, uint64_t now);

/* Frees the connection, its streams and its shim; removes its CIDs through
 * ops->cid_remove.  Does not free the SSL. */
void sslq_conn_free(sslq_conn *conn);

/* Processes one received datagram.  Errors become a close of the
 * connection, never a return value the owner must act on, except
 * SSLQ_ERR_NOMEM. */
int sslq_conn_read(sslq_conn *conn, const ngtcp2_path *path, uint8_t ecn,
                   const uint8_t *data, size_t len, uint64_t now);

/* Writes the next datagram to send into |buf| (|cap| >= 1200 bytes): *len
 * is 0 when there is nothing to send now.  The datagram goes to the path
 * in *ps with ECN codepoint *ecn. */
int sslq_conn_write(sslq_conn *conn, uint8_t *buf, size_t cap, size_t *len,
                    ngtcp2_path_storage *ps, uint8_t *ecn, uint64_t now);

/* When the connection's timer fires next (UINT64_MAX: never). */
uint64_t sslq_conn_expiry(sslq_conn *conn);
int sslq_conn_handle_expiry(sslq_conn *conn, uint64_t now);

/* Closes the connection: an application close with |code| and |reason|
 * (|app| = 1) or a transport close.  The CONNECTION_CLOSE goes out with the
 * next sslq_conn_write.  Closing a closed connection does nothing. */
void sslq_conn_close(sslq_conn *conn, int app, uint64_t code,
                     const char *reason, uint64_t now);

enum sslq_conn_state sslq_conn_state(const sslq_conn *conn);
int sslq_conn_is_server(const sslq_conn *conn);
SSL *sslq_conn_ssl(const sslq_conn *conn);
const sslq_close_info *sslq_conn_close_info(const sslq_conn *conn);
/* The path the connection uses now. */
const ngtcp2_path *sslq_conn_path(const sslq_conn *conn);
ngtcp2_conn *sslq_conn_ngtcp2(const sslq_conn *conn);
/* The |owner| the connection was created with. */
void *sslq_conn_owner(const sslq_conn *conn);

/* Keep the connection alive while the application is idle: PINGs after
 * half the negotiated idle timeout (set once the handshake is done).  For
 * thread-assisted clients, whose background thread fires the timer. */
void sslq_conn_enable_keepalive(sslq_conn *conn);

/* The application's message callback for this connection's TLS. */
void sslq_conn_set_msg_callback(sslq_conn *conn,
                                void (*cb)(int, int, int, const void *, size_t,
                                           SSL *, void *));

/* 1 when every stream's data was sent and acknowledged (and every FIN). */
int sslq_conn_send_idle(const sslq_conn *conn);

/* Starts a 1-RTT key update.  0, or SSLQ_ERR_PROTO when not possible now. */
int sslq_conn_initiate_key_update(sslq_conn *conn, uint64_t now);

/* TEST ONLY (tests/unit/test_wire.c), never set by the library: when not
 * NULL, every client passes the server's transport parameters through it
 * before ngtcp2 sees them.  Raising the server's limits this way makes a
 * well-behaved client break them, to test how a server meets a peer that
 * opens too many streams or sends beyond its flow-control credit.  Set it
 * before connecting and clear it after; not thread-safe. */
extern void (*sslq_conn_test_peer_params_hook)(ngtcp2_transport_params *params);

/* ---- streams ----------------------------------------------------------- */

/* Opens a local stream (bidirectional unless |uni|).  SSLQ_ERR_WOULD_BLOCK
 * when the peer's stream limit is reached, SSLQ_ERR_PROTO when the
 * connection is not established or closed. */
int sslq_conn_open_stream(sslq_conn *conn, int uni, sslq_stream **out);

/* How many more streams of each kind the peer may open, as our initial
 * limit stands (SSL_VALUE_QUIC_STREAM_*_REMOTE_AVAIL). */
uint64_t sslq_conn_peer_streams_left(const sslq_conn *conn, int uni);

/* With |reject|, streams the peer opens from now on are refused at once
 * (STOP_SENDING, and RESET_STREAM on a bidi stream, carrying |aec|) and
 * never queued for acceptance. */
void sslq_conn_set_incoming_reject(sslq_conn *conn, int reject, uint64_t aec);

/* The next stream the peer opened that nobody took yet, removed from the
 * queue; NULL when none. */
sslq_stream *sslq_conn_accept_stream(sslq_conn *conn);
size_t sslq_conn_accept_queue_len(const sslq_conn *conn);
/* Which kinds wait in the accept queue: bit 0 bidirectional, bit 1 uni. */
unsigned sslq_conn_accept_queue_kinds(const sslq_conn *conn);

/* How many more local streams of each kind the peer lets us open now. */
uint64_t sslq_conn_streams_left(const sslq_conn *conn, int uni);

/* Appends up to |len| bytes to |s|'s send buffer (bounded by the send
 * buffer size) and, with |fin| and everything taken, concludes it.  *written
 * is how many bytes were taken (0 when the buffer is full:
 * SSLQ_ERR_WOULD_BLOCK).  SSLQ_ERR_PROTO when the stream cannot send
 * (receive-only, concluded, reset, connection closed). */
int sslq_stream_write(sslq_stream *s, const uint8_t *data, size_t len,
                      int fin, size_t *written);

/* Copies up to |len| received bytes; *nread 0 and SSLQ_ERR_WOULD_BLOCK when
 * none are there yet.  With |peek| the bytes stay.  Returns 0 with *nread =
 * 0 and *fin = 1 at the end of the stream. */
int sslq_stream_read(sslq_stream *s, uint8_t *out, size_t len, int peek,
                     size_t *nread, int *fin);

/* Resets the sending part (RESET_STREAM with |code|). */
int sslq_stream_reset(sslq_stream *s, uint64_t code);
/* Asks the peer to stop sending (STOP_SENDING with |code|). */
int sslq_stream_stop_sending(sslq_stream *s, uint64_t code);

/* The application let go of |s|: it is freed once ngtcp2 is done with it
 * (a still-open receiving part gets STOP_SENDING with |code| first). */
void sslq_stream_release(sslq_stream *s, uint64_t code);

#endif /* SSLQUIC_CONN_H */
