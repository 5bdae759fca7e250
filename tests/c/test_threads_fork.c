/* Thread and process lifecycles around the per-thread rings: 1,000 short-lived
 * threads doing real I/O must leave no descriptor behind; a forked child
 * must get working rings of its own while the parent keeps using its own;
 * fork + exec must work and hand the new program none of the library's
 * descriptors. Run on both engines by `make test-c`. */
#include "harness.h"
#include "fixtures.h"

#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>

enum { THREADS = 1000, WAVE = 50, RECORD = 16 };

static int shared_fd; /* every thread writes its own record of this file */

struct worker { int index; int failures; };

/* A fixed-size record naming its writer, so every write is checkable. */
static void make_record(char out[RECORD], const char *who, int n) {
    char text[64];
    int len = snprintf(text, sizeof text, "%s %d", who, n);
    memset(out, '.', RECORD);
    memcpy(out, text, (size_t)len < RECORD ? (size_t)len : RECORD);
}

/* Real I/O through the blocking face, counting what went wrong. */
static int file_and_pipe_round(int file_fd, uint64_t offset, const char *record) {
    int failures = 0;
    char back[RECORD];
    failures += urb_write(file_fd, record, RECORD, offset) != RECORD;
    failures += urb_read(file_fd, back, RECORD, offset) != RECORD;
    failures += memcmp(back, record, RECORD) != 0;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return failures + 1;
    failures += urb_write(p[1], record, RECORD, URB_OFFSET_CURRENT) != RECORD;
    memset(back, 0, sizeof back);
    failures += urb_read(p[0], back, RECORD, URB_OFFSET_CURRENT) != RECORD;
    failures += memcmp(back, record, RECORD) != 0;
    failures += urb_close(p[0]) != 0;
    failures += urb_close(p[1]) != 0;
    failures += urb_nop() != 0;
    return failures;
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    char record[RECORD];
    make_record(record, "thread", w->index);
    w->failures = file_and_pipe_round(shared_fd, (uint64_t)w->index * RECORD, record);
    return NULL;
}

/* Runs workers first..first+count-1 in waves; returns how many failed. */
static int run_workers(struct worker *workers, int first, int count) {
    int failed = 0;
    for (int start = first; start < first + count; start += WAVE) {
        pthread_t ids[WAVE];
        int n = first + count - start < WAVE ? first + count - start : WAVE;
        for (int i = 0; i < n; i++) {
            workers[start + i].index = start + i;
            if (pthread_create(&ids[i], NULL, worker_main, &workers[start + i]) != 0) {
                fprintf(stderr, "pthread_create failed\n");
                exit(2);
            }
        }
        for (int i = 0; i < n; i++) {
            pthread_join(ids[i], NULL);
            failed += workers[start + i].failures != 0;
        }
    }
    return failed;
}

static void test_thousand_threads_leave_no_descriptors(void) {
    static struct worker workers[THREADS + WAVE];
    char path[32];
    shared_fd = fixture_file(path, "", 0);
    CHECK_RES(urb_nop(), 0);
    /* One wave first: whatever the engine sets up once per process (not per
     * thread) belongs in the baseline. */
    CHECK(run_workers(workers, THREADS, WAVE) == 0);
    int baseline = fixture_open_fds();
    CHECK(run_workers(workers, 0, THREADS) == 0);
    int after = fixture_open_fds();
    if (after != baseline) printf("  open descriptors: %d before, %d after\n", baseline, after);
    CHECK(after == baseline);

    int intact = 0;
    for (int i = 0; i < THREADS; i++) {
        char want[RECORD], got[RECORD];
        make_record(want, "thread", i);
        intact += pread(shared_fd, got, RECORD, (off_t)i * RECORD) == RECORD && memcmp(got, want, RECORD) == 0;
    }
    CHECK(intact == THREADS);
    close(shared_fd);
    unlink(path);
}

/* The child's and the parent's share of work after fork: several rounds on
 * a file of their own, with a sleep between so both are busy at once. */
static int busy_rounds(const char *who) {
    char path[32], record[RECORD];
    int fd = fixture_file(path, "", 0), failures = 0;
    for (int round = 0; round < 200; round++) {
        make_record(record, who, round);
        failures += file_and_pipe_round(fd, (uint64_t)round * RECORD, record);
        if (round % 50 == 0) failures += urb_sleep_ns(1000 * 1000) != 0;
    }
    close(fd);
    unlink(path);
    return failures;
}

static void *child_thread_main(void *arg) {
    *(int *)arg = busy_rounds("child-t");
    return NULL;
}

/* A parent thread blocked in a read when the fork happens. */
struct pending_read { int fd; char buf[8]; int32_t res; };

static void *pending_read_main(void *arg) {
    struct pending_read *r = arg;
    r->res = urb_read(r->fd, r->buf, sizeof r->buf, URB_OFFSET_CURRENT);
    return NULL;
}

static void test_fork_child_and_parent_both_do_io(void) {
    CHECK(busy_rounds("parent0") == 0); /* the parent's ring exists before fork */
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    struct pending_read pending = {.fd = p[0]};
    pthread_t reader;
    CHECK(pthread_create(&reader, NULL, pending_read_main, &pending) == 0);
    CHECK_RES(urb_sleep_ns(20 * 1000 * 1000), 0); /* let the read be in flight */

    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        /* The forking thread's ring and a new thread's ring, in the child. */
        int thread_failures = -1;
        pthread_t t;
        int failures = busy_rounds("child");
        if (pthread_create(&t, NULL, child_thread_main, &thread_failures) != 0) _exit(3);
        pthread_join(t, NULL);
        _exit(failures == 0 && thread_failures == 0 ? 0 : 1);
    }
    CHECK(busy_rounds("parent") == 0);
    CHECK(write(p[1], "wake", 4) == 4); /* the parent's pending read still completes */
    pthread_join(reader, NULL);
    CHECK_RES(pending.res, 4);
    CHECK(memcmp(pending.buf, "wake", 4) == 0);
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) printf("  child status 0x%x\n", status);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(p[0]);
    close(p[1]);
}

/* fork + exec of argv; the child's stdout is captured into out. Returns the
 * wait status. */
static int fork_exec(char *const argv[], char *out, size_t cap) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t used = 0;
    for (ssize_t n; used + 1 < cap && (n = read(p[0], out + used, cap - 1 - used)) > 0;) used += (size_t)n;
    out[used] = '\0';
    close(p[0]);
    int status = -1;
    waitpid(pid, &status, 0);
    return status;
}

static void test_fork_exec(void) {
    CHECK_RES(urb_nop(), 0);
    char out[8192];
    char *true_argv[] = {"/bin/true", NULL};
    int status = fork_exec(true_argv, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The new program lists the descriptors it inherited: none may be one of
     * the library's rings, eventfds or epoll instances (all close-on-exec). */
    char *list_argv[] = {"/bin/sh", "-c", "cd /proc/$$/fd && for f in *; do echo \"$f $(readlink $f)\"; done", NULL};
    status = fork_exec(list_argv, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(out, "/dev/null") != NULL || strstr(out, "pipe:") != NULL); /* the listing worked */
    int leaked = strstr(out, "io_uring") || strstr(out, "eventfd") || strstr(out, "eventpoll");
    if (leaked) printf("  inherited across exec:\n%s", out);
    CHECK(!leaked);
    CHECK_RES(urb_nop(), 0);
}

int main(void) {
    harness_start("test_threads_fork");
    RUN(test_thousand_threads_leave_no_descriptors);
    RUN(test_fork_child_and_parent_both_do_io);
    RUN(test_fork_exec);
    return harness_finish();
}
