/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quic_peer — a command-line QUIC endpoint built directly on sslquic's
 * internal layers (port, conn, TLS shim), so that the interop tests can put
 * them in front of foreign QUIC stacks (ngtcp2 + GnuTLS, OpenSSL 3.5's own
 * QUIC) without the handle layer in between.
 *
 *   quic_peer client HOST PORT --alpn LIST [options]
 *   quic_peer server ADDR PORT --cert F --key F --alpn LIST [options]
 *
 * (quic_peer with no arguments prints every option.)  Each connection ends
 * with one summary line on stdout, words separated by blanks:
 *
 *   handshake ok alpn=h3 cipher=TLS_AES_128_GCM_SHA256 group=x25519
 *   version=1 retry=0 hrr=0 streams=3 bytes_sent=0 bytes_received=20
 *   close=app:0x100 by=self result=ok
 *
 * (one line; "handshake failed" when the handshake did not complete; the
 * server prefixes "conn N").  retry=1: the connection came after a Retry;
 * hrr=1: the TLS handshake went through a HelloRetryRequest; streams and
 * bytes count stream payload both ways; close codes are hexadecimal and
 * "by" says which side closed (self, peer, idle).  --h3-get adds a line
 * "h3 status=200 body_bytes=N" before it.  The client exits 0 when
 * everything it was asked to do worked, 1 otherwise, 2 on a usage error;
 * the server exits 0 after --max-conns connections have ended, all with a
 * completed handshake, 1 otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "conn.h"
#include "error.h"
#include "port.h"
#include "tls_shim.h"
#include "udp.h"

#define NS_PER_MS 1000000ULL
#define EXIT_USAGE 2
#define CHUNK 65536

typedef struct options {
    int server;
    const char *host, *port;
    const char *alpn;
    /* client */
    const char *sni, *cafile, *ciphers, *groups, *send_file;
    const char *h3_get, *expect_body;
    int insecure, expect_echo;
    int64_t send_bytes; /* -1: not asked */
    uint64_t close_code;
    uint64_t timeout_ms, linger_ms;
    /* server */
    const char *cert, *key, *port_file;
    int no_validate, echo;
    uint64_t max_conns;
    int debug; /* ngtcp2's log on stderr */
} options;

static const char usage_text[] =
    "usage: quic_peer client HOST PORT --alpn LIST [--sni NAME]\n"
    "                 [--cafile FILE | --insecure] [--ciphers TLS13SUITES]\n"
    "                 [--groups LIST] [--send FILE | --send-bytes N]\n"
    "                 [--expect-echo] [--close-code N] [--timeout-ms N]\n"
    "                 [--h3-get PATH [--expect-body FILE]] [--linger-ms N]\n"
    "       quic_peer server ADDR PORT --cert FILE --key FILE --alpn LIST\n"
    "                 [--groups LIST] [--no-validate] [--echo]\n"
    "                 [--max-conns N] [--port-file FILE] [--timeout-ms N]\n"
    "       (either side: --debug prints ngtcp2's log on stderr)\n"
    "LIST is comma-separated (ALPN) or colon-separated (groups).  PORT 0\n"
    "lets the server pick one; --port-file receives it.  Numbers may be\n"
    "decimal or 0x-prefixed hexadecimal.\n";

