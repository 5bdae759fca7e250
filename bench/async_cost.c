/* Async-face cost against raw liburing, in one process, rounds interleaved:
 *   batch: 32 NOPs per batch from one thread, completions taken with
 *          urb_ring_wait(min 32)  vs  liburing 32 x prep_nop + submit_and_wait(32)
 *   threads: 8 submitting threads x NOPs on one ring: throughput and how many
 *          io_uring_enter calls the owner made (batching made visible). */
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uringbridge.h>

enum { BATCH = 32, THREADS = 8 };

static struct io_uring lring;
static urb_ring *ring;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int res) {
    fprintf(stderr, "%s failed: %d\n", what, res);
    exit(1);
}

static void wait_batch(void) {
    urb_completion out[BATCH];
    for (int got = 0; got < BATCH;) {
        int n = urb_ring_wait(ring, out, BATCH, (uint32_t)(BATCH - got), URB_WAIT_FOREVER);
        if (n < 0) die("urb_ring_wait", n);
        got += n;
    }
}

static void urb_batch_singly(void) {
    urb_op nop;
    urb_prep_nop(&nop);
    for (int i = 0; i < BATCH; i++)
        if (urb_ring_submit(ring, &nop, (uint64_t)i) != 0) die("urb_ring_submit", -1);
    wait_batch();
}

static void urb_batch(void) {
    static urb_op nops[BATCH];
    static uint64_t tokens[BATCH];
    if (nops[0].opcode != URB_OP_NOP || tokens[1] == 0)
        for (int i = 0; i < BATCH; i++) { urb_prep_nop(&nops[i]); tokens[i] = (uint64_t)i; }
    if (urb_ring_submit_batch(ring, nops, BATCH, tokens) != 0) die("urb_ring_submit_batch", -1);
    wait_batch();
}

static void liburing_batch(void) {
    for (int i = 0; i < BATCH; i++) io_uring_prep_nop(io_uring_get_sqe(&lring));
    int r = io_uring_submit_and_wait(&lring, BATCH);
    if (r < 0) die("io_uring_submit_and_wait", r);
    unsigned head, seen = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(&lring, head, cqe) seen++;
    io_uring_cq_advance(&lring, seen);
    if (seen != BATCH) { /* rare: wait for the rest */
        for (; seen < BATCH; seen++) {
            io_uring_wait_cqe(&lring, &cqe);
            io_uring_cqe_seen(&lring, cqe);
        }
    }
}

typedef void (*batch_fn)(void);

static double ns_per_op(batch_fn f, long batches) {
    double t0 = now_ns();
    for (long i = 0; i < batches; i++) f();
    return (now_ns() - t0) / (double)(batches * BATCH);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summary(const char *name, double *s, int n, double *median_out) {
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    *median_out = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("  %-34s %8.1f  [%.1f-%.1f]\n", name, *median_out, s[0], s[n - 1]);
}

static long per_thread;

static void *submitter(void *arg) {
    (void)arg;
    urb_op nop;
    urb_prep_nop(&nop);
    for (long i = 0; i < per_thread; i++)
        if (urb_ring_submit(ring, &nop, (uint64_t)i) != 0) die("submit", -1);
    return NULL;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 15;
    if (rounds < 1 || rounds > 100) rounds = 15;
    if (io_uring_queue_init(BATCH * 2, &lring, 0) < 0) die("io_uring_queue_init", -1);
    if (urb_ring_new(NULL, &ring) != 0) die("urb_ring_new", -1);
    printf("engine: %s\n", urb_backend_name());

    long batches = 3000;
    double a[100], b[100], c[100], ma, mb, mc;
    urb_stats s0, s1;
    ns_per_op(urb_batch, batches / 10);
    ns_per_op(urb_batch_singly, batches / 10);
    ns_per_op(liburing_batch, batches / 10);
    urb_ring_stats(ring, &s0);
    for (int r = 0; r < rounds; r++) {
        /* rotate the order each round */
        for (int k = 0; k < 3; k++) {
            switch ((r + k) % 3) {
            case 0: a[r] = ns_per_op(urb_batch, batches); break;
            case 1: c[r] = ns_per_op(urb_batch_singly, batches); break;
            default: b[r] = ns_per_op(liburing_batch, batches); break;
            }
        }
    }
    urb_ring_stats(ring, &s1);
    printf("batched NOPs, %d per batch (%d rounds x %ld batches, median ns/op [min-max]):\n", BATCH, rounds, batches);
    summary("urb_ring_submit_batch + wait", a, rounds, &ma);
    summary("urb_ring_submit x32 + wait", c, rounds, &mc);
    summary("liburing x32 + submit_and_wait(32)", b, rounds, &mb);
    printf("  ratio submit_batch / liburing = %.3f\n", ma / mb);
    printf("  ratio submit x32 / liburing = %.3f\n", mc / mb);
    printf("  uringbridge: %.2f requests per io_uring_enter, %llu owner wake-ups\n",
           (double)(s1.submitted - s0.submitted) / (double)(s1.enters - s0.enters),
           (unsigned long long)(s1.wakeups - s0.wakeups));

    urb_stats before, after;
    per_thread = 100000;
    urb_ring_stats(ring, &before);
    double t0 = now_ns();
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, submitter, NULL);
    long total = per_thread * THREADS;
    urb_completion out[512];
    for (long got = 0; got < total;) {
        int n = urb_ring_wait(ring, out, 512, 1, URB_WAIT_FOREVER);
        if (n < 0) die("wait", n);
        got += n;
    }
    double secs = (now_ns() - t0) / 1e9;
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    urb_ring_stats(ring, &after);
    unsigned long long enters = after.enters - before.enters, wakeups = after.wakeups - before.wakeups;
    printf("%d submitting threads x %ld NOPs on one ring: %.2f M requests/s, %llu io_uring_enter calls "
           "(%.1f requests per enter), %llu owner wake-ups\n",
           THREADS, per_thread, (double)total / secs / 1e6, enters, (double)total / (double)enters, wakeups);
    urb_ring_free(ring);
    io_uring_queue_exit(&lring);
    return 0;
}
