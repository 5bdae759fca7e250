// Diagnostic, not a test: what one send + one receive of a short message
// costs on the calling thread through urb_submit_nowait (the path every
// uringbridge-warp request takes when the data is already there) against
// plain send(2)/recv(2) with MSG_DONTWAIT (what GHC's I/O manager, and so
// stock Warp, does). A connected socketpair, 100-byte messages, nothing ever
// waits. Interleaved rounds, medians.
//   cc -O2 try_cost.c -I include -L target/release -luringbridge -Wl,-rpath,$PWD/target/release
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include "uringbridge.h"

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    char msg[100] = {0}, buf[4096];
    enum { N = 100000, ROUNDS = 9 };
    double plain[ROUNDS], urb[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        for (int side = 0; side < 2; side++) {
            double t0 = now_ns();
            for (int i = 0; i < N; i++) {
                if (side == 0) {
                    if (send(sv[0], msg, sizeof msg, MSG_DONTWAIT) != sizeof msg) return 2;
                    if (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) != sizeof msg) return 3;
                } else {
                    struct urb_op op;
                    int32_t res;
                    urb_prep_send(sv[0], msg, sizeof msg, 0, &op);
                    if (urb_submit_nowait(&op, &res) != 1 || res != sizeof msg) return 4;
                    urb_prep_recv(sv[1], buf, sizeof buf, 0, &op);
                    if (urb_submit_nowait(&op, &res) != 1 || res != sizeof msg) return 5;
                }
            }
            (side == 0 ? plain : urb)[r] = (now_ns() - t0) / N;
        }
    }
    qsort(plain, ROUNDS, sizeof(double), cmp);
    qsort(urb, ROUNDS, sizeof(double), cmp);
    printf("engine %s: send+recv of 100 bytes, median of %d rounds x %d: plain syscalls %.0f ns [%.0f-%.0f], "
           "urb_submit_nowait %.0f ns [%.0f-%.0f], ratio %.2fx\n",
           urb_backend_name(), ROUNDS, N, plain[ROUNDS / 2], plain[0], plain[ROUNDS - 1],
           urb[ROUNDS / 2], urb[0], urb[ROUNDS - 1], urb[ROUNDS / 2] / plain[ROUNDS / 2]);
    return 0;
}
