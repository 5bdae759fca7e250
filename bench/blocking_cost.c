/* blocking_cost: what one request costs through uringbridge's blocking face,
 * against anchors measured in the same process.
 *
 *   nop:  urb_nop()                    vs  raw liburing round trip
 *         (get_sqe, prep_nop, submit_and_wait(1), peek_cqe, cqe_seen)
 *   read: urb_read() 4 KiB             vs  pread()  vs  raw liburing prep_read
 *         (a page-cached file, random 4 KiB-aligned offsets)
 *
 * The anchor is a liburing ring with default setup flags. A second liburing
 * ring with the flags the library itself asks for (SINGLE_ISSUER |
 * DEFER_TASKRUN | SUBMIT_ALL) is measured for information: the gap to it is
 * the library's own code, the gap between the two liburing rings is the
 * kernel's handling of those flags.
 *
 * Every side runs in every round; the order of the sides rotates from round
 * to round so drift on a noisy machine hits them all alike. A round times N
 * operations, N calibrated so one side's round lasts about --round-ms.
 * Reported: median ns/op over rounds [min-max], ratios of medians; and for
 * bench/run's report, every round's figure as a tab-separated line
 *   @sample <TAB> blocking:<engine> <TAB> nop|read4k <TAB> <side key> <TAB> round <TAB> ns/op
 *
 *   blocking_cost [--rounds N] [--round-ms MS] [--dir DIR]
 */
#include <liburing.h> /* before uringbridge.h: both bring the kernel's io_uring.h */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uringbridge.h>

enum { FILE_SIZE = 64 << 20, BLOCK = 4096, BLOCKS = FILE_SIZE / BLOCK };

static const double NOP_TARGET_RATIO = 1.10;

static struct io_uring default_ring;
static struct io_uring matched_ring; /* the library's setup flags */
static int file_fd;
static char block_buf[BLOCK] __attribute__((aligned(4096)));
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* `res` is a negative errno or an unexpected result (a short read). */
static void die(const char *what, int res) {
    fprintf(stderr, "blocking_cost: %s: got %d%s%s\n", what, res, res < 0 ? " " : "", res < 0 ? strerror(-res) : "");
    exit(1);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* xorshift64: cheap next to a syscall, and every side draws from the same stream. */
static uint64_t random_block_offset(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (rng_state % BLOCKS) * BLOCK;
}

/* Submits the one prepared SQE, waits for its CQE and checks its result. */
static void liburing_wait_one(struct io_uring *ring, const char *what, int expected) {
    int r = io_uring_submit_and_wait(ring, 1);
    if (r < 0) die("io_uring_submit_and_wait", r);
    struct io_uring_cqe *cqe;
    r = io_uring_peek_cqe(ring, &cqe);
    if (r < 0) die("io_uring_peek_cqe", r);
    if (cqe->res != expected) die(what, cqe->res);
    io_uring_cqe_seen(ring, cqe);
}

static void liburing_nop(struct io_uring *ring) {
    io_uring_prep_nop(io_uring_get_sqe(ring));
    liburing_wait_one(ring, "liburing nop", 0);
}

static void liburing_read(struct io_uring *ring) {
    io_uring_prep_read(io_uring_get_sqe(ring), file_fd, block_buf, BLOCK, random_block_offset());
    liburing_wait_one(ring, "liburing read", BLOCK);
}

static void op_urb_nop(void) {
    int r = urb_nop();
    if (r != 0) die("urb_nop", r);
}
static void op_liburing_nop(void) { liburing_nop(&default_ring); }
static void op_liburing_nop_matched(void) { liburing_nop(&matched_ring); }

static void op_urb_read(void) {
    int r = urb_read(file_fd, block_buf, BLOCK, random_block_offset());
    if (r != BLOCK) die("urb_read", r);
}
static void op_pread(void) {
    ssize_t r = pread(file_fd, block_buf, BLOCK, (off_t)random_block_offset());
    if (r != BLOCK) die("pread", r < 0 ? -errno : (int)r);
}
static void op_liburing_read(void) { liburing_read(&default_ring); }
static void op_liburing_read_matched(void) { liburing_read(&matched_ring); }

typedef void (*op_fn)(void);

struct side {
    const char *name;
    const char *key; /* for the @sample lines */
    op_fn op;
    double *ns_per_op; /* one sample per round */
    double median, min, max;
};

static double time_ops(op_fn op, long n) {
    double t0 = now_ns();
    for (long i = 0; i < n; i++) op();
    return (now_ns() - t0) / (double)n;
}

/* Ops per round so that the slowest side's round lasts about round_ms. */
static long calibrate(struct side *sides, int nsides, double round_ms) {
    double slowest = 0;
    for (int s = 0; s < nsides; s++) {
        time_ops(sides[s].op, 2000); /* warm-up: rings built, caches hot */
        double ns = time_ops(sides[s].op, 20000);
        if (ns > slowest) slowest = ns;
    }
    long n = (long)(round_ms * 1e6 / slowest);
    return n < 1000 ? 1000 : n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summarize(struct side *s, int rounds) {
    double *sorted = malloc((size_t)rounds * sizeof *sorted);
    if (!sorted) die("malloc", -ENOMEM);
    memcpy(sorted, s->ns_per_op, (size_t)rounds * sizeof *sorted);
    qsort(sorted, (size_t)rounds, sizeof *sorted, cmp_double);
    s->min = sorted[0];
    s->max = sorted[rounds - 1];
    s->median = rounds % 2 ? sorted[rounds / 2] : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
    free(sorted);
}

static void run_rounds(struct side *sides, int nsides, int rounds, long n) {
    for (int s = 0; s < nsides; s++) {
        sides[s].ns_per_op = calloc((size_t)rounds, sizeof(double));
        if (!sides[s].ns_per_op) die("calloc", -ENOMEM);
    }
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < nsides; k++) {
            struct side *s = &sides[(r + k) % nsides];
            s->ns_per_op[r] = time_ops(s->op, n);
        }
    for (int s = 0; s < nsides; s++) summarize(&sides[s], rounds);
}

static void print_sides(const char *title, const char *key, struct side *sides, int nsides, int rounds, long n) {
    printf("%s: %d rounds x %ld ops per side, median ns/op [min-max over rounds]\n", title, rounds, n);
    for (int s = 0; s < nsides; s++)
        printf("  %-40s %8.1f  [%.1f-%.1f]\n", sides[s].name, sides[s].median, sides[s].min, sides[s].max);
    for (int s = 0; s < nsides; s++)
        for (int r = 0; r < rounds; r++)
            printf("@sample\tblocking:%s\t%s\t%s\t%d\t%.2f\n", urb_backend_name(), key, sides[s].key, r,
                   sides[s].ns_per_op[r]);
}

/* The ratio of medians, and beside it the median of the per-round ratios
 * (each round's A and B ran back to back, so drift slower than a round
 * cancels out there): when the two disagree, the machine was noisy. */
static double print_ratio(const struct side *a, const struct side *b, int rounds) {
    double ratio = a->median / b->median;
    struct side per_round = {.ns_per_op = malloc((size_t)rounds * sizeof(double))};
    if (!per_round.ns_per_op) die("malloc", -ENOMEM);
    for (int r = 0; r < rounds; r++) per_round.ns_per_op[r] = a->ns_per_op[r] / b->ns_per_op[r];
    summarize(&per_round, rounds);
    printf("  ratio %s / %s = %.3f   (per-round ratios: median %.3f [%.3f-%.3f])\n", a->name, b->name, ratio,
           per_round.median, per_round.min, per_round.max);
    free(per_round.ns_per_op);
    return ratio;
}

static void free_sides(struct side *sides, int nsides) {
    for (int s = 0; s < nsides; s++) free(sides[s].ns_per_op);
}

/* A 64 MiB file, written, synced (so no writeback runs during the rounds)
 * and read once, so every block is in the page cache. Unlinked at once. */
static int open_cached_file(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/urb-blocking-cost-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) die("mkstemp", -errno);
    unlink(path);
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < FILE_SIZE / (int)sizeof chunk; i++)
        if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) die("write", -errno);
    if (fdatasync(fd) < 0) die("fdatasync", -errno);
    for (off_t off = 0; off < FILE_SIZE; off += (off_t)sizeof chunk)
        if (pread(fd, chunk, sizeof chunk, off) != (ssize_t)sizeof chunk) die("pread", -errno);
    return fd;
}

