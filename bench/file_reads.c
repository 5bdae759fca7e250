/* file_reads: 4 KiB random reads through uringbridge's async ring, for the
 * comparison with fio (bench/run runs fio on the same file, interleaved).
 *
 *   file_reads --file PATH --qd N --seconds S [--direct] [--face ring|blocking]
 *
 * --face ring (the default): keeps N reads in flight on one urb_ring: the
 *   first N go in with one urb_ring_submit_batch; then every
 *   urb_ring_wait(min 1) is answered by one urb_ring_submit_batch of as many
 *   new reads as completed (each into the buffer its predecessor used).
 * --face blocking: urb_read in a loop (N must be 1), for information.
 * Offsets are random, 4 KiB-aligned, over the whole file (xorshift64, the
 * same stream every run). --direct opens the file O_DIRECT (buffers are
 * 4 KiB-aligned). Runs S seconds, then drains what is in flight.
 *
 * Prints one line:
 *   iops X reads R seconds T enters_per_read E wakeups_per_read W
 * (enters/wakeups from urb_ring_stats; 0 for the blocking face). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uringbridge.h>

enum { BLOCK = 4096, QD_MAX = 1024 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t blocks;

static uint64_t random_offset(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (rng_state % blocks) * BLOCK;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int res) {
    fprintf(stderr, "file_reads: %s: %s\n", what, urb_strerror(res));
    exit(1);
}

static void usage(void) {
    fprintf(stderr, "usage: file_reads --file PATH --qd N (1-%d) --seconds S [--direct] [--face ring|blocking]\n", QD_MAX);
    exit(2);
}

int main(int argc, char **argv) {
    const char *path = NULL, *face = "ring";
    int qd = 1, direct = 0;
    double seconds = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc) path = argv[++i];
        else if (!strcmp(argv[i], "--qd") && i + 1 < argc) qd = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--direct")) direct = 1;
        else if (!strcmp(argv[i], "--face") && i + 1 < argc) face = argv[++i];
        else usage();
    }
    int blocking = !strcmp(face, "blocking");
    if (!path || qd < 1 || qd > QD_MAX || !(seconds > 0) || (!blocking && strcmp(face, "ring")) || (blocking && qd != 1))
        usage();

    int fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0) die("open", -errno);
    struct stat st;
    if (fstat(fd, &st) < 0) die("fstat", -errno);
    blocks = (uint64_t)st.st_size / BLOCK;
    if (blocks == 0) die("file smaller than 4 KiB", -EINVAL);
    char *bufs;
    if (posix_memalign((void **)&bufs, BLOCK, (size_t)qd * BLOCK)) die("posix_memalign", -ENOMEM);
    memset(bufs, 0, (size_t)qd * BLOCK);

    long done = 0;
    double t0, elapsed = 0;
    urb_stats s0 = {0}, s1 = {0};
    if (blocking) {
        t0 = now_s();
        double end = t0 + seconds;
        do {
            for (int k = 0; k < 64; k++) {
                int32_t r = urb_read(fd, bufs, BLOCK, random_offset());
                if (r != BLOCK) die("urb_read", r < 0 ? r : -EIO);
            }
            done += 64;
        } while (now_s() < end);
        elapsed = now_s() - t0;
    } else {
        urb_ring_config cfg = {.entries = (uint32_t)(qd < 32 ? 64 : 2 * qd)};
        urb_ring *ring;
        int32_t r = urb_ring_new(&cfg, &ring);
        if (r < 0) die("urb_ring_new", r);
        urb_op *ops = calloc((size_t)qd, sizeof *ops);
        uint64_t *tokens = calloc((size_t)qd, sizeof *tokens);
        urb_completion *out = calloc((size_t)qd, sizeof *out);
        if (!ops || !tokens || !out) die("calloc", -ENOMEM);
        for (int i = 0; i < qd; i++) {
            urb_prep_read(fd, bufs + (size_t)i * BLOCK, BLOCK, random_offset(), &ops[i]);
            tokens[i] = (uint64_t)i;
        }
        urb_ring_stats(ring, &s0);
        t0 = now_s();
        double end = t0 + seconds;
        if ((r = urb_ring_submit_batch(ring, ops, (size_t)qd, tokens)) < 0) die("urb_ring_submit_batch", r);
        long in_flight = qd;
        int stopping = 0;
        while (in_flight > 0) {
            int n = urb_ring_wait(ring, out, (uint32_t)qd, 1, URB_WAIT_FOREVER);
            if (n < 0) die("urb_ring_wait", n);
            in_flight -= n;
            if (!stopping && now_s() >= end) {
                stopping = 1;
                elapsed = now_s() - t0;
                urb_ring_stats(ring, &s1);
            }
            int again = 0;
            for (int i = 0; i < n; i++) {
                if (out[i].res != BLOCK) die("read", out[i].res < 0 ? out[i].res : -EIO);
                if (stopping) continue;
                done++;
                uint64_t slot = out[i].token;
                urb_prep_read(fd, bufs + slot * BLOCK, BLOCK, random_offset(), &ops[again]);
                tokens[again++] = slot;
            }
            if (again) {
                if ((r = urb_ring_submit_batch(ring, ops, (size_t)again, tokens)) < 0) die("urb_ring_submit_batch", r);
                in_flight += again;
            }
        }
        if (!stopping) { /* cannot happen: reads are resubmitted until the time is up */
            elapsed = now_s() - t0;
            urb_ring_stats(ring, &s1);
        }
        urb_ring_free(ring);
        free(ops);
        free(tokens);
        free(out);
    }
    double enters = (double)(s1.enters - s0.enters), wakeups = (double)(s1.wakeups - s0.wakeups);
    printf("iops %.0f reads %ld seconds %.3f enters_per_read %.4f wakeups_per_read %.4f\n", (double)done / elapsed, done,
           elapsed, done ? enters / (double)done : 0.0, done ? wakeups / (double)done : 0.0);
    free(bufs);
    close(fd);
    return 0;
}
