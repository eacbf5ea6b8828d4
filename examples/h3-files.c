/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-files: h3-server's requests, answered from the document root (see
 * h3-files.h).  GET and HEAD only.  A path is percent-decoded, then
 * resolved with realpath, so "..", its encoded forms and symlinks all
 * resolve before the check that the file lies inside the root.  A body is
 * read from the open file one bounded chunk at a time: a large file never
 * sits whole in memory.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h3-files.h"

#define CHUNK 32768 /* the most of one body held in memory */

/* One request: made when its stream arrives, freed when h3_reap ends it. */
struct req {
    struct h3_stream *s;
    char method[16], path[4097];
    char st[8];         /* the status, as text for the :status field */
    const char *type;   /* the content-type on a 200 */
    size_t hdr;         /* the header section's size so far */
    int status;         /* 0 until the response is decided */
    int fd;             /* the file served, or -1 */
    int waiting;        /* read_body waits for the last chunk's ack */
    uint64_t size;      /* the content-length */
    uint64_t sent;      /* body bytes handed to nghttp3 */
    uint64_t unacked;   /* bytes of buf nghttp3 may still point into */
    unsigned char *buf; /* the chunk; NULL when no body is sent */
};

static char root[PATH_MAX];
static unsigned long requests;

int h3_files_set_root(const char *dir)
{
    return realpath(dir, root) == NULL ? -1 : 0;
}

unsigned long h3_files_requests(void)
{
    return requests;
}

void *h3_files_new_req(struct h3_stream *s)
{
    struct req *r = calloc(1, sizeof(*r));

    if (r != NULL) {
        r->s = s;
        r->fd = -1;
    }
    return r;
}

/* Logs a request whose response went out in full, then frees it. */
void h3_files_end_req(void *p)
{
    struct req *r = p;
    char *c;

    if (r->s->fin_sent && r->st[0] != '\0') {
        /* the path is the client's: keep the log one line of text */
        for (c = r->path; *c != '\0'; c++)
            if (!isgraph((unsigned char)*c))
                *c = '?';
        printf("h3-server: request %s %s %d %llu\n", r->method, r->path,
               r->status, (unsigned long long)(r->buf ? r->sent : 0));
        fflush(stdout);
        requests++;
    }
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r);
}

static const char *mime(const char *real)
{
    static const char *const map[] = {
        "html", "text/html", "css", "text/css",      "js",  "text/javascript",
        "png",  "image/png", "svg", "image/svg+xml", "txt", "text/plain",
        NULL};
    const char *dot = strrchr(real, '.');
    int i;

    for (i = 0; dot != NULL && map[i] != NULL; i += 2)
        if (strcmp(dot + 1, map[i]) == 0)
            return map[i + 1];
    return "application/octet-stream";
}

/* Percent-decodes path (which starts with '/') up to any query or fragment
 * into dec, adding index.html to a directory: 0, or 400 if malformed. */
static int decode(const char *p, char *dec, size_t size)
{
    size_t j = 0;
    unsigned v;

    for (; *p != '\0' && *p != '?' && *p != '#'; p++) {
        v = (unsigned char)*p;
        if (v == '%') {
            if (!isxdigit((unsigned char)p[1]) ||
                !isxdigit((unsigned char)p[2]))
                return 400;
            sscanf(p + 1, "%2x", &v);
            p += 2;
        }
        /* a NUL would cut the name short; keep room for index.html */
        if (v == 0 || j >= size - 16)
            return 400;
        dec[j++] = (char)v;
    }
    strcpy(dec + j, dec[j - 1] == '/' ? "index.html" : "");
    return 0;
}

