/* nop_c: the C anchors of bench/haskell/run's first comparison.
 *
 *   nop_c [--ms MS]              C's urb_nop() round trip (the calling
 *                                thread's own ring, one io_uring_enter per
 *                                call), timed in a plain C loop
 *   nop_c --pingpong [--ms MS]   for context, not a target: two threads
 *                                hand a token back and forth through two
 *                                eventfds (each blocks in read); one round
 *                                trip = two cross-thread wake-ups, the floor
 *                                of any design that hands a request to
 *                                another thread and is woken back
 *
 * Prints one line: ns_per_op=<f> ops=<n> ...  Warm-up calls come first;
 * then calls are timed in chunks until MS milliseconds (default 200) passed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <uringbridge.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int ping_fd, pong_fd;

static void put(int fd, uint64_t v) {
    if (write(fd, &v, 8) != 8) { perror("nop_c: write"); exit(1); }
}
static uint64_t get(int fd) {
    uint64_t v;
    if (read(fd, &v, 8) != 8) { perror("nop_c: read"); exit(1); }
    return v;
}

static void *ponger(void *arg) {
    (void)arg;
    for (;;) {
        uint64_t v = get(ping_fd);
        put(pong_fd, v);
        if (v == 2) return NULL; /* 1 = ping, 2 = last */
    }
}

static void pingpong(double ms) {
    ping_fd = eventfd(0, EFD_CLOEXEC);
    pong_fd = eventfd(0, EFD_CLOEXEC);
    pthread_t t;
    pthread_create(&t, NULL, ponger, NULL);
    for (int i = 0; i < 2000; i++) { put(ping_fd, 1); get(pong_fd); }
    long ops = 0;
    double t0 = now_ns(), t1;
    do {
        for (int i = 0; i < 64; i++) { put(ping_fd, 1); get(pong_fd); }
        ops += 64;
        t1 = now_ns();
    } while (t1 - t0 < ms * 1e6);
    put(ping_fd, 2);
    get(pong_fd);
    pthread_join(t, NULL);
    printf("ns_per_op=%.1f ops=%ld what=eventfd-pingpong\n", (t1 - t0) / ops, ops);
}

int main(int argc, char **argv) {
    double ms = 200;
    int pp = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) ms = atof(argv[++i]);
        else if (strcmp(argv[i], "--pingpong") == 0) pp = 1;
        else { fprintf(stderr, "usage: nop_c [--pingpong] [--ms MS]\n"); return 2; }
    }
    if (pp) { pingpong(ms); return 0; }
    for (int i = 0; i < 2000; i++) {
        int r = urb_nop();
        if (r != 0) { fprintf(stderr, "nop_c: urb_nop returned %d\n", r); return 1; }
    }
    long ops = 0;
    double t0 = now_ns(), t1;
    do {
        for (int i = 0; i < 256; i++) urb_nop();
        ops += 256;
        t1 = now_ns();
    } while (t1 - t0 < ms * 1e6);
    printf("ns_per_op=%.1f ops=%ld backend=%s\n", (t1 - t0) / ops, ops, urb_backend_name());
    return 0;
}