static void usage(void) {
    fprintf(stderr, "usage: blocking_cost [--rounds N (1-1000)] [--round-ms MS] [--dir DIR]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int rounds = 15;
    double round_ms = 60;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--round-ms") && i + 1 < argc) round_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else usage();
    }
    if (rounds < 1 || rounds > 1000 || !(round_ms > 0)) usage();

    file_fd = open_cached_file(dir);
    int r = io_uring_queue_init(8, &default_ring, 0);
    if (r < 0) die("io_uring_queue_init (default flags)", r);
    struct io_uring_params matched = {
        .flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL};
    int have_matched = io_uring_queue_init_params(8, &matched_ring, &matched) == 0;

    printf("engine: %s\n", urb_backend_name());
    if (!have_matched) printf("(no SINGLE_ISSUER|DEFER_TASKRUN ring on this kernel: that side is skipped)\n");

    struct side nop[] = {
        {.name = "urb_nop", .key = "urb", .op = op_urb_nop},
        {.name = "liburing nop (anchor)", .key = "liburing", .op = op_liburing_nop},
        {.name = "liburing nop, library's flags (info)", .key = "liburing_flags", .op = op_liburing_nop_matched},
    };
    int n_nop = have_matched ? 3 : 2;
    long n = calibrate(nop, n_nop, round_ms);
    run_rounds(nop, n_nop, rounds, n);
    print_sides("nop round trip", "nop", nop, n_nop, rounds, n);
    double nop_ratio = print_ratio(&nop[0], &nop[1], rounds);
    if (have_matched) print_ratio(&nop[0], &nop[2], rounds);
    /* The fallback engine's nop makes no round trip: the target means nothing there. */
    if (!strcmp(urb_backend_name(), "io_uring"))
        printf("  target urb_nop <= %.2fx liburing (anchor): %s\n", NOP_TARGET_RATIO,
               nop_ratio <= NOP_TARGET_RATIO ? "met" : "MISSED");
    free_sides(nop, n_nop);

    struct side rd[] = {
        {.name = "urb_read 4K", .key = "urb", .op = op_urb_read},
        {.name = "pread 4K", .key = "pread", .op = op_pread},
        {.name = "liburing read 4K (anchor)", .key = "liburing", .op = op_liburing_read},
        {.name = "liburing read 4K, library's flags (info)", .key = "liburing_flags", .op = op_liburing_read_matched},
    };
    int n_rd = have_matched ? 4 : 3;
    n = calibrate(rd, n_rd, round_ms);
    run_rounds(rd, n_rd, rounds, n);
    print_sides("4 KiB page-cached read, random offsets", "read4k", rd, n_rd, rounds, n);
    print_ratio(&rd[0], &rd[2], rounds);
    print_ratio(&rd[1], &rd[2], rounds);
    if (have_matched) print_ratio(&rd[0], &rd[3], rounds);
    free_sides(rd, n_rd);

    if (have_matched) io_uring_queue_exit(&matched_ring);
    io_uring_queue_exit(&default_ring);
    close(file_fd);
    return 0;
}