/* Opens the file for r->path: 200, or the status refusing it. */
static int resolve(struct req *r)
{
    char dec[4200], full[PATH_MAX + 4200], real[PATH_MAX];
    size_t rl = strlen(root);
    struct stat st;

    if (decode(r->path, dec, sizeof(dec)) != 0)
        return 400;
    /* realpath resolves "..", "%2e%2e" (decoded above) and symlinks alike:
     * whatever lands outside the root is refused */
    snprintf(full, sizeof(full), "%s%s", root, dec);
    if (realpath(full, real) == NULL)
        return errno == ENOENT || errno == ENOTDIR ? 404 : 403;
    if (strncmp(real, root, rl) != 0 || real[rl] != '/')
        return 403;
    r->fd = open(real, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0 || fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 404;
    r->size = (uint64_t)st.st_size;
    r->type = mime(real);
    return 200;
}

/* nghttp3 asks for more of the body: one chunk at a time, and the next only
 * once the last is acked, as nghttp3 may point into buf until then. */
static nghttp3_ssize read_body(nghttp3_conn *h3, int64_t id, nghttp3_vec *vec,
                               size_t veccnt, uint32_t *pflags, void *cud,
                               void *sud)
{
    struct req *r = sud;
    uint64_t want = r->size - r->sent < CHUNK ? r->size - r->sent : CHUNK;
    ssize_t n;

    if (r->unacked > 0) {
        r->waiting = 1;
        return NGHTTP3_ERR_WOULDBLOCK;
    }
    n = want > 0 ? pread(r->fd, r->buf, want, (off_t)r->sent) : 0;
    if (n <= 0 || r->sent + (uint64_t)n >= r->size)
        *pflags |= NGHTTP3_DATA_FLAG_EOF; /* a shrunk file ends early */
    if (n <= 0)
        return 0;
    r->sent += (uint64_t)n;
    r->unacked = (uint64_t)n;
    vec[0].base = r->buf;
    vec[0].len = (size_t)n;
    return 1;
}

/* The chunk is free again: let h3_write resume the stream's body. */
static int on_acked(nghttp3_conn *h3, int64_t id, uint64_t n, void *cud,
                    void *sud)
{
    struct req *r = sud;

    r->unacked -= n < r->unacked ? n : r->unacked;
    if (r->unacked == 0 && r->waiting) {
        r->waiting = 0;
        r->s->resume = 1;
    }
    return 0;
}

/* Keeps :method and :path; a section too large or a path too long decides
 * the status already, and the rest of the fields are ignored. */
static int on_header(nghttp3_conn *h3, int64_t id, int32_t token,
                     nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
                     void *cud, void *sud)
{
    struct req *r = sud;
    nghttp3_vec n = nghttp3_rcbuf_get_buf(name);
    nghttp3_vec v = nghttp3_rcbuf_get_buf(value);

    /* counted as RFC 9114 section 4.2.2 does: name, value and 32 */
    if ((r->hdr += n.len + v.len + 32) > H3_MAX_FIELD_SECTION)
        r->status = 431;
    else if (h3_name_is(name, ":method"))
        snprintf(r->method, sizeof(r->method), "%.*s", (int)v.len, v.base);
    else if (h3_name_is(name, ":path") && v.len >= sizeof(r->path))
        r->status = 414;
    else if (h3_name_is(name, ":path"))
        snprintf(r->path, sizeof(r->path), "%.*s", (int)v.len, v.base);
    return 0;
}

/* The whole request is known: answer it. */
static int on_headers_end(nghttp3_conn *h3, int64_t id, int fin, void *cud,
                          void *sud)
{
    struct req *r = sud;
    nghttp3_data_reader dr = {read_body};
    int head = strcmp(r->method, "HEAD") == 0;
    const char *type;
    char len[24];

    if (r->status == 0 && (r->method[0] == '\0' || r->path[0] != '/'))
        r->status = 400;
    if (r->status == 0 && !head && strcmp(r->method, "GET") != 0)
        r->status = 405;
    if (r->status == 0)
        r->status = resolve(r);
    if (r->status != 200)
        r->size = 0;
    /* HEAD gets GET's content-length, but no buffer and so no body */
    if (r->size > 0 && !head && (r->buf = malloc(CHUNK)) == NULL)
        return NGHTTP3_ERR_CALLBACK_FAILURE;
    snprintf(r->st, sizeof(r->st), "%d", r->status);
    snprintf(len, sizeof(len), "%llu", (unsigned long long)r->size);
    type = r->status != 200 ? "text/plain" : r->type;
    {
        nghttp3_nv nv[] = {H3_NV(":status", r->st),
                           H3_NV("content-length", len),
                           H3_NV("content-type", type)};

        return nghttp3_conn_submit_response(h3, id, nv, 3, r->buf ? &dr : NULL);
    }
}

const nghttp3_callbacks h3_files_callbacks = {.acked_stream_data = on_acked,
                                              .recv_header = on_header,
                                              .end_headers = on_headers_end};
