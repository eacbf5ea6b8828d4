/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h3-fetch: h3-client's requests and what comes back (see h3-fetch.h).
 * Only :status and content-length are read from the response's fields;
 * the body is counted, and passed on to the file and digest as it comes.
 */
#include <stdlib.h>
#include <string.h>

#include "h3-fetch.h"

static uint64_t total;

uint64_t h3_fetch_received(void)
{
    return total;
}

static int on_header(nghttp3_conn *h3, int64_t id, int32_t token,
                     nghttp3_rcbuf *name, nghttp3_rcbuf *value, uint8_t flags,
                     void *cud, void *sud)
{
    struct creq *r = sud;
    nghttp3_vec v = nghttp3_rcbuf_get_buf(value);
    char buf[24];

    snprintf(buf, sizeof(buf), "%.*s", (int)v.len, v.base);
    if (h3_name_is(name, ":status"))
        r->status = atoi(buf);
    else if (h3_name_is(name, "content-length"))
        r->clen = v.len < sizeof(buf) ? atoll(buf) : -2;
    return 0;
}

static int on_data(nghttp3_conn *h3, int64_t id, const uint8_t *data,
                   size_t len, void *cud, void *sud)
{
    struct creq *r = sud;

    r->bytes += len;
    total += len;
    if (r->out != NULL && fwrite(data, 1, len, r->out) != len)
        return NGHTTP3_ERR_CALLBACK_FAILURE;
    if (r->md != NULL && !EVP_DigestUpdate(r->md, data, len))
        return NGHTTP3_ERR_CALLBACK_FAILURE;
    return 0;
}

static int on_end(nghttp3_conn *h3, int64_t id, void *cud, void *sud)
{
    ((struct creq *)sud)->done = 1;
    return 0;
}

const nghttp3_callbacks h3_fetch_callbacks = {
    .recv_header = on_header, .recv_data = on_data, .end_stream = on_end};

void h3_fetch_gone(void *app)
{
    ((struct creq *)app)->gone = 1;
}

int h3_fetch_submit(struct h3_conn *c, struct creq *r, const char *dir, int sha,
                    const char *authority)
{
    /* the file is named after the path's last segment, or index.html */
    const char *b = strrchr(r->path, '/') + 1;
    int n = (int)strcspn(b, "?#");
    char file[4352];
    nghttp3_nv nv[] = {H3_NV(":method", "GET"), H3_NV(":scheme", "https"),
                       H3_NV(":authority", authority), H3_NV(":path", r->path),
                       H3_NV("user-agent", "h3-client")};
    struct h3_stream *s;
    SSL *ssl;

    snprintf(file, sizeof(file), "%s/%.*s", dir ? dir : "", n ? n : 10,
             n ? b : "index.html");
    if (dir != NULL && (r->out = fopen(file, "wb")) == NULL) {
        perror(file);
        return -1;
    }
    if (sha && ((r->md = EVP_MD_CTX_new()) == NULL ||
                !EVP_DigestInit_ex(r->md, EVP_sha256(), NULL)))
        return -1;
    if ((ssl = SSL_new_stream(c->ssl, 0)) == NULL ||
        (s = h3_add_stream(c, ssl)) == NULL) {
        SSL_free(ssl);
        return -1;
    }
    s->app = r;
    return nghttp3_conn_submit_request(c->h3, s->id, nv, 5, NULL, r) ? -1 : 0;
}

int h3_fetch_report(struct creq *r)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int i, mdlen;
    int rc = 0;

    /* a body cut short of its content-length is a failure too */
    if ((r->out != NULL && fclose(r->out) != 0) || !r->done ||
        r->status != 200 || (r->clen != -1 && r->clen != (long long)r->bytes))
        rc = -1;
    printf("status %d %llu %s\n", r->status, (unsigned long long)r->bytes,
           r->path);
    if (r->md != NULL && r->done && EVP_DigestFinal_ex(r->md, md, &mdlen)) {
        printf("sha256 ");
        for (i = 0; i < mdlen; i++)
            printf("%02x", md[i]);
        printf(" %s\n", r->path);
    }
    EVP_MD_CTX_free(r->md);
    free(r->path);
    return rc;
}
