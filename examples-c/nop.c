/* nop [N]: N round trips through the engine that do nothing (default
 * 100000); prints the engine, the count and the mean cost of one. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uringbridge.h>

int main(int argc, char **argv) {
    long n = 100000;
    if (argc > 2 || (argc == 2 && ((n = strtol(argv[1], NULL, 10)) <= 0))) {
        fprintf(stderr, "usage: nop [N > 0]\n");
        return 2;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        int32_t r = urb_nop();
        if (r != 0) {
            fprintf(stderr, "nop: engine %s: %s\n", urb_engine_name(), urb_strerror(r));
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
    printf("nop: engine %s, %ld round trips, %.0f ns each\n", urb_engine_name(), n, ns);
    return 0;
}
