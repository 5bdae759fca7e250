/* read_rounds.h: what bench/file_reads.c and bench/fixed_reads.c share, so
 * both measure the same rounds (header-only, for one-file programs):
 *
 *   open_blocks   the file to read (O_DIRECT with --direct), its whole
 *                 4 KiB blocks counted for random_offset
 *   random_offset a random 4 KiB-aligned offset over those blocks
 *                 (xorshift64, the same stream every run)
 *   new_ring      the async ring (64 entries, 2 * qd from qd 32 up)
 *   run_rounds    N reads in flight on that ring for S seconds: the first N
 *                 go in with one urb_ring_submit_batch; then every
 *                 urb_ring_wait(min 1) is answered by one
 *                 urb_ring_submit_batch of as many new reads as completed,
 *                 each into the slot its predecessor used (`prep` builds
 *                 them); when the time is up, what is in flight is drained
 *                 and not counted
 *
 * Define BENCH_NAME (the program's name, for die's messages) before
 * including it. */
#ifndef URB_BENCH_READ_ROUNDS_H
#define URB_BENCH_READ_ROUNDS_H

#ifndef BENCH_NAME
#error "define BENCH_NAME before including read_rounds.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <uringbridge.h>

enum { BLOCK = 4096, QD_MAX = 1024 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t blocks;

static inline uint64_t random_offset(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (rng_state % blocks) * BLOCK;
}

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's user + system time (every thread's, the owner's too). */
static inline double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static inline void die(const char *what, int res) {
    fprintf(stderr, BENCH_NAME ": %s: %s\n", what, urb_strerror(res));
    exit(1);
}

/* Opens `path` read-only (O_DIRECT with `direct`) and counts its whole
 * 4 KiB blocks for random_offset; dies if there is none. */
static inline int open_blocks(const char *path, int direct) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0) die("open", -errno);
    struct stat st;
    if (fstat(fd, &st) < 0) die("fstat", -errno);
    blocks = (uint64_t)st.st_size / BLOCK;
    if (blocks == 0) die("file smaller than 4 KiB", -EINVAL);
    return fd;
}

/* `flags`: URB_RING_* (URB_RING_SINGLE_THREAD for the ring the calling
 * thread drives itself). */
static inline urb_ring *new_ring(int qd, uint32_t flags) {
    urb_ring_config cfg = {.entries = (uint32_t)(qd < 32 ? 64 : 2 * qd), .flags = flags};
    urb_ring *ring;
    int32_t r = urb_ring_new(&cfg, &ring);
    if (r < 0) die("urb_ring_new", r);
    return ring;
}

/* Builds the 4 KiB read into buffer slot `slot` at random_offset(). */
typedef void (*prep_read_fn)(void *ctx, uint64_t slot, urb_op *op);

/* What run_rounds measured, up to the moment the time was up. */
struct rounds {
    long done;            /* reads completed */
    double elapsed, cpu;  /* seconds: wall clock, process CPU time */
    urb_stats s0, s1;     /* the ring's stats at the start and at the end */
};

static inline struct rounds run_rounds(urb_ring *ring, int qd, double seconds, prep_read_fn prep, void *ctx) {
    struct rounds m = {0};
    urb_op *ops = calloc((size_t)qd, sizeof *ops);
    uint64_t *tokens = calloc((size_t)qd, sizeof *tokens);
    urb_completion *out = calloc((size_t)qd, sizeof *out);
    if (!ops || !tokens || !out) die("calloc", -ENOMEM);
    for (int i = 0; i < qd; i++) {
        prep(ctx, (uint64_t)i, &ops[i]);
        tokens[i] = (uint64_t)i;
    }
    urb_ring_stats(ring, &m.s0);
    double t0 = now_s(), c0 = cpu_s();
    double end = t0 + seconds;
    int32_t r;
    if ((r = urb_ring_submit_batch(ring, ops, (size_t)qd, tokens)) < 0) die("urb_ring_submit_batch", r);
    long in_flight = qd;
    int stopping = 0;
    while (in_flight > 0) {
        int n = urb_ring_wait(ring, out, (uint32_t)qd, 1, URB_WAIT_FOREVER);
        if (n < 0) die("urb_ring_wait", n);
        in_flight -= n;
        if (!stopping && now_s() >= end) {
            stopping = 1;
            m.elapsed = now_s() - t0;
            m.cpu = cpu_s() - c0;
            urb_ring_stats(ring, &m.s1);
        }
        int again = 0;
        for (int i = 0; i < n; i++) {
            if (out[i].res != BLOCK) die("read", out[i].res < 0 ? out[i].res : -EIO);
            if (stopping) continue;
            m.done++;
            prep(ctx, out[i].token, &ops[again]);
            tokens[again++] = out[i].token;
        }
        if (again) {
            if ((r = urb_ring_submit_batch(ring, ops, (size_t)again, tokens)) < 0) die("urb_ring_submit_batch", r);
            in_flight += again;
        }
    }
    if (!stopping) { /* cannot happen: reads are resubmitted until the time is up */
        m.elapsed = now_s() - t0;
        m.cpu = cpu_s() - c0;
        urb_ring_stats(ring, &m.s1);
    }
    free(ops);
    free(tokens);
    free(out);
    return m;
}

#endif
