/* urb_submit_blocking_sqe: the caller fills a raw struct io_uring_sqe from
 * <linux/io_uring.h>. On the fallback engine the library decodes the common
 * opcodes itself, so the same tests run on both engines. */
#include "harness.h"
#include "fixtures.h"

#include <errno.h>
#include <linux/time_types.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

static int on_fallback(void) { return strcmp(urb_backend_name(), "fallback") == 0; }

struct read_request {
    int fd;
    void *buf;
    uint32_t len;
    uint64_t offset;
    int calls; /* how many times the library called fill */
    void *seen_ctx;
};

static int32_t fill_nop(void *ctx, struct io_uring_sqe *sqe) {
    (void)ctx;
    sqe->opcode = IORING_OP_NOP;
    return 0;
}

static int32_t fill_read(void *ctx, struct io_uring_sqe *sqe) {
    struct read_request *r = ctx;
    r->calls++;
    r->seen_ctx = ctx;
    sqe->opcode = IORING_OP_READ;
    sqe->fd = r->fd;
    sqe->addr = (uint64_t)(uintptr_t)r->buf;
    sqe->len = r->len;
    sqe->off = r->offset;
    return 0;
}

/* A failing read that asks to be linked to whatever comes next: the library
 * clears the link, so the next request on this thread must not be cancelled
 * by this failure. */
static int32_t fill_failing_read_linked(void *ctx, struct io_uring_sqe *sqe) {
    fill_read(ctx, sqe);
    sqe->fd = fixture_closed_fd();
    sqe->flags = IOSQE_IO_LINK;
    return 0;
}

static int32_t fill_nop_skip_success(void *ctx, struct io_uring_sqe *sqe) {
    (void)ctx;
    sqe->opcode = IORING_OP_NOP;
    sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
    return 0;
}

static int32_t fill_multishot_poll(void *ctx, struct io_uring_sqe *sqe) {
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = *(int *)ctx;
    sqe->poll32_events = POLLIN;
    sqe->len = IORING_POLL_ADD_MULTI;
    return 0;
}

struct timeout_request {
    struct __kernel_timespec ts;
    uint32_t timeout_flags;
    uint32_t count_of_timespecs; /* sqe->len: the kernel wants exactly 1 */
};

static int32_t fill_timeout(void *ctx, struct io_uring_sqe *sqe) {
    struct timeout_request *t = ctx;
    sqe->opcode = IORING_OP_TIMEOUT;
    sqe->fd = -1;
    sqe->addr = (uint64_t)(uintptr_t)&t->ts;
    sqe->len = t->count_of_timespecs;
    sqe->timeout_flags = t->timeout_flags;
    return 0;
}

static int32_t fill_refusing(void *ctx, struct io_uring_sqe *sqe) {
    int *calls = ctx;
    (*calls)++;
    sqe->opcode = IORING_OP_NOP;
    return -EPERM;
}

static void test_nop(void) {
    CHECK_RES(urb_submit_blocking_sqe(fill_nop, NULL), 0);
}

static void test_read_from_pipe_and_file(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    CHECK(write(p[1], "rawsqe", 6) == 6);
    char buf[8] = {0};
    struct read_request r = {.fd = p[0], .buf = buf, .len = 4, .offset = UINT64_MAX};
    CHECK_RES(urb_submit_blocking_sqe(fill_read, &r), 4);
    CHECK(memcmp(buf, "raws", 4) == 0);
    CHECK(r.calls == 1 && r.seen_ctx == &r); /* ctx passed through untouched */
    close(p[0]);
    close(p[1]);

    char path[32];
    int fd = fixture_file(path, "0123456789", 10);
    memset(buf, 0, sizeof buf);
    r = (struct read_request){.fd = fd, .buf = buf, .len = 3, .offset = 5};
    CHECK_RES(urb_submit_blocking_sqe(fill_read, &r), 3);
    CHECK(memcmp(buf, "567", 3) == 0);
    close(fd);
    r.offset = 0;
    CHECK_RES(urb_submit_blocking_sqe(fill_read, &r), -EBADF);
    unlink(path);
}

