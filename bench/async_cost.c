/* Async-face cost against raw liburing, in one process, rounds interleaved
 * (the order of the sides rotates from round to round):
 *   batch:   32 NOPs per batch from one thread, completions taken with
 *            urb_ring_wait(min 32): once handed over with one
 *            urb_ring_submit_batch, once with 32 x urb_ring_submit
 *            vs  liburing 32 x prep_nop + submit_and_wait(32) (default flags)
 *   qd1:     one request at a time, submit then wait for it: a NOP through
 *            urb_ring_submit + urb_ring_wait  vs  the blocking urb_nop();
 *            and a poll of an always-readable eventfd (a request the ring's
 *            owner thread must serve: the hand-over and wake-up back)
 *            vs  the same poll through urb_submit_blocking; and that poll
 *            on a URB_RING_SINGLE_THREAD ring (no owner thread)
 *   threads: 8 submitting threads x NOPs on one urb_ring, the main thread
 *            reaping with urb_ring_wait: throughput, and how many
 *            io_uring_enter calls the owner made (batching made visible)
 *            vs  8 threads sharing one liburing ring behind a mutex, one
 *            io_uring_submit per request, the main thread reaping (what a
 *            program without the library would do first; for information)
 *
 *   async_cost [--rounds N] [--batches B] [--per-thread P] [--only qd1|batch|threads]
 *
 * Human-readable summary on stdout, plus one tab-separated line per round
 * and side for bench/run's report:
 *   @sample <TAB> async <TAB> case <TAB> side <TAB> round <TAB> value
 * cases: qd1_nop, qd1_owner, qd1_single (ns/op), batch32 (ns/op), batch32_cpu (CPU time of the whole
 * process, owner thread included, ns/op), batch32_req_per_enter, threads8 (M requests/s),
 * threads8_req_per_enter, threads8_wakeups_per_kreq. */
#include <liburing.h> /* before uringbridge.h: both bring the kernel's io_uring.h */

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uringbridge.h>

enum { BATCH = 32, THREADS = 8, ROUNDS_MAX = 1000 };

static const double BATCH_TARGET_RATIO = 1.50;
static const double QD1_TARGET_RATIO = 2.0;

static struct io_uring lring; /* batches */
static struct io_uring mring; /* shared behind a mutex by the threads */
static pthread_mutex_t mring_lock = PTHREAD_MUTEX_INITIALIZER;
static urb_ring *ring;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, int res) {
    fprintf(stderr, "async_cost: %s failed: %d (%s)\n", what, res, res < 0 ? strerror(-res) : "");
    exit(1);
}

static void wait_batch(void) {
    urb_completion out[BATCH];
    for (int got = 0; got < BATCH;) {
        int n = urb_ring_wait(ring, out, BATCH, (uint32_t)(BATCH - got), URB_WAIT_FOREVER);
        if (n < 0) die("urb_ring_wait", n);
        for (int i = 0; i < n; i++)
            if (out[i].res != 0) die("urb NOP", out[i].res);
        got += n;
    }
}

static void urb_batch_singly(void) {
    urb_op nop;
    urb_prep_nop(&nop);
    for (int i = 0; i < BATCH; i++) {
        int r = urb_ring_submit(ring, &nop, (uint64_t)i);
        if (r != 0) die("urb_ring_submit", r);
    }
    wait_batch();
}

static urb_op nops[BATCH];
static uint64_t tokens[BATCH];

static void urb_batch(void) {
    int r = urb_ring_submit_batch(ring, nops, BATCH, tokens);
    if (r != 0) die("urb_ring_submit_batch", r);
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
    for (; seen < BATCH; seen++) { /* rare: wait for the rest */
        r = io_uring_wait_cqe(&lring, &cqe);
        if (r < 0) die("io_uring_wait_cqe", r);
        io_uring_cqe_seen(&lring, cqe);
    }
}

/* CPU time of the whole process: a side that hands work to another thread
 * (the ring's owner) pays for it here too. */
static double cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef void (*batch_fn)(void);

/* Wall ns per request; *cpu (if not NULL) gets the process CPU ns per request. */
static double ns_per_op(batch_fn f, long batches, double *cpu) {
    double t0 = now_ns(), c0 = cpu_ns();
    for (long i = 0; i < batches; i++) f();
    if (cpu) *cpu = (cpu_ns() - c0) / (double)(batches * BATCH);
    return (now_ns() - t0) / (double)(batches * BATCH);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n, double *lo, double *hi) {
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) die("malloc", -ENOMEM);
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    if (lo) *lo = s[0];
    if (hi) *hi = s[n - 1];
    free(s);
    return m;
}

static void summary(const char *name, const double *v, int n, const char *fmt_unit) {
    double lo, hi, m = median(v, n, &lo, &hi);
    printf("  %-44s %10.2f  [%.2f-%.2f] %s\n", name, m, lo, hi, fmt_unit);
}

