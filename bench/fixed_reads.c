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
 * answered by one urb_ring_submit_batch of as many new reads as completed
 * (bench/read_rounds.h: the rounds bench/file_reads.c runs too). --plain
 * submits URB_OP_READ into the same memory without registering it (the
 * same program without fixed buffers, to show what they change in one
 * run). Offsets are random, 4 KiB-aligned,
 * over the whole file (xorshift64, the same stream every run). --direct
 * opens the file O_DIRECT.
 *
 * Prints one line:
 *   iops X reads R seconds T cpu_ns_per_read C enters_per_read E
 * (CPU time is the process's user + system time over the measured interval,
 * the owner thread included; enters from urb_ring_stats). */
#define BENCH_NAME "fixed_reads"
#include "read_rounds.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

static void usage(void) {
    fprintf(stderr, "usage: fixed_reads --file PATH --qd N (1-%d) --seconds S [--direct] [--plain]\n", QD_MAX);
    exit(2);
}

struct slots {
    int fd, plain;
    char *bufs;
};

static void prep(void *ctx, uint64_t slot, urb_op *op) {
    struct slots *s = ctx;
    char *buf = s->bufs + slot * BLOCK;
    if (s->plain)
        urb_prep_read(s->fd, buf, BLOCK, random_offset(), op);
    else
        urb_prep_read_fixed(s->fd, buf, BLOCK, random_offset(), 0, op);
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

    int fd = open_blocks(path, direct);
    size_t bytes = (size_t)qd * BLOCK;
    char *bufs = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bufs == MAP_FAILED) die("mmap", -errno);
    memset(bufs, 0, bytes);

    urb_ring *ring = new_ring(qd, 0);
    int32_t r;
    struct iovec whole = {bufs, bytes};
    if (!plain && (r = urb_ring_register_buffers(ring, &whole, 1)) < 0) die("urb_ring_register_buffers", r);
    struct slots slots = {fd, plain, bufs};
    struct rounds m = run_rounds(ring, qd, seconds, prep, &slots);
    if (!plain && (r = urb_ring_unregister_buffers(ring)) < 0) die("urb_ring_unregister_buffers", r);
    urb_ring_free(ring);
    double enters = (double)(m.s1.enters - m.s0.enters);
    printf("iops %.0f reads %ld seconds %.3f cpu_ns_per_read %.0f enters_per_read %.4f\n", (double)m.done / m.elapsed,
           m.done, m.elapsed, m.done ? m.cpu * 1e9 / (double)m.done : 0.0, m.done ? enters / (double)m.done : 0.0);
    munmap(bufs, bytes);
    close(fd);
    return 0;
}
