/* A request the kernel runs in one of its workers (tee, splice, fsync, ...)
 * may drop its last reference to a file a moment after its completion was
 * posted; that put runs as task work of the thread that submitted it. On
 * the blocking face's ring it used to be deferred (DEFER_TASKRUN) to the
 * thread's next io_uring_enter: after urb_tee returned and the caller
 * closed the output pipe's write end, the reader got no end of file until
 * the thread's next library call — a poll(2) waiting for it hung (tried
 * here: 1 in 3,000 tees under load). Each try here closes the output pipe
 * after a tee (one that fails, as a worker runs it, and one that moves
 * data) and waits in poll(2), asleep, for the reader's POLLHUP. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

enum { TRIES = 20000, HUP_WAIT_MS = 2000 };

static atomic_int stop;

/* Load on the other core makes the worker's put late more often. */
static void *spin(void *arg) {
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    }
    return NULL;
}

/* 1 when the reader of q saw POLLHUP within HUP_WAIT_MS, reading any bytes
 * the tee put there first. */
static int hup_in_time(int reader) {
    char b[16];
    for (;;) {
        struct pollfd pf = {reader, POLLIN, 0};
        if (poll(&pf, 1, HUP_WAIT_MS) <= 0)
            return 0;
        if (pf.revents & POLLIN) {
            if (read(reader, b, sizeof b) > 0)
                continue;
            return 1; /* 0: end of file */
        }
        return (pf.revents & POLLHUP) != 0;
    }
}

static void test_closed_output_reaches_its_reader_at_once(int with_data) {
    int late = 0, results_ok = 1;
    for (int i = 0; i < TRIES && late == 0; i++) {
        int p[2], q[2];
        if (pipe2(p, O_CLOEXEC) || pipe2(q, O_CLOEXEC)) {
            CHECK(!"pipe2");
            return;
        }
        int r;
        if (with_data) {
            results_ok &= write(p[1], "hello", 5) == 5;
            r = urb_tee(p[0], q[1], 16, 0);
            results_ok &= r == 5;
        } else {
            r = urb_tee(p[1], q[1], 16, 0); /* the input is a write end */
            results_ok &= r == -EBADF;
        }
        close(q[1]);
        if (!hup_in_time(q[0])) {
            late++;
            fprintf(stderr, "try %d: no POLLHUP within %d ms after close (tee gave %d)\n", i,
                    HUP_WAIT_MS, r);
        }
        close(q[0]);
        close(p[0]);
        close(p[1]);
    }
    CHECK(results_ok);
    CHECK(late == 0);
}

static void test_failing_tee(void) { test_closed_output_reaches_its_reader_at_once(0); }
static void test_moving_tee(void) { test_closed_output_reaches_its_reader_at_once(1); }

int main(void) {
    harness_start("test_deferred_put");
    pthread_t t;
    int spinning = pthread_create(&t, NULL, spin, NULL) == 0;
    RUN(test_failing_tee);
    RUN(test_moving_tee);
    atomic_store(&stop, 1);
    if (spinning)
        pthread_join(t, NULL);
    return harness_finish();
}