static void samples(const char *c, const char *side, const double *v, int n) {
    for (int r = 0; r < n; r++) printf("@sample\tasync\t%s\t%s\t%d\t%.4f\n", c, side, r, v[r]);
}

static long per_thread;

static void *urb_submitter(void *arg) {
    (void)arg;
    urb_op nop;
    urb_prep_nop(&nop);
    for (long i = 0; i < per_thread; i++) {
        int r = urb_ring_submit(ring, &nop, (uint64_t)i);
        if (r != 0) die("urb_ring_submit", r);
    }
    return NULL;
}

static void *liburing_submitter(void *arg) {
    (void)arg;
    for (long i = 0; i < per_thread;) {
        pthread_mutex_lock(&mring_lock);
        struct io_uring_sqe *sqe = io_uring_get_sqe(&mring);
        int r = 0;
        if (sqe) {
            io_uring_prep_nop(sqe);
            r = io_uring_submit(&mring);
        } else {
            r = io_uring_submit(&mring); /* flush, then try again */
        }
        pthread_mutex_unlock(&mring_lock);
        if (r == -EBUSY || r == -EAGAIN || r == -EINTR) {
            sched_yield();
            continue;
        }
        if (r < 0) die("io_uring_submit", r);
        if (sqe) i++;
    }
    return NULL;
}

/* M requests/s of THREADS threads x per_thread NOPs, reaped by this thread. */
static double urb_threads(double *req_per_enter, double *wakeups_per_kreq) {
    urb_stats before, after;
    urb_ring_stats(ring, &before);
    long total = per_thread * THREADS;
    double t0 = now_ns();
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, urb_submitter, NULL);
    urb_completion out[512];
    for (long got = 0; got < total;) {
        int n = urb_ring_wait(ring, out, 512, 1, URB_WAIT_FOREVER);
        if (n < 0) die("urb_ring_wait", n);
        got += n;
    }
    double secs = (now_ns() - t0) / 1e9;
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    urb_ring_stats(ring, &after);
    double enters = (double)(after.enters - before.enters);
    *req_per_enter = enters > 0 ? (double)total / enters : 0;
    *wakeups_per_kreq = (double)(after.wakeups - before.wakeups) * 1000.0 / (double)total;
    return (double)total / secs / 1e6;
}

static double liburing_threads(void) {
    long total = per_thread * THREADS;
    double t0 = now_ns();
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, liburing_submitter, NULL);
    for (long got = 0; got < total;) {
        struct io_uring_cqe *cqe;
        int r = io_uring_wait_cqe(&mring, &cqe);
        if (r == -EINTR || r == -EAGAIN) continue;
        if (r < 0) die("io_uring_wait_cqe", r);
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&mring, head, cqe) seen++;
        io_uring_cq_advance(&mring, seen);
        got += seen;
    }
    double secs = (now_ns() - t0) / 1e9;
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    return (double)total / secs / 1e6;
}

static urb_op qd1_op;

static void ring_qd1(void) {
    int r = urb_ring_submit(ring, &qd1_op, 7);
    if (r != 0) die("urb_ring_submit", r);
    urb_completion c;
    r = urb_ring_wait(ring, &c, 1, 1, URB_WAIT_FOREVER);
    if (r != 1 || c.res < 0) die("urb_ring_wait", r != 1 ? r : c.res);
}

static void blocking_qd1(void) {
    int r = urb_submit_blocking(&qd1_op);
    if (r < 0) die("urb_submit_blocking", r);
}

static double ns_each(void (*f)(void), long n) {
    double t0 = now_ns();
    for (long i = 0; i < n; i++) f();
    return (now_ns() - t0) / (double)n;
}

/* One request at a time through the ring vs the blocking face, interleaved. */
static void qd1(const char *name, const char *blocking_name, int rounds, long n) {
    double *ring_ns = calloc((size_t)rounds, sizeof(double)), *blk_ns = calloc((size_t)rounds, sizeof(double));
    if (!ring_ns || !blk_ns) die("calloc", -ENOMEM);
    ns_each(ring_qd1, n / 10 + 1);
    ns_each(blocking_qd1, n / 10 + 1);
    for (int rd = 0; rd < rounds; rd++) {
        if (rd % 2 == 0) {
            ring_ns[rd] = ns_each(ring_qd1, n);
            blk_ns[rd] = ns_each(blocking_qd1, n);
        } else {
            blk_ns[rd] = ns_each(blocking_qd1, n);
            ring_ns[rd] = ns_each(ring_qd1, n);
        }
    }
    printf("%s, one at a time (%d rounds x %ld per side), median [min-max]:\n", name, rounds, n);
    summary("urb_ring_submit + urb_ring_wait", ring_ns, rounds, "ns/op");
    summary(blocking_name, blk_ns, rounds, "ns/op");
    double m = median(ring_ns, rounds, NULL, NULL) / median(blk_ns, rounds, NULL, NULL);
    printf("  ratio ring / blocking = %.3f\n", m);
    samples(name, "urb_ring", ring_ns, rounds);
    samples(name, "urb_blocking", blk_ns, rounds);
    free(ring_ns);
    free(blk_ns);
    (void)QD1_TARGET_RATIO;
}