static void test_link_flag_is_cleared(void) {
    char buf[4];
    struct read_request r = {.buf = buf, .len = 4};
    CHECK_RES(urb_submit_blocking_sqe(fill_failing_read_linked, &r), -EBADF);
    CHECK_RES(urb_nop(), 0);
    CHECK_RES(urb_submit_blocking_sqe(fill_nop, NULL), 0);
}

static void test_refusal_is_returned_as_is(void) {
    int calls = 0;
    CHECK_RES(urb_submit_blocking_sqe(fill_refusing, &calls), -EPERM);
    CHECK(calls == 1);
    CHECK_RES(urb_nop(), 0); /* the abandoned SQE left the ring usable */
}

static void test_null_fill(void) {
    CHECK_RES(urb_submit_blocking_sqe(NULL, NULL), -EINVAL);
}

/* A request whose success would post no CQE would leave the caller waiting
 * for ever: the library clears IOSQE_CQE_SKIP_SUCCESS. A watchdog turns a
 * hang into a failure. */
static void test_skip_success_flag_is_cleared(void) {
    alarm(10);
    CHECK_RES(urb_submit_blocking_sqe(fill_nop_skip_success, NULL), 0);
    alarm(0);
}

/* A multishot poll ends after its first completion: later readiness must
 * not post stray completions that the thread's next requests would see. The
 * fallback engine does not do multishot (-ENOSYS, as documented). */
static void test_multishot_poll_completes_once(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    CHECK(write(p[1], "a", 1) == 1);
    int32_t res = urb_submit_blocking_sqe(fill_multishot_poll, &p[0]);
    if (on_fallback()) {
        CHECK_RES(res, -ENOSYS);
    } else {
        CHECK(res > 0 && (res & POLLIN));
    }
    char buf[4] = {0};
    CHECK_RES(urb_read(p[0], buf, 1, URB_OFFSET_CURRENT), 1);
    CHECK(write(p[1], "bc", 2) == 2); /* would re-arm a multishot poll left behind */
    CHECK_RES(urb_nop(), 0);
    CHECK_RES(urb_read(p[0], buf, sizeof buf, URB_OFFSET_CURRENT), 2);
    CHECK(memcmp(buf, "bc", 2) == 0);
    CHECK_RES(urb_nop(), 0);
    close(p[0]);
    close(p[1]);
}

/* The raw face returns the CQE's res: a TIMEOUT that runs out is -ETIME. */
static void test_timeout_sqe(void) {
    struct timeout_request t = {{0, 5 * 1000 * 1000}, 0, 1};
    uint64_t t0 = fixture_now_ns();
    CHECK_RES(urb_submit_blocking_sqe(fill_timeout, &t), -ETIME);
    CHECK(fixture_now_ns() - t0 >= 5 * 1000 * 1000);
    t.count_of_timespecs = 0; /* the kernel refuses any count but 1 */
    CHECK_RES(urb_submit_blocking_sqe(fill_timeout, &t), -EINVAL);
}

/* An absolute timeout (IORING_TIMEOUT_ABS) 5 ms from now must end about
 * 5 ms from now, not after the clock's whole value read as a duration. Run
 * in a child with a deadline, so a hang fails this check only. */
static void test_absolute_timeout_sqe(void) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        alarm(5);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t at = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec + 5 * 1000 * 1000;
        struct timeout_request t = {{(long long)(at / 1000000000u), (long long)(at % 1000000000u)},
                                    IORING_TIMEOUT_ABS, 1};
        _exit(urb_submit_blocking_sqe(fill_timeout, &t) == -ETIME ? 0 : 1);
    }
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        printf("  an IORING_TIMEOUT_ABS timeout of 5 ms was still waiting after 5 s\n");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
    harness_start("test_raw_sqe");
    RUN(test_nop);
    RUN(test_read_from_pipe_and_file);
    RUN(test_link_flag_is_cleared);
    RUN(test_refusal_is_returned_as_is);
    RUN(test_null_fill);
    RUN(test_skip_success_flag_is_cleared);
    RUN(test_multishot_poll_completes_once);
    RUN(test_timeout_sqe);
    RUN(test_absolute_timeout_sqe);
    return harness_finish();
}
