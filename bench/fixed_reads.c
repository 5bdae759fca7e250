/* fixed_reads: 4 KiB random reads into registered buffers
 * (URB_OP_READ_FIXED) through uringbridge's async ring, the pair of
 * `fio --ioengine=io_uring --fixedbufs=1` (bench/fixed_pair runs both on
 * the same file, interleaved).
 *
 *   fixed_reads --file PATH --qd N --seconds S [--direct] [--plain]
 *
 * Keeps N reads in flight on one urb_ring, each into its own 4 KiB slot of
 * one registered buffer (urb_ring_register_buffers, index 0): the first N go
 * in with one urb_ring_submit_batch; then every urb_ring_wait(min 1) is
 * answered by one urb_ring_submit_batch of as many new reads as completed,
 * as bench/file_reads.c does. --plain submits URB_OP_READ into the same
 * memory without registering it (the same program without fixed buffers,
 * to show what they change in one run). Offsets are random, 4 KiB-aligned,
 * over the whole file (xorshift64, the same stream every run). --direct
 * opens the file O_DIRECT.
 *
 * Prints one line:
 *   iops X reads R seconds T cpu_ns_per_read C enters_per_read E
 * (CPU time is the process's user + system time over the measured interval,
 * the owner thread included; enters from urb_ring_stats). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what, int res) {
    fprintf(stderr, "fixed_reads: %s: %s\n", what, urb_strerror(res));
    exit(1);
}

static void usage(void) {
    fprintf(stderr, "usage: fixed_reads --file PATH --qd N (1-%d) --seconds S [--direct] [--plain]\n", QD_MAX);
    exit(2);
}

static void prep(int fd, char *bufs, uint64_t slot, int plain, urb_op *op) {
    char *buf = bufs + slot * BLOCK;
    if (plain)
        urb_prep_read(fd, buf, BLOCK, random_offset(), op);
    else
        urb_prep_read_fixed(fd, buf, BLOCK, random_offset(), 0, op);
}

int main(int argc, char **argv) {
    const char *path = NULL;
    int qd = 32, direct = 0, plain = 0;
    double seconds = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc) path = argv[++i];
        else if (!strcmp(argv[i], "--qd") && i + 1 < argc) qd = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--direct")) direct = 1;
        else if (!strcmp(argv[i], "--plain")) plain = 1;
        else usage();
    }
    if (!path || qd < 1 || qd > QD_MAX || !(seconds > 0)) usage();

    int fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0) die("open", -errno);
    struct stat st;
    if (fstat(fd, &st) < 0) die("fstat", -errno);
    blocks = (uint64_t)st.st_size / BLOCK;
    if (blocks == 0) die("file smaller than 4 KiB", -EINVAL);
    size_t bytes = (size_t)qd * BLOCK;
    char *bufs = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bufs == MAP_FAILED) die("mmap", -errno);
    memset(bufs, 0, bytes);

    urb_ring_config cfg = {.entries = (uint32_t)(qd < 32 ? 64 : 2 * qd)};
    urb_ring *ring;
    int32_t r = urb_ring_new(&cfg, &ring);
    if (r < 0) die("urb_ring_new", r);
    struct iovec whole = {bufs, bytes};
    if (!plain && (r = urb_ring_register_buffers(ring, &whole, 1)) < 0) die("urb_ring_register_buffers", r);
    urb_op *ops = calloc((size_t)qd, sizeof *ops);
    uint64_t *tokens = calloc((size_t)qd, sizeof *tokens);
    urb_completion *out = calloc((size_t)qd, sizeof *out);
    if (!ops || !tokens || !out) die("calloc", -ENOMEM);
    for (int i = 0; i < qd; i++) {
        prep(fd, bufs, (uint64_t)i, plain, &ops[i]);
        tokens[i] = (uint64_t)i;
    }
    urb_stats s0 = {0}, s1 = {0};
    urb_ring_stats(ring, &s0);
    long done = 0;
    double t0 = now_s(), c0 = cpu_s(), elapsed = 0, cpu = 0;
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
            cpu = cpu_s() - c0;
            urb_ring_stats(ring, &s1);
        }
        int again = 0;
        for (int i = 0; i < n; i++) {
            if (out[i].res != BLOCK) die("read", out[i].res < 0 ? out[i].res : -EIO);
            if (stopping) continue;
            done++;
            prep(fd, bufs, out[i].token, plain, &ops[again]);
            tokens[again++] = out[i].token;
        }
        if (again) {
            if ((r = urb_ring_submit_batch(ring, ops, (size_t)again, tokens)) < 0) die("urb_ring_submit_batch", r);
            in_flight += again;
        }
    }
    if (!plain && (r = urb_ring_unregister_buffers(ring)) < 0) die("urb_ring_unregister_buffers", r);
    urb_ring_free(ring);
    double enters = (double)(s1.enters - s0.enters);
    printf("iops %.0f reads %ld seconds %.3f cpu_ns_per_read %.0f enters_per_read %.4f\n", (double)done / elapsed,
           done, elapsed, done ? cpu * 1e9 / (double)done : 0.0, done ? enters / (double)done : 0.0);
    free(ops);
    free(tokens);
    free(out);
    munmap(bufs, bytes);
    close(fd);
    return 0;
}
