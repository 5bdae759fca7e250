/* nop [N]: N round trips through the engine that do nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uringbridge.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        int32_t r = urb_nop();
        if (r != 0) {
            fprintf(stderr, "nop: %s\n", urb_strerror(r));
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)(n ? n : 1);
    printf("nop: engine %s, %ld round trips, %.0f ns each\n", urb_backend_name(), n, ns);
    return 0;
}