static void usage(void) {
    fprintf(stderr, "usage: async_cost [--rounds N (1-%d)] [--batches B] [--per-thread P] [--only qd1|batch|threads]\n",
            ROUNDS_MAX);
    exit(2);
}

/* 32 NOPs per batch: submit_batch, 32 x submit and liburing, rotating. */
static void batches32(int rounds, long batches) {
    double *a = calloc((size_t)rounds, sizeof(double)), *b = calloc((size_t)rounds, sizeof(double)),
           *c = calloc((size_t)rounds, sizeof(double)), *ae = calloc((size_t)rounds, sizeof(double)),
           *ce = calloc((size_t)rounds, sizeof(double)), *acpu = calloc((size_t)rounds, sizeof(double)),
           *bcpu = calloc((size_t)rounds, sizeof(double)), *ccpu = calloc((size_t)rounds, sizeof(double));
    if (!a || !b || !c || !ae || !ce || !acpu || !bcpu || !ccpu) die("calloc", -ENOMEM);
    ns_per_op(urb_batch, batches / 10 + 1, NULL); /* warm-up */
    ns_per_op(urb_batch_singly, batches / 10 + 1, NULL);
    ns_per_op(liburing_batch, batches / 10 + 1, NULL);
    urb_stats s0, s1;
    for (int rd = 0; rd < rounds; rd++) {
        for (int k = 0; k < 3; k++) {
            switch ((rd + k) % 3) {
            case 0:
                urb_ring_stats(ring, &s0);
                a[rd] = ns_per_op(urb_batch, batches, &acpu[rd]);
                urb_ring_stats(ring, &s1);
                ae[rd] = (double)(s1.submitted - s0.submitted) / (double)(s1.enters - s0.enters + (s1.enters == s0.enters));
                break;
            case 1:
                urb_ring_stats(ring, &s0);
                c[rd] = ns_per_op(urb_batch_singly, batches, &ccpu[rd]);
                urb_ring_stats(ring, &s1);
                ce[rd] = (double)(s1.submitted - s0.submitted) / (double)(s1.enters - s0.enters + (s1.enters == s0.enters));
                break;
            default: b[rd] = ns_per_op(liburing_batch, batches, &bcpu[rd]); break;
            }
        }
    }
    printf("batched NOPs, %d per batch (%d rounds x %ld batches per side), median [min-max]:\n", BATCH, rounds, batches);
    summary("urb_ring_submit_batch + urb_ring_wait", a, rounds, "ns/op");
    summary("32 x urb_ring_submit + urb_ring_wait", c, rounds, "ns/op");
    summary("liburing 32 x prep_nop + submit_and_wait (anchor)", b, rounds, "ns/op");
    summary("urb_ring_submit_batch: CPU (process)", acpu, rounds, "ns/op");
    summary("32 x urb_ring_submit: CPU (process)", ccpu, rounds, "ns/op");
    summary("liburing: CPU (process)", bcpu, rounds, "ns/op");
    summary("urb_ring_submit_batch: requests per enter", ae, rounds, "");
    summary("32 x urb_ring_submit: requests per enter", ce, rounds, "");
    double ma = median(a, rounds, NULL, NULL), mb = median(b, rounds, NULL, NULL), mc = median(c, rounds, NULL, NULL);
    printf("  ratio submit_batch / liburing = %.3f\n", ma / mb);
    printf("  ratio submit x32 / liburing = %.3f\n", mc / mb);
    double mac = median(acpu, rounds, NULL, NULL), mbc = median(bcpu, rounds, NULL, NULL);
    printf("  ratio submit_batch / liburing, CPU = %.3f\n", mac / mbc);
    printf("  target submit_batch <= %.2fx liburing, CPU per NOP: %s\n", BATCH_TARGET_RATIO,
           mac / mbc <= BATCH_TARGET_RATIO ? "met" : "MISSED");
    samples("batch32", "urb_batch", a, rounds);
    samples("batch32", "urb_x32", c, rounds);
    samples("batch32", "liburing", b, rounds);
    samples("batch32_cpu", "urb_batch", acpu, rounds);
    samples("batch32_cpu", "urb_x32", ccpu, rounds);
    samples("batch32_cpu", "liburing", bcpu, rounds);
    samples("batch32_req_per_enter", "urb_batch", ae, rounds);
    samples("batch32_req_per_enter", "urb_x32", ce, rounds);

    free(a), free(b), free(c), free(ae), free(ce), free(acpu), free(bcpu), free(ccpu);
}

