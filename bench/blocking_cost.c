/* Per-request cost of the blocking face against raw liburing, in one
 * process: rounds interleaved (A/B order alternating), medians of rounds.
 *   nop:  urb_nop()  vs  liburing get_sqe + prep_nop + submit_and_wait + cqe_seen
 *   read: urb_read() vs  pread()  vs  liburing prep_read, 4 KiB page-cached, random offsets */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uringbridge.h>

enum { FILE_SIZE = 64 << 20, BLOCK = 4096 };

static struct io_uring ring;
static int fd;
static char buf[BLOCK] __attribute__((aligned(4096)));
static unsigned seed = 1;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t random_offset(void) {
    seed = seed * 1103515245u + 12345u;
    return (uint64_t)((seed >> 8) % (FILE_SIZE / BLOCK)) * BLOCK;
}

static void die(const char *what, int res) {
    fprintf(stderr, "%s failed: %d\n", what, res);
    exit(1);
}

static void liburing_round_trip(struct io_uring_sqe *(*prep)(struct io_uring_sqe *)) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    prep(sqe);
    int r = io_uring_submit_and_wait(&ring, 1);
    if (r < 0) die("io_uring_submit_and_wait", r);
    struct io_uring_cqe *cqe;
    io_uring_peek_cqe(&ring, &cqe);
    if (cqe->res < 0) die("liburing cqe", cqe->res);
    io_uring_cqe_seen(&ring, cqe);
}

static struct io_uring_sqe *prep_nop(struct io_uring_sqe *sqe) {
    io_uring_prep_nop(sqe);
    return sqe;
}
static struct io_uring_sqe *prep_read(struct io_uring_sqe *sqe) {
    io_uring_prep_read(sqe, fd, buf, BLOCK, random_offset());
    return sqe;
}

static void op_urb_nop(void) { if (urb_nop() != 0) die("urb_nop", -1); }
static void op_liburing_nop(void) { liburing_round_trip(prep_nop); }
static void op_urb_read(void) { int r = urb_read(fd, buf, BLOCK, random_offset()); if (r != BLOCK) die("urb_read", r); }
static void op_pread(void) { if (pread(fd, buf, BLOCK, (off_t)random_offset()) != BLOCK) die("pread", -1); }
static void op_liburing_read(void) { liburing_round_trip(prep_read); }

typedef void (*op_fn)(void);

static double time_round(op_fn op, long n) {
    double t0 = now_ns();
    for (long i = 0; i < n; i++) op();
    return (now_ns() - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct side { const char *name; op_fn op; double samples[64]; };

static double median(double *s, int n) {
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Runs `rounds` rounds of every side, rotating their order each round. */
static void compare(const char *title, struct side *sides, int nsides, int rounds, long n) {
    for (int s = 0; s < nsides; s++) time_round(sides[s].op, n / 10); /* warm-up */
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < nsides; k++) {
            int s = (r + k) % nsides;
            sides[s].samples[r] = time_round(sides[s].op, n);
        }
    printf("%s (%d rounds x %ld ops, median ns/op [min-max]):\n", title, rounds, n);
    double anchor = 0;
    for (int s = 0; s < nsides; s++) {
        double lo = sides[s].samples[0], hi = lo;
        for (int r = 0; r < rounds; r++) {
            if (sides[s].samples[r] < lo) lo = sides[s].samples[r];
            if (sides[s].samples[r] > hi) hi = sides[s].samples[r];
        }
        double med = median(sides[s].samples, rounds);
        if (s == nsides - 1) anchor = med;
        sides[s].samples[63] = med;
        printf("  %-28s %8.1f  [%.1f-%.1f]\n", sides[s].name, med, lo, hi);
    }
    for (int s = 0; s < nsides - 1; s++)
        printf("  ratio %s / %s = %.3f\n", sides[s].name, sides[nsides - 1].name, sides[s].samples[63] / anchor);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 15;
    if (rounds < 1 || rounds > 63) rounds = 15;
    const char *path = "/tmp/urb-bench-file";
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < FILE_SIZE / (int)sizeof chunk; i++)
        if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) die("write", -1);
    unlink(path);
    if (io_uring_queue_init(32, &ring, 0) < 0) die("io_uring_queue_init", -1);
    printf("engine: %s\n", urb_backend_name());

    struct side nop[] = {{"urb_nop", op_urb_nop, {0}}, {"liburing nop round trip", op_liburing_nop, {0}}};
    compare("nop round trip", nop, 2, rounds, 100000);
    struct side rd[] = {{"urb_read 4K", op_urb_read, {0}}, {"pread 4K", op_pread, {0}},
                        {"liburing read 4K", op_liburing_read, {0}}};
    compare("4 KiB page-cached read", rd, 3, rounds, 50000);
    io_uring_queue_exit(&ring);
    return 0;
}