static void usage(const char *fmt, ...)
{
    va_list ap;

    fputs("quic_peer: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    fputs(usage_text, stderr);
    exit(EXIT_USAGE);
}

static void die(const char *what)
{
    fprintf(stderr, "quic_peer: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static uint64_t parse_number(const char *opt, const char *s, uint64_t max)
{
    char *end;
    unsigned long long v;

    errno = 0;
    if (s[0] == '-' || s[0] == '\0')
        usage("%s: not a number: '%s'", opt, s);
    v = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0' || v > max)
        usage("%s: not a number up to %" PRIu64 ": '%s'", opt, max, s);
    return v;
}

/* ALPN "h3,hq-interop" in wire format (length-prefixed). */
static size_t alpn_to_wire(const char *list, unsigned char *out, size_t cap)
{
    size_t n = 0;
    const char *p = list;

    while (*p != '\0') {
        size_t len = strcspn(p, ",");

        if (len == 0 || len > 255 || n + 1 + len > cap)
            usage("--alpn: bad protocol list '%s'", list);
        out[n++] = (unsigned char)len;
        memcpy(out + n, p, len);
        n += len;
        p += len;
        if (*p == ',' && *++p == '\0')
            usage("--alpn: bad protocol list '%s'", list);
    }
    if (n == 0)
        usage("--alpn: empty protocol list");
    return n;
}

static void parse_args(int argc, char **argv, options *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->send_bytes = -1;
    if (argc < 4)
        usage("%s", argc < 2 ? "missing mode" : "missing address or port");
    if (strcmp(argv[1], "client") == 0)
        o->server = 0;
    else if (strcmp(argv[1], "server") == 0)
        o->server = 1;
    else
        usage("unknown mode '%s'", argv[1]);
    o->host = argv[2];
    o->port = argv[3];
    parse_number("PORT", o->port, 65535);
    o->timeout_ms = o->server ? 0 : 10000;
    o->max_conns = 1;
    for (i = 4; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;

#define IS(name) (strcmp(a, name) == 0)
        if (IS("--debug"))
            o->debug = 1, takes = 0;
        else if (IS("--insecure") && !o->server)
            o->insecure = 1, takes = 0;
        else if (IS("--expect-echo") && !o->server)
            o->expect_echo = 1, takes = 0;
        else if (IS("--no-validate") && o->server)
            o->no_validate = 1, takes = 0;
        else if (IS("--echo") && o->server)
            o->echo = 1, takes = 0;
        else if (v == NULL && strncmp(a, "--", 2) == 0)
            usage("%s needs a value (or is not a %s option)", a, argv[1]);
        else if (IS("--alpn"))
            o->alpn = v;
        else if (IS("--groups"))
            o->groups = v;
        else if (IS("--timeout-ms"))
            o->timeout_ms = parse_number(a, v, UINT32_MAX);
        else if (IS("--sni") && !o->server)
            o->sni = v;
        else if (IS("--cafile") && !o->server)
            o->cafile = v;
        else if (IS("--ciphers") && !o->server)
            o->ciphers = v;
        else if (IS("--h3-get") && !o->server)
            o->h3_get = v;
        else if (IS("--expect-body") && !o->server)
            o->expect_body = v;
        else if (IS("--send") && !o->server)
            o->send_file = v;
        else if (IS("--send-bytes") && !o->server)
            o->send_bytes = (int64_t)parse_number(a, v, 1ULL << 32);
        else if (IS("--linger-ms") && !o->server)
            o->linger_ms = parse_number(a, v, UINT32_MAX);
        else if (IS("--close-code") && !o->server)
            o->close_code = parse_number(a, v, (1ULL << 62) - 1);
        else if (IS("--cert") && o->server)
            o->cert = v;
        else if (IS("--key") && o->server)
            o->key = v;
        else if (IS("--max-conns") && o->server)
            o->max_conns = parse_number(a, v, 1000000);
        else if (IS("--port-file") && o->server)
            o->port_file = v;
        else
            usage("unknown %s option '%s'", argv[1], a);
#undef IS
        i += takes;
    }
    if (o->alpn == NULL)
        usage("--alpn is required");
    if (o->server && (o->cert == NULL || o->key == NULL))
        usage("a server needs --cert and --key");
    if (o->server && o->max_conns == 0)
        usage("--max-conns must be at least 1");
    if (!o->server && strcmp(o->port, "0") == 0)
        usage("a client needs a nonzero PORT");
    if (o->cafile && o->insecure)
        usage("--cafile and --insecure exclude each other");
    if ((o->send_file != NULL) + (o->send_bytes >= 0) + (o->h3_get != NULL) > 1)
        usage("--send, --send-bytes and --h3-get exclude each other");
    if (o->h3_get && o->h3_get[0] != '/')
        usage("--h3-get: the path must start with '/'");
    if (o->expect_body && !o->h3_get)
        usage("--expect-body needs --h3-get");
    if (o->expect_echo && !o->send_file && o->send_bytes < 0)
        usage("--expect-echo needs --send or --send-bytes");
}

/* ---- what both sides share ----------------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* A stream the peer opened.  Its data is read as it comes: echoed back
 * (server --echo, bidirectional streams) or thrown away.  A bidirectional
 * stream gets a FIN back once the peer's FIN arrived. */
typedef struct peer_stream {
    struct peer_stream *next;
    sslq_stream *s;
    int reply;    /* bidirectional: we answer */
    uint8_t *buf; /* echo only: read, not yet written back */
    size_t len, off;
    int fin_in, fin_out;
} peer_stream;

/* Per-connection facts the message callback and the summary need; hangs
 * off the SSL's ex_data, owned by whoever owns the connection. */
typedef struct peer_conn {
    struct peer_conn *next;
    unsigned id;
    sslq_conn *conn;
    SSL *ssl;
    int established;
    unsigned client_hellos, server_hellos; /* two of either: HRR */
    uint64_t bytes_sent, bytes_received;
    unsigned streams;
    peer_stream *peer_streams;
} peer_conn;

static void peer_streams_free(peer_conn *pc)
{
    while (pc->peer_streams != NULL) {
        peer_stream *ps = pc->peer_streams;

        pc->peer_streams = ps->next;
        free(ps->buf);
        free(ps);
    }
}

/* Moves one peer stream along; returns 1 when it read or wrote anything
 * (reading opens flow-control credit the peer must hear about). */
static int serve_stream(peer_conn *pc, peer_stream *ps)
{
    static uint8_t sink[CHUNK];
    int moved = 0, fin = 0, rv;
    size_t n;

    for (;;) {
        /* Write back what is buffered before reading on: one chunk per
         * stream at most, and the peer's flow control paces the rest. */
        if (ps->reply && !ps->fin_out && (ps->off < ps->len || ps->fin_in)) {
            n = 0;
            rv = sslq_stream_write(ps->s, ps->buf + ps->off, ps->len - ps->off,
                                   ps->fin_in, &n);
            ps->off += n;
            pc->bytes_sent += n;
            moved |= n > 0 || (rv == 0 && ps->fin_in);
            if (rv != 0 && rv != SSLQ_ERR_WOULD_BLOCK)
                ps->fin_out = 1; /* cannot send any more: stop trying */
            else if (rv == 0 && ps->fin_in && ps->off == ps->len)
                ps->fin_out = 1;
            if (ps->off < ps->len)
                break;
        }
        if (ps->fin_in)
            break;
        ps->off = ps->len = 0;
        rv = sslq_stream_read(ps->s, ps->buf ? ps->buf : sink, CHUNK, 0, &n,
                              &fin);
        if (rv != 0)
            break;
        pc->bytes_received += n;
        moved |= n > 0 || fin;
        if (ps->buf != NULL)
            ps->len = n;
        ps->fin_in = fin;
        if (n == 0 && !fin)
            break;
    }
    return moved;
}

/* Takes the streams the peer opened and serves every one; returns 1 when
 * the connection has something new to send (data, FIN or credit). */
static int serve_peer_streams(peer_conn *pc, int echo)
{
    sslq_stream *s;
    int moved = 0;

    while ((s = sslq_conn_accept_stream(pc->conn)) != NULL) {
        peer_stream *ps = calloc(1, sizeof(*ps));

        if (ps == NULL)
            die("out of memory");
        ps->s = s;
        ps->reply = !sslq_stream_is_uni(s);
        if (echo && ps->reply && (ps->buf = malloc(CHUNK)) == NULL)
            die("out of memory");
        ps->next = pc->peer_streams;
        pc->peer_streams = ps;
        pc->streams++;
    }
    for (peer_stream *ps = pc->peer_streams; ps != NULL; ps = ps->next)
        moved |= serve_stream(pc, ps);
    return moved;
}

static int conn_index = -1;

static void on_tls_message(int write_p, int version, int content_type,
                           const void *buf, size_t len, SSL *ssl, void *arg)
{
    peer_conn *pc = SSL_get_ex_data(ssl, conn_index);
    const unsigned char *p = buf;

    (void)version;
    (void)arg;
    if (pc == NULL || write_p || content_type != SSL3_RT_HANDSHAKE || len < 1)
        return;
    if (p[0] == SSL3_MT_CLIENT_HELLO)
        pc->client_hellos++;
    else if (p[0] == SSL3_MT_SERVER_HELLO)
        pc->server_hellos++;
}

static void on_conn_event(void *owner, sslq_conn *conn)
{
    peer_conn *pc;

    (void)owner;
    if (conn == NULL)
        return;
    pc = SSL_get_ex_data(sslq_conn_ssl(conn), conn_index);
    if (pc != NULL && sslq_conn_state(conn) == SSLQ_CONN_ESTABLISHED)
        pc->established = 1;
}

static SSL_CTX *new_ctx(int server, const options *o)
{
    SSL_CTX *ctx =
        SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

    if (ctx == NULL)
        die("SSL_CTX_new failed");
    if (o->groups && !SSL_CTX_set1_groups_list(ctx, o->groups)) {
        SSL_CTX_free(ctx);
        usage("--groups: libssl refuses '%s'", o->groups);
    }
    if (sslq_tls_ctx_prepare(ctx) != 0 ||
        sslq_tls_ctx_set_user_msg_callback(ctx, on_tls_message, NULL) != 0)
        die("preparing the SSL_CTX for QUIC failed");
    return ctx;
}

static sslq_udp *open_endpoint(const struct addrinfo *ai, int bind_it)
{
    int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
    sslq_udp *udp;

    if (fd < 0)
        die("socket() failed");
    if (bind_it && bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        fprintf(stderr, "quic_peer: bind: %s\n", strerror(errno));
        exit(1);
    }
    if (sslq_udp_new_fd(&udp, fd, SSLQ_UDP_OWN_FD) != 0)
        die("sslq_udp_new_fd failed");
    return udp;
}

static struct addrinfo *resolve(const options *o)
{
    struct addrinfo hints, *res = NULL;
    int rv;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV | (o->server ? AI_PASSIVE : 0);
    rv = getaddrinfo(o->host, o->port, &hints, &res);
    if (rv != 0) {
        fprintf(stderr, "quic_peer: %s: %s\n", o->host, gai_strerror(rv));
        exit(1);
    }
    return res;
}

static void log_line(void *user_data, const char *fmt, ...)
{
    va_list ap;

    (void)user_data;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Waits for the socket or the port's next timer (at most |max_ns|), then
 * reads, fires timers and sends. */
static void pump(sslq_port *port, uint64_t max_ns)
{
    uint64_t now = sslq_now(), next = sslq_port_next_timeout(port);
    uint64_t wait = next <= now ? 0 : next - now;
    struct pollfd pfd;

    if (wait > max_ns)
        wait = max_ns;
    if (wait > 1000 * NS_PER_MS) /* a poll timeout is an int */
        wait = 1000 * NS_PER_MS;
    pfd.fd = sslq_udp_get_fd(sslq_port_udp(port));
    pfd.events = POLLIN | (sslq_port_write_pending(port) ? POLLOUT : 0);
    pfd.revents = 0;
    /* Round up: waking a hair early only spins. */
    if (poll(&pfd, 1, (int)((wait + NS_PER_MS - 1) / NS_PER_MS)) < 0 &&
        errno != EINTR)
        die("poll failed");
    sslq_port_tick(port, sslq_now());
}

/* The key-exchange group by its TLS name (x25519, secp256r1,
 * X25519MLKEM768), the same spelling on OpenSSL 3.0 and 3.5. */
static const char *group_name(SSL *ssl)
{
    int id = SSL_get_negotiated_group(ssl);
    const char *name = id > 0 ? SSL_group_to_name(ssl, id) : NULL;

    return name ? name : "none";
}

/* The summary line of one connection; returns 1 if it went as wanted. */
static int print_summary(FILE *out, const peer_conn *pc, int ok_so_far,
                         const char *failure)
{
    const sslq_close_info *ci = sslq_conn_close_info(pc->conn);
    ngtcp2_conn *nc = sslq_conn_ngtcp2(pc->conn);
    const ngtcp2_transport_params *tp;
    const unsigned char *alpn = NULL;
    unsigned alpnlen = 0;
    const SSL_CIPHER *cipher = SSL_get_current_cipher(pc->ssl);
    int retry = 0, ok;

    /* retry_source_connection_id is present exactly when a Retry happened:
     * in the server's parameters as the client sees them, in its own as the
     * server sends them. */
    tp = sslq_conn_is_server(pc->conn)
             ? ngtcp2_conn_get_local_transport_params(nc)
             : ngtcp2_conn_get_remote_transport_params(nc);
    if (tp != NULL)
        retry = tp->retry_scid_present != 0;
    SSL_get0_alpn_selected(pc->ssl, &alpn, &alpnlen);
    ok = ok_so_far && pc->established;
    if (sslq_conn_is_server(pc->conn))
        fprintf(out, "conn %u ", pc->id);
    fprintf(out,
            "handshake %s alpn=%.*s cipher=%s group=%s version=%" PRIx32
            " retry=%d hrr=%d streams=%u bytes_sent=%" PRIu64
            " bytes_received=%" PRIu64,
            pc->established ? "ok" : "failed", (int)alpnlen,
            alpn ? (const char *)alpn : "",
            cipher ? SSL_CIPHER_get_name(cipher) : "none",
            pc->established ? group_name(pc->ssl) : "none",
            ngtcp2_conn_get_negotiated_version(nc), retry,
            pc->client_hellos > 1 || pc->server_hellos > 1, pc->streams,
            pc->bytes_sent, pc->bytes_received);
    if (ci->set)
        fprintf(out, " close=%s:0x%" PRIx64 " by=%s",
                ci->app ? "app" : "transport", ci->code,
                ci->idle     ? "idle"
                : ci->remote ? "peer"
                             : "self");
    else
        fprintf(out, " close=none");
    if (ci->set && ci->reasonlen > 0)
        fprintf(out, " reason=\"%s\"", ci->reason);
    if (failure != NULL)
        fprintf(out, " failure=\"%s\"", failure);
    fprintf(out, " result=%s\n", ok ? "ok" : "fail");
    fflush(out);
    return ok;
}

/* ---- client -------------------------------------------------------------- */

typedef struct bytes {
    uint8_t *p;
    size_t len, cap;
} bytes;

static void bytes_add(bytes *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : CHUNK;

        while (cap < b->len + len)
            cap *= 2;
        if ((b->p = realloc(b->p, cap)) == NULL)
            die("out of memory");
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void bytes_load(bytes *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t chunk[CHUNK];
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "quic_peer: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        bytes_add(b, chunk, n);
    fclose(f);
}

/* ---- a minimal HTTP/3 GET (RFC 9114, QPACK static table only) ---------- */

static void put_varint(bytes *b, uint64_t v)
{
    uint8_t out[8];
    size_t n = v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;

    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    out[0] |= (uint8_t)((n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3) << 6);
    bytes_add(b, out, n);
}

static int get_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
    size_t n;

    if (*off >= len)
        return 0;
    n = (size_t)1 << (p[*off] >> 6);
    if (len - *off < n)
        return 0;
    *v = p[*off] & 0x3f;
    for (size_t i = 1; i < n; i++)
        *v = (*v << 8) | p[*off + i];
    *off += n;
    return 1;
}

/* A QPACK integer with an |nbits| prefix, the first byte's top bits
 * |flags| (RFC 7541 §5.1). */
static void put_prefixed(bytes *b, uint8_t flags, unsigned nbits, size_t v)
{
    uint8_t max = (uint8_t)((1u << nbits) - 1), c;

    if (v < max) {
        c = (uint8_t)(flags | v);
        bytes_add(b, &c, 1);
        return;
    }
    c = flags | max;
    bytes_add(b, &c, 1);
    for (v -= max; v >= 128; v >>= 7) {
        c = (uint8_t)(0x80 | (v & 0x7f));
        bytes_add(b, &c, 1);
    }
    c = (uint8_t)v;
    bytes_add(b, &c, 1);
}

/* Literal field line with a static-table name reference (RFC 9204
 * §4.5.4), the value not Huffman-coded. */
static void put_literal(bytes *b, unsigned name_index, const char *value)
{
    put_prefixed(b, 0x50, 4, name_index);
    put_prefixed(b, 0x00, 7, strlen(value));
    bytes_add(b, value, strlen(value));
}

/* HEADERS for GET https://|authority||path|. */
static void h3_request(bytes *req, const char *authority, const char *path)
{
    static const uint8_t prefix_and_static[] = {
        0x00, 0x00, /* required insert count 0, base 0 */
        0xd1,       /* :method GET (static 17) */
        0xd7,       /* :scheme https (static 23) */
    };
    bytes fields = {0};

    bytes_add(&fields, prefix_and_static, sizeof(prefix_and_static));
    put_literal(&fields, 0, authority); /* :authority */
    put_literal(&fields, 1, path);      /* :path */
    put_varint(req, 0x01);              /* HEADERS */
    put_varint(req, fields.len);
    bytes_add(req, fields.p, fields.len);
    free(fields.p);
}

/* The status of a response and its body (DATA frames).  The status is
 * read only in the static-table form nghttp3 uses for common codes. */
static int h3_response(const bytes *r, int *status, bytes *body)
{
    static const struct {
        uint8_t index;
        int status;
    } codes[] = {{24, 103}, {25, 200}, {26, 304}, {27, 404}, {28, 503}};
    size_t off = 0;

    *status = 0;
    while (off < r->len) {
        uint64_t type, len;

        if (!get_varint(r->p, r->len, &off, &type) ||
            !get_varint(r->p, r->len, &off, &len) || len > r->len - off)
            return 0;
        if (type == 0x00) {
            bytes_add(body, r->p + off, (size_t)len);
        } else if (type == 0x01 && *status == 0 && len >= 3) {
            uint8_t line = r->p[off + 2];

            for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
                if (line == (0xc0 | codes[i].index))
                    *status = codes[i].status;
            if (*status == 0)
                *status = -1; /* some other form: not decoded here */
        }
        off += (size_t)len;
    }
    return 1;
}

/* ---- the client's run ---------------------------------------------------- */

static int run_client(const options *o)
{
    SSL_CTX *ctx = new_ctx(0, o);
    struct addrinfo *ai;
    sslq_port_config cfg;
    sslq_port_ops ops = {NULL, NULL, NULL, on_conn_event};
    sslq_port *port;
    peer_conn pc;
    sslq_stream *st = NULL;
    unsigned char alpn[256];
    size_t alpnlen = alpn_to_wire(o->alpn, alpn, sizeof(alpn));
    bytes payload = {0}, reply = {0};
    size_t sent = 0;
    int sending = o->send_file || o->send_bytes >= 0 || o->h3_get;
    int keep = o->expect_echo || o->h3_get;
    int reply_fin = 0, ok = 1, h3_status = 0;
    const char *failure = NULL;
    const char *sni = o->sni;
    struct in6_addr scratch;
    uint64_t deadline = sslq_now() + o->timeout_ms * NS_PER_MS;

    memset(&pc, 0, sizeof(pc));
    if (o->ciphers && !SSL_CTX_set_ciphersuites(ctx, o->ciphers)) {
        SSL_CTX_free(ctx);
        usage("--ciphers: libssl refuses '%s'", o->ciphers);
    }
    ai = resolve(o);
    if (o->insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    } else {
        if (o->cafile ? !SSL_CTX_load_verify_locations(ctx, o->cafile, NULL)
                      : !SSL_CTX_set_default_verify_paths(ctx))
            die("loading the trusted certificates failed");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    pc.ssl = SSL_new(ctx);
    if (pc.ssl == NULL || !SSL_set_ex_data(pc.ssl, conn_index, &pc) ||
        SSL_set_alpn_protos(pc.ssl, alpn, (unsigned)alpnlen) != 0)
        die("SSL_new failed");
    /* No SNI for an address literal (RFC 6066 §3), unless asked. */
    if (sni == NULL && inet_pton(AF_INET, o->host, &scratch) != 1 &&
        inet_pton(AF_INET6, o->host, &scratch) != 1)
        sni = o->host;
    if (sni != NULL && !SSL_set_tlsext_host_name(pc.ssl, sni))
        die("bad --sni");
    if (!o->insecure && !(sni != NULL ? SSL_set1_host(pc.ssl, sni)
                                      : X509_VERIFY_PARAM_set1_ip_asc(
                                            SSL_get0_param(pc.ssl), o->host)))
        die("setting the name to verify failed");
    if (o->h3_get) {
        h3_request(&payload, sni ? sni : o->host, o->h3_get);
    } else if (o->send_file) {
        bytes_load(&payload, o->send_file);
    } else {
        for (int64_t i = 0; i < o->send_bytes; i++) {
            uint8_t c = (uint8_t)(i * 131 + (i >> 11));

            bytes_add(&payload, &c, 1);
        }
    }

    sslq_port_config_default(&cfg);
    cfg.accept = 0;
    cfg.conn.log_printf = o->debug ? log_line : NULL;
    if (sslq_port_new(&port, open_endpoint(ai, 0), &cfg, &ops, NULL) != 0)
        die("sslq_port_new failed");
    if (sslq_port_connect(port, pc.ssl, ai->ai_addr, ai->ai_addrlen, &pc.conn,
                          sslq_now()) != 0)
        die("sslq_port_connect failed (is any QUIC cipher suite left?)");
    freeaddrinfo(ai);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    while (sslq_conn_state(pc.conn) == SSLQ_CONN_HANDSHAKE &&
           sslq_now() < deadline && !stop_requested)
        pump(port, deadline - sslq_now());
    if (sslq_conn_state(pc.conn) != SSLQ_CONN_ESTABLISHED) {
        ok = 0;
        failure = sslq_conn_state(pc.conn) == SSLQ_CONN_HANDSHAKE
                      ? "handshake timed out"
                      : "connection ended during the handshake";
    }

    if (ok && sending) {
        if (sslq_conn_open_stream(pc.conn, 0, &st) != 0) {
            ok = 0;
            failure = "could not open a stream";
        } else {
            pc.streams++;
        }
    }
    while (ok && st != NULL && !reply_fin) {
        size_t n = 0;
        int fin = 0;

        if (sent < payload.len || !st->fin_wanted) {
            if (sslq_stream_write(st, payload.p + sent, payload.len - sent, 1,
                                  &n) == 0 ||
                n > 0) {
                sent += n;
                pc.bytes_sent += n;
                sslq_port_conn_touch(port, pc.conn);
            }
        }
        while (!reply_fin) {
            uint8_t chunk[CHUNK];

            if (sslq_stream_read(st, chunk, sizeof(chunk), 0, &n, &fin) != 0)
                break;
            pc.bytes_received += n;
            if (keep)
                bytes_add(&reply, chunk, n);
            reply_fin = fin;
            if (n == 0)
                break;
            /* Reading opened credit: the peer must hear of it. */
            sslq_port_conn_touch(port, pc.conn);
        }
        if (serve_peer_streams(&pc, 0))
            sslq_port_conn_touch(port, pc.conn);
        if (reply_fin)
            break;
        if (sslq_conn_state(pc.conn) != SSLQ_CONN_ESTABLISHED) {
            ok = 0;
            failure = "connection ended before the reply's end";
        } else if (sslq_now() >= deadline || stop_requested) {
            ok = 0;
            failure = "timed out waiting for the reply";
        } else {
            pump(port, deadline - sslq_now());
        }
    }
    if (ok && o->expect_echo &&
        (reply.len != payload.len ||
         (reply.len > 0 && memcmp(reply.p, payload.p, reply.len) != 0))) {
        ok = 0;
        failure = "the reply differs from what was sent";
    }
    if (ok && o->h3_get) {
        bytes body = {0}, want = {0};

        if (!h3_response(&reply, &h3_status, &body)) {
            ok = 0;
            failure = "the HTTP/3 response does not parse";
        } else if (o->expect_body) {
            bytes_load(&want, o->expect_body);
            if (h3_status != 200 || body.len != want.len ||
                (body.len > 0 && memcmp(body.p, want.p, body.len) != 0)) {
                ok = 0;
                failure = "the HTTP/3 response is not the expected 200 body";
            }
        }
        printf("h3 status=%d body_bytes=%zu\n", h3_status, body.len);
        free(body.p);
        free(want.p);
    }
    if (sslq_conn_state(pc.conn) == SSLQ_CONN_ESTABLISHED)
        serve_peer_streams(&pc, 0);

    /* Close even after a failure, so that the peer is not left waiting. */
    sslq_conn_close(pc.conn, 1, o->close_code, NULL, sslq_now());
    sslq_port_conn_touch(port, pc.conn);
    sslq_port_flush(port, sslq_now());
    /* A process that exits may skip the closing period (RFC 9000 §10.2:
     * late packets then draw nothing, or a stateless reset); --linger-ms
     * keeps it, answering them with the CONNECTION_CLOSE again. */
    deadline = sslq_now() + o->linger_ms * NS_PER_MS;
    while (sslq_conn_state(pc.conn) != SSLQ_CONN_CLOSED &&
           sslq_now() < deadline && !stop_requested)
        pump(port, deadline - sslq_now());

    {
        const sslq_close_info *ci = sslq_conn_close_info(pc.conn);

        if (ok &&
            (!ci->set || ci->remote || !ci->app || ci->code != o->close_code)) {
            ok = 0;
            failure = "the connection did not end with our close";
        }
    }
    ok = print_summary(stdout, &pc, ok, failure);
    sslq_port_free(port);
    peer_streams_free(&pc);
    SSL_free(pc.ssl);
    SSL_CTX_free(ctx);
    free(payload.p);
    free(reply.p);
    return ok ? 0 : 1;
}

/* ---- server -------------------------------------------------------------- */

typedef struct server {
    const options *o;
    SSL_CTX *ctx;
    sslq_port *port;
    peer_conn *conns;
    unsigned next_id;
    uint64_t ended, failed;
    unsigned char alpn[256];
    size_t alpnlen;
} server;

static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    server *sv = arg;

    (void)ssl;
    /* Our preference order; no overlap is no_application_protocol. */
    if (SSL_select_next_proto((unsigned char **)out, outlen, sv->alpn,
                              (unsigned)sv->alpnlen, in,
                              inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

static int srv_may_accept(void *owner)
{
    (void)owner;
    return 1;
}

static SSL *srv_new_ssl(void *owner)
{
    server *sv = owner;

    return SSL_new(sv->ctx);
}

static void srv_incoming(void *owner, sslq_conn *conn)
{
    server *sv = owner;
    peer_conn *pc = calloc(1, sizeof(*pc));

    if (pc == NULL)
        die("out of memory");
    pc->id = sv->next_id++;
    pc->conn = conn;
    pc->ssl = sslq_conn_ssl(conn);
    if (!SSL_set_ex_data(pc->ssl, conn_index, pc))
        die("SSL_set_ex_data failed");
    pc->next = sv->conns;
    sv->conns = pc;
}

static void write_port_file(const char *path, sslq_udp *udp)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char tmp[4096];
    unsigned port;
    FILE *f;

    if (sslq_udp_local_addr(udp, &ss, &len) != 0)
        die("getsockname failed");
    port =
        ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                       : ((struct sockaddr_in *)&ss)->sin_port);
    /* Written aside and renamed, so that a reader never sees half of it. */
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        fprintf(stderr, "quic_peer: %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* Serves every connection's streams; reports and frees ended ones. */
static void server_sweep(server *sv)
{
    peer_conn **link = &sv->conns;

    while (*link != NULL) {
        peer_conn *pc = *link;

        if (sslq_conn_state(pc->conn) == SSLQ_CONN_ESTABLISHED &&
            serve_peer_streams(pc, sv->o->echo))
            sslq_port_conn_touch(sv->port, pc->conn);
        if (sslq_conn_state(pc->conn) != SSLQ_CONN_CLOSED) {
            link = &pc->next;
            continue;
        }
        /* The handshake is the one thing a server asks of its peers; how
         * the peer chose to close is reported, not judged. */
        if (!print_summary(stdout, pc, 1, NULL))
            sv->failed++;
        sv->ended++;
        *link = pc->next;
        sslq_port_conn_free(sv->port, pc->conn);
        peer_streams_free(pc);
        SSL_set_ex_data(pc->ssl, conn_index, NULL);
        SSL_free(pc->ssl);
        free(pc);
    }
}

static int run_server(const options *o)
{
    struct addrinfo *ai = resolve(o);
    sslq_port_ops ops = {srv_may_accept, srv_new_ssl, srv_incoming,
                         on_conn_event};
    sslq_port_config cfg;
    sslq_udp *udp;
    server sv;
    uint64_t deadline =
        o->timeout_ms ? sslq_now() + o->timeout_ms * NS_PER_MS : UINT64_MAX;
    int rc;

    memset(&sv, 0, sizeof(sv));
    sv.o = o;
    sv.alpnlen = alpn_to_wire(o->alpn, sv.alpn, sizeof(sv.alpn));
    sv.ctx = new_ctx(1, o);
    if (SSL_CTX_use_certificate_chain_file(sv.ctx, o->cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(sv.ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(sv.ctx) != 1)
        die("loading --cert/--key failed");
    SSL_CTX_set_alpn_select_cb(sv.ctx, select_alpn, &sv);

    udp = open_endpoint(ai, 1);
    freeaddrinfo(ai);
    sslq_port_config_default(&cfg);
    cfg.accept = 1;
    cfg.validate = !o->no_validate;
    cfg.conn.log_printf = o->debug ? log_line : NULL;
    if (sslq_port_new(&sv.port, udp, &cfg, &ops, &sv) != 0)
        die("sslq_port_new failed");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (o->port_file)
        write_port_file(o->port_file, udp);

    while (sv.ended < o->max_conns && !stop_requested) {
        uint64_t now = sslq_now();

        if (now >= deadline) {
            fprintf(stderr,
                    "quic_peer: server timed out after %" PRIu64 " of %" PRIu64
                    " connections\n",
                    sv.ended, o->max_conns);
            sv.failed++;
            break;
        }
        pump(sv.port, deadline - now < 1000 * NS_PER_MS ? deadline - now
                                                        : 1000 * NS_PER_MS);
        server_sweep(&sv);
    }
    if (stop_requested)
        sv.failed++;
    rc = sv.failed == 0 ? 0 : 1;
    /* Connections still open go with the port; their SSLs are ours. */
    while (sv.conns != NULL) {
        peer_conn *pc = sv.conns;

        sv.conns = pc->next;
        sslq_port_conn_free(sv.port, pc->conn);
        peer_streams_free(pc);
        SSL_free(pc->ssl);
        free(pc);
    }
    sslq_port_free(sv.port);
    SSL_CTX_free(sv.ctx);
    return rc;
}

int main(int argc, char **argv)
{
    options o;

    parse_args(argc, argv, &o);
    conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (conn_index < 0)
        die("SSL_get_ex_new_index failed");
    /* A peer vanishing is not a reason to die of SIGPIPE (no pipes here, but
     * stdout may be one). */
    signal(SIGPIPE, SIG_IGN);
    return o.server ? run_server(&o) : run_client(&o);
}
