/* A tiny test harness: CHECK records failures, harness_finish prints the
 * closing "N passed, N failed" line and gives the exit status. */
#ifndef URB_HARNESS_H
#define URB_HARNESS_H

#include <stdio.h>
#include <uringbridge.h>

static int harness_passed, harness_failed;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (cond) {                                                           \
            harness_passed++;                                                 \
        } else {                                                              \
            harness_failed++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                     \
    } while (0)

/* Compares CQE-style results and prints both, with their text, on mismatch. */
#define CHECK_RES(got, want)                                                  \
    do {                                                                      \
        int32_t g_ = (got), w_ = (want);                                      \
        if (g_ == w_) {                                                       \
            harness_passed++;                                                 \
        } else {                                                              \
            harness_failed++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s = %d (%s), want %d (%s)\n",       \
                    __FILE__, __LINE__, #got, g_, urb_strerror(g_), w_,       \
                    urb_strerror(w_));                                        \
        }                                                                     \
    } while (0)

static inline void harness_start(const char *suite) {
    printf("%s: engine: %s\n", suite, urb_backend_name());
}

static inline int harness_finish(void) {
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

#endif
