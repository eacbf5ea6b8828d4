/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared pieces of qbench_server and qbench_client: clocks, CPU and RSS
 * readings, strict number parsing and the stream header.
 *
 * Like the conformance programs (whose conformance.h this reuses for the
 * socket, certificate and context recipes), everything here is written
 * against OpenSSL 3.5's QUIC API only, so the same text builds natively on
 * 3.5 and through sslquic's compat header on 3.0.
 *
 * Every stream a client opens starts with a 16-byte header: the number of
 * bytes the server must send back after the client's FIN (QB_ECHO: echo the
 * payload as it arrives instead), then how many streams the connection will
 * carry (the server closes, waiting for the peer, after that many).
 */
#ifndef SSLQUIC_QBENCH_H
#define SSLQUIC_QBENCH_H

#include <sys/resource.h>
#include <time.h>

#include "conformance.h"

#define QB_HDR_LEN 16
#define QB_ECHO UINT64_MAX
#define QB_CHUNK 65536

static inline double qb_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User plus system CPU seconds of this process (all its threads). */
static inline double qb_cpu(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* VmRSS of this process in KiB, or -1. */
static inline long qb_rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* A whole decimal number in [min, max]; 0 on anything else. */
static inline int qb_parse_u64(const char *s, uint64_t min, uint64_t max,
                               uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

/* Payload bytes: the conformance pattern, shared read-only by all senders. */
static inline const unsigned char *qb_payload(void)
{
    static unsigned char buf[QB_CHUNK];
    static int ready;
    size_t i;

    if (!ready) {
        for (i = 0; i < sizeof(buf); i++)
            buf[i] = conf_pattern(i);
        ready = 1;
    }
    return buf;
}

static inline void qb_print_errors(const char *who, const char *what)
{
    fprintf(stderr, "%s: %s\n", who, what);
    ERR_print_errors_fp(stderr);
}

#endif /* SSLQUIC_QBENCH_H */