/* 8 submitting threads on one ring vs liburing behind a mutex, alternating. */
static void threads8(int rounds) {
    double *ut = calloc((size_t)rounds, sizeof(double)), *lt = calloc((size_t)rounds, sizeof(double)),
           *upe = calloc((size_t)rounds, sizeof(double)), *uwk = calloc((size_t)rounds, sizeof(double));
    if (!ut || !lt || !upe || !uwk) die("calloc", -ENOMEM);
    for (int rd = 0; rd < rounds; rd++) {
        if (rd % 2 == 0) {
            ut[rd] = urb_threads(&upe[rd], &uwk[rd]);
            lt[rd] = liburing_threads();
        } else {
            lt[rd] = liburing_threads();
            ut[rd] = urb_threads(&upe[rd], &uwk[rd]);
        }
    }
    printf("%d submitting threads x %ld NOPs, one ring, main thread reaping (%d rounds), median [min-max]:\n", THREADS,
           per_thread, rounds);
    summary("urb_ring_submit", ut, rounds, "M requests/s");
    summary("liburing behind a mutex, submit per request", lt, rounds, "M requests/s");
    summary("urb: requests per io_uring_enter", upe, rounds, "");
    summary("urb: owner wake-ups per 1000 requests", uwk, rounds, "");
    printf("  ratio urb / liburing-with-mutex = %.3f (throughput; information, no target)\n",
           median(ut, rounds, NULL, NULL) / median(lt, rounds, NULL, NULL));
    samples("threads8", "urb", ut, rounds);
    samples("threads8", "liburing_mutex", lt, rounds);
    samples("threads8_req_per_enter", "urb", upe, rounds);
    samples("threads8_wakeups_per_kreq", "urb", uwk, rounds);

    free(ut), free(lt), free(upe), free(uwk);
}

int main(int argc, char **argv) {
    int rounds = 15;
    long batches = 3000;
    per_thread = 50000;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batches") && i + 1 < argc) batches = atol(argv[++i]);
        else if (!strcmp(argv[i], "--per-thread") && i + 1 < argc) per_thread = atol(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else usage();
    }
    if (rounds < 1 || rounds > ROUNDS_MAX || batches < 1 || per_thread < 1) usage();
    if (only && strcmp(only, "qd1") && strcmp(only, "batch") && strcmp(only, "threads")) usage();
    int run_qd1 = !only || !strcmp(only, "qd1"), run_batch = !only || !strcmp(only, "batch"),
        run_threads = !only || !strcmp(only, "threads");

    int r = io_uring_queue_init(BATCH * 2, &lring, 0);
    if (r < 0) die("io_uring_queue_init", r);
    struct io_uring_params mp = {.flags = IORING_SETUP_CQSIZE, .cq_entries = 65536};
    r = io_uring_queue_init_params(256, &mring, &mp);
    if (r < 0) die("io_uring_queue_init_params", r);
    urb_ring_config cfg = {.entries = 256};
    r = urb_ring_new(&cfg, &ring);
    if (r != 0) die("urb_ring_new", r);
    for (int i = 0; i < BATCH; i++) {
        urb_prep_nop(&nops[i]);
        tokens[i] = (uint64_t)i;
    }
    printf("engine: %s\n", urb_backend_name());

    if (run_qd1) {
        urb_prep_nop(&qd1_op);
        qd1("qd1_nop", "urb_nop (blocking face)", rounds, batches * 4);
        printf("  target ring <= %.1fx blocking: see the report\n", QD1_TARGET_RATIO);
        int efd = eventfd(1, EFD_CLOEXEC); /* always readable */
        if (efd < 0) die("eventfd", -errno);
        urb_prep_poll(efd, POLLIN, &qd1_op);
        qd1("qd1_owner", "urb_submit_blocking (blocking face)", rounds, batches);
        /* The same poll on a ring this thread drives itself: no owner. */
        urb_ring *owned = ring;
        urb_ring_config single = {.entries = 256, .flags = URB_RING_SINGLE_THREAD};
        r = urb_ring_new(&single, &ring);
        if (r != 0) die("urb_ring_new (single thread)", r);
        qd1("qd1_single", "urb_submit_blocking (blocking face)", rounds, batches);
        urb_ring_free(ring);
        ring = owned;
    }
    if (run_batch) batches32(rounds, batches);
    if (run_threads) threads8(rounds);

    urb_ring_free(ring);
    io_uring_queue_exit(&lring);
    io_uring_queue_exit(&mring);
    return 0;
}

