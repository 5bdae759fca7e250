/* A request the kernel runs in one of its workers (tee, splice, fsync, a
 * buffered write to an ext4 file, ...) may drop its last reference to a
 * file a moment after its completion was posted; that put runs as task
 * work of the thread that submitted it. On
 * the blocking face's ring it used to be deferred (DEFER_TASKRUN) to the
 * thread's next io_uring_enter: after urb_tee returned and the caller
 * closed the output pipe's write end, the reader got no end of file until
 * the thread's next library call — a poll(2) waiting for it hung (tried
 * here: 1 in 3,000 tees under load). Each try here closes the output pipe
 * after a tee (one that fails, as a worker runs it, and one that moves
 * data) and waits in poll(2), asleep, for the reader's POLLHUP; the file
 * cases wait for inotify's IN_CLOSE_WRITE after urb_write and close. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#ifndef TRIES
#define TRIES 20000
#endif
enum { HUP_WAIT_MS = 2000, FILE_CHUNK = 64 << 10 };
#ifndef FILE_TRIES /* more, to measure how often it happens: -DFILE_TRIES=20000 */
#define FILE_TRIES 5000
#endif

static atomic_int stop;

/* Load on the other core makes the worker's put late more often. */
static void *spin(void *arg) {
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        /* Under valgrind, which runs one thread at a time, a loop that
         * never yields holds the test thread back after each of its
         * system calls: 0.25 s a file try instead of 0.1 ms. */
        for (int i = 0; i < 1000; i++)
            atomic_signal_fence(memory_order_seq_cst);
        sched_yield();
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

/* ext4 hands every buffered write (and some O_DIRECT ones) to a worker.
 * On the deferred ring the file was then let go late in the same way: the
 * close after the write was not the last put, and inotify reported no
 * IN_CLOSE_WRITE until the thread's next call. Checked buffered and, where
 * the file system takes it, with O_DIRECT; `timed` goes through
 * urb_submit_blocking_timeout, which always takes the ring (an untimed
 * urb_write to a file is the pwritev2 itself). */
static void closed_file_is_released_at_once(int extra_flags, int timed, const char *what) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/urb-deferred-put-%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | extra_flags, 0600);
    if (fd < 0 && errno == EINVAL && extra_flags) {
        fprintf(stderr, "  skipped %s: the file system refuses it\n", what);
        return;
    }
    /* One watch for every try: closing an inotify instance waits for an
     * RCU grace period, milliseconds under load. */
    int watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    void *buf = NULL;
    if (fd < 0 || watch < 0 || inotify_add_watch(watch, path, IN_CLOSE_WRITE) < 0 ||
        posix_memalign(&buf, 4096, FILE_CHUNK)) {
        CHECK(!"open, inotify_init1, inotify_add_watch or posix_memalign");
        return;
    }
    memset(buf, 'x', FILE_CHUNK);
    close(fd);
    char events[4096];
    while (read(watch, events, sizeof events) > 0) {
    }
    int late = 0, results_ok = 1;
    for (int i = 0; i < FILE_TRIES && late == 0; i++) {
        fd = open(path, O_WRONLY | O_CLOEXEC | extra_flags);
        if (fd < 0) {
            CHECK(!"open");
            break;
        }
        uint64_t at = (uint64_t)(i % 16) * FILE_CHUNK;
        int r;
        if (timed) {
            struct urb_op op;
            urb_prep_write(fd, buf, FILE_CHUNK, at, &op);
            r = urb_submit_blocking_timeout(&op, 10ull * 1000 * 1000 * 1000);
        } else {
            r = urb_write(fd, buf, FILE_CHUNK, at);
        }
        results_ok &= r == FILE_CHUNK;
        close(fd);
        struct pollfd pf = {watch, POLLIN, 0};
        if (poll(&pf, 1, HUP_WAIT_MS) != 1) {
            late++;
            fprintf(stderr, "try %d (%s): no IN_CLOSE_WRITE within %d ms after close (write gave %d)\n",
                    i, what, HUP_WAIT_MS, r);
        }
        while (read(watch, events, sizeof events) > 0) {
        }
    }
    close(watch);
    unlink(path);
    free(buf);
    CHECK(results_ok);
    CHECK(late == 0);
}

static void test_buffered_write(void) { closed_file_is_released_at_once(0, 0, "buffered"); }
static void test_direct_write(void) { closed_file_is_released_at_once(O_DIRECT, 0, "O_DIRECT"); }
static void test_timed_buffered_write(void) {
    closed_file_is_released_at_once(0, 1, "buffered, timed");
}
static void test_timed_direct_write(void) {
    closed_file_is_released_at_once(O_DIRECT, 1, "O_DIRECT, timed");
}

static void test_failing_tee(void) { test_closed_output_reaches_its_reader_at_once(0); }
static void test_moving_tee(void) { test_closed_output_reaches_its_reader_at_once(1); }

int main(void) {
    harness_start("test_deferred_put");
    pthread_t t;
    int spinning = pthread_create(&t, NULL, spin, NULL) == 0;
    RUN(test_failing_tee);
    RUN(test_moving_tee);
    RUN(test_buffered_write);
    RUN(test_direct_write);
    RUN(test_timed_buffered_write);
    RUN(test_timed_direct_write);
    atomic_store(&stop, 1);
    if (spinning)
        pthread_join(t, NULL);
    return harness_finish();
}
