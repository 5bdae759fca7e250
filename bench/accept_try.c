/* Cost of the accept try per connection over loopback: a client connects
 * (blocking), then the listener (O_NONBLOCK) is tried with
 * urb_submit_nowait(URB_OP_ACCEPT) or with accept4 itself, interleaved in
 * rounds; the client closes with a reset so no TIME_WAIT piles up.
 * Reports the median over rounds of wall and CPU time per try (the try
 * alone, clock_gettime around it) and per whole connection (CPU).
 *   cc -O2 -I include bench/accept_try.c -o accept_try -L target/release -luringbridge
 *   LD_LIBRARY_PATH=target/release ./accept_try [connections per round] [rounds] */
#define _GNU_SOURCE
#include <uringbridge.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One round of n connections; per-try wall ns and whole-loop CPU ns per connection. */
static void round_of(int lfd, const struct sockaddr_in *addr, int n, int lib, double *try_ns, double *cpu_ns) {
    double tried = 0, cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c < 0 || connect(c, (const struct sockaddr *)addr, sizeof *addr) != 0) { perror("connect"); exit(1); }
        int conn;
        double t0 = now_ns(CLOCK_MONOTONIC);
        if (lib) {
            urb_op op;
            int32_t res = -1;
            urb_prep_accept(lfd, NULL, NULL, SOCK_CLOEXEC, &op);
            if (urb_submit_nowait(&op, &res) != 1) { fprintf(stderr, "not accepted on the spot\n"); exit(1); }
            conn = res;
        } else {
            conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        }
        tried += now_ns(CLOCK_MONOTONIC) - t0;
        if (conn < 0) { fprintf(stderr, "accept: %d\n", conn); exit(1); }
        struct linger l = {1, 0};
        setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close(c);
        close(conn);
    }
    *try_ns = tried / n;
    *cpu_ns = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / n;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 5000, rounds = argc > 2 ? atoi(argv[2]) : 9;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (bind(lfd, (struct sockaddr *)&addr, len) || listen(lfd, 128) || getsockname(lfd, (struct sockaddr *)&addr, &len)) {
        perror("listener");
        return 1;
    }
    double t[2][64], c[2][64];
    if (rounds > 64) rounds = 64;
    round_of(lfd, &addr, n / 10 + 1, 1, &t[0][0], &c[0][0]); /* warm-up: the thread's ring, caches */
    for (int r = 0; r < rounds; r++)
        for (int lib = 0; lib < 2; lib++) round_of(lfd, &addr, n, (r & 1) ? !lib : lib, &t[(r & 1) ? !lib : lib][r], &c[(r & 1) ? !lib : lib][r]);
    for (int lib = 0; lib < 2; lib++) {
        qsort(t[lib], rounds, sizeof(double), cmp);
        qsort(c[lib], rounds, sizeof(double), cmp);
    }
    printf("engine %s, %d rounds x %d connections (medians [min-max])\n", urb_engine_name(), rounds, n);
    printf("  accept4 itself:    try %6.0f ns [%.0f-%.0f], CPU per connection %6.0f ns\n", t[0][rounds / 2], t[0][0],
           t[0][rounds - 1], c[0][rounds / 2]);
    printf("  urb_submit_nowait: try %6.0f ns [%.0f-%.0f], CPU per connection %6.0f ns\n", t[1][rounds / 2], t[1][0],
           t[1][rounds - 1], c[1][rounds / 2]);
    close(lfd);
    return 0;
}
