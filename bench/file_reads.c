/* file_reads: 4 KiB random reads through uringbridge's async ring, for the
 * comparison with fio (bench/run runs fio on the same file, interleaved).
 *
 *   file_reads --file PATH --qd N --seconds S [--direct] [--face ring|single|blocking]
 *
 * --face ring (the default): keeps N reads in flight on one urb_ring: the
 *   first N go in with one urb_ring_submit_batch; then every
 *   urb_ring_wait(min 1) is answered by one urb_ring_submit_batch of as many
 *   new reads as completed (each into the buffer its predecessor used;
 *   bench/read_rounds.h, the rounds bench/fixed_reads.c runs too).
 * --face single: the same on a URB_RING_SINGLE_THREAD ring (this thread
 *   submits and waits in the kernel itself; no owner thread).
 * --face blocking: urb_read in a loop (N must be 1), for information.
 * Offsets are random, 4 KiB-aligned, over the whole file (xorshift64, the
 * same stream every run). --direct opens the file O_DIRECT (buffers are
 * 4 KiB-aligned). Runs S seconds, then drains what is in flight.
 *
 * Prints one line:
 *   iops X reads R seconds T enters_per_read E wakeups_per_read W
 * (enters/wakeups from urb_ring_stats; 0 for the blocking face). */
#define BENCH_NAME "file_reads"
#include "read_rounds.h"

#include <string.h>
#include <unistd.h>

static void usage(void) {
    fprintf(stderr, "usage: file_reads --file PATH --qd N (1-%d) --seconds S [--direct] [--face ring|single|blocking]\n", QD_MAX);
    exit(2);
}

struct slots {
    int fd;
    char *bufs;
};

static void prep(void *ctx, uint64_t slot, urb_op *op) {
    struct slots *s = ctx;
    urb_prep_read(s->fd, s->bufs + slot * BLOCK, BLOCK, random_offset(), op);
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
    int blocking = !strcmp(face, "blocking"), single = !strcmp(face, "single");
    if (!path || qd < 1 || qd > QD_MAX || !(seconds > 0) || (!blocking && !single && strcmp(face, "ring")) || (blocking && qd != 1))
        usage();

    int fd = open_blocks(path, direct);
    char *bufs;
    if (posix_memalign((void **)&bufs, BLOCK, (size_t)qd * BLOCK)) die("posix_memalign", -ENOMEM);
    memset(bufs, 0, (size_t)qd * BLOCK);

    long done = 0;
    double elapsed = 0;
    urb_stats s0 = {0}, s1 = {0};
    if (blocking) {
        double t0 = now_s();
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
        urb_ring *ring = new_ring(qd, single ? URB_RING_SINGLE_THREAD : 0);
        struct slots slots = {fd, bufs};
        struct rounds m = run_rounds(ring, qd, seconds, prep, &slots);
        urb_ring_free(ring);
        done = m.done;
        elapsed = m.elapsed;
        s0 = m.s0;
        s1 = m.s1;
    }
    double enters = (double)(s1.enters - s0.enters), wakeups = (double)(s1.wakeups - s0.wakeups);
    printf("iops %.0f reads %ld seconds %.3f enters_per_read %.4f wakeups_per_read %.4f\n", (double)done / elapsed, done,
           elapsed, done ? enters / (double)done : 0.0, done ? wakeups / (double)done : 0.0);
    free(bufs);
    close(fd);
    return 0;
}
