/* A tiny header-only test harness.
 *
 *   harness_start("suite");     prints "engine: <name>" first, so every log
 *                               says which engine the results come from
 *   RUN(test_fn);               runs one test and prints "ok"/"FAIL" for it
 *   CHECK(cond); CHECK_RES(got, want);
 *                               record a pass, or print the failure with the
 *                               running test's name and the line
 *   return harness_finish();    prints "N passed, N failed" alone on a line;
 *                               the exit status is non-zero on any failure
 */
#ifndef URB_HARNESS_H
#define URB_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <uringbridge.h>

static int harness_passed, harness_failed;
static const char *harness_test = "(setup)";

static inline void harness_record(int ok, const char *file, int line, const char *what) {
    if (ok) {
        harness_passed++;
        return;
    }
    harness_failed++;
    printf("FAIL %s (%s:%d): %s\n", harness_test, file, line, what);
    fflush(stdout);
}

#define CHECK(cond) harness_record((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

/* Compares CQE-style results; on a mismatch prints both, with their text. */
#define CHECK_RES(got, want)                                                  \
    do {                                                                      \
        int32_t got_ = (got), want_ = (want);                                 \
        char what_[512];                                                      \
        snprintf(what_, sizeof what_, "%s = %d (%s), want %d (%s)", #got,     \
                 got_, urb_strerror(got_), want_, urb_strerror(want_));       \
        harness_record(got_ == want_, __FILE__, __LINE__, what_);             \
    } while (0)

static inline void harness_run(const char *name, void (*test)(void)) {
    int failed_before = harness_failed;
    harness_test = name;
    test();
    printf("%s %s\n", harness_failed == failed_before ? "ok  " : "FAIL", name);
    fflush(stdout);
    harness_test = "(between tests)";
}

#define RUN(test) harness_run(#test, test)

static inline void harness_start(const char *suite) {
    printf("%s\nengine: %s\n", suite, urb_engine_name());
    fflush(stdout);
}

static inline int harness_finish(void) {
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

#endif
