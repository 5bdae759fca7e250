/* Linked chains through urb_submit_chain_blocking: results per request, a
 * failure or a short transfer cancelling the rest, validation refusing the
 * whole chain before anything runs. Run on both engines by `make test-c`. */
#include "harness.h"
#include "fixtures.h"

#include <errno.h>

/* What the file holds now, read with plain libc. */
static int file_is(int fd, const char *want) {
    char buf[64] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

static void test_write_fsync_read_succeeds(void) {
    char path[32], back[9] = {0};
    int fd = fixture_file(path, "", 0);
    urb_op ops[3];
    int32_t res[3] = {99, 99, 99};
    urb_prep_write(fd, "chained!", 8, 0, &ops[0]);
    urb_prep_fsync(fd, URB_FSYNC_DATASYNC, &ops[1]);
    urb_prep_read(fd, back, 8, 0, &ops[2]);
    CHECK_RES(urb_submit_chain_blocking(ops, 3, res), 0);
    CHECK_RES(res[0], 8);
    CHECK_RES(res[1], 0);
    CHECK_RES(res[2], 8);
    CHECK(strcmp(back, "chained!") == 0);
    close(fd);
    unlink(path);
}

static void test_sleep_then_write(void) {
    char path[32];
    int fd = fixture_file(path, "", 0);
    urb_op ops[2];
    int32_t res[2];
    urb_prep_timeout(5 * 1000 * 1000, &ops[0]); /* a finished sleep does not break the chain */
    urb_prep_write(fd, "after", 5, 0, &ops[1]);
    uint64_t t0 = fixture_now_ns();
    CHECK_RES(urb_submit_chain_blocking(ops, 2, res), 0);
    CHECK(fixture_now_ns() - t0 >= 5 * 1000 * 1000);
    CHECK(res[0] == 0 && res[1] == 5);
    CHECK(file_is(fd, "after"));
    close(fd);
    unlink(path);
}

static void test_failure_midway_cancels_the_rest(void) {
    char path[32], buf[8];
    int fd = fixture_file(path, "before", 6);
    urb_op ops[4];
    int32_t res[4];
    urb_prep_nop(&ops[0]);
    urb_prep_read(fixture_closed_fd(), buf, sizeof buf, 0, &ops[1]);
    urb_prep_nop(&ops[2]);
    urb_prep_write(fd, "AFTER!", 6, 0, &ops[3]);
    CHECK_RES(urb_submit_chain_blocking(ops, 4, res), -EBADF);
    CHECK_RES(res[0], 0);
    CHECK_RES(res[1], -EBADF);
    CHECK_RES(res[2], -ECANCELED);
    CHECK_RES(res[3], -ECANCELED);
    CHECK(file_is(fd, "before")); /* the cancelled write never ran */
    close(fd);
    unlink(path);
}

static void test_short_read_breaks_the_chain(void) {
    char path[32], buf[8] = {0};
    int fd = fixture_file(path, "12345678", 8);
    urb_op ops[2];
    int32_t res[2];
    urb_prep_read(fd, buf, 8, 4, &ops[0]); /* only 4 bytes left */
    urb_prep_write(fd, "XXXX", 4, 0, &ops[1]);
    CHECK_RES(urb_submit_chain_blocking(ops, 2, res), -ECANCELED);
    CHECK_RES(res[0], 4);
    CHECK_RES(res[1], -ECANCELED);
    CHECK(memcmp(buf, "5678", 4) == 0);
    CHECK(file_is(fd, "12345678"));
    close(fd);
    unlink(path);
}

static void test_invalid_request_submits_nothing(void) {
    char path[32];
    int fd = fixture_file(path, "untouched", 9);
    urb_op ops[3];
    int32_t res[3] = {99, 99, 99};
    urb_prep_write(fd, "CLOBBERED", 9, 0, &ops[0]);
    urb_prep_nop(&ops[1]);
    ops[1].reserved1 = 1;
    urb_prep_write(fd, "CLOBBERED", 9, 0, &ops[2]);
    CHECK_RES(urb_submit_chain_blocking(ops, 3, res), -EINVAL);
    CHECK_RES(res[0], -ECANCELED);
    CHECK_RES(res[1], -EINVAL);
    CHECK_RES(res[2], -ECANCELED);
    CHECK(file_is(fd, "untouched"));

    urb_prep_write(fd, "CLOBBERED", 9, 0, &ops[0]);
    urb_prep_read(fd, NULL, 9, 0, &ops[1]); /* NULL buffer: read(2)'s -EFAULT */
    CHECK_RES(urb_submit_chain_blocking(ops, 2, res), -EFAULT);
    CHECK(res[0] == -ECANCELED && res[1] == -EFAULT);
    CHECK(file_is(fd, "untouched"));
    close(fd);
    unlink(path);
}

static void test_longest_chain(void) {
    static urb_op ops[URB_CHAIN_MAX + 1];
    static int32_t res[URB_CHAIN_MAX + 1];
    for (int i = 0; i <= URB_CHAIN_MAX; i++) {
        urb_prep_nop(&ops[i]);
        res[i] = 99;
    }
    CHECK_RES(urb_submit_chain_blocking(ops, URB_CHAIN_MAX, res), 0);
    int all_zero = 1;
    for (int i = 0; i < URB_CHAIN_MAX; i++) all_zero &= res[i] == 0;
    CHECK(all_zero);
    CHECK_RES(urb_submit_chain_blocking(ops, URB_CHAIN_MAX + 1, res), -EINVAL);
    CHECK_RES(urb_submit_chain_blocking(ops, 1, res), 0);
}

static void test_chain_arguments(void) {
    urb_op op;
    int32_t res[1];
    urb_prep_nop(&op);
    CHECK_RES(urb_submit_chain_blocking(NULL, 1, res), -EINVAL);
    CHECK_RES(urb_submit_chain_blocking(&op, 1, NULL), -EINVAL);
    CHECK_RES(urb_submit_chain_blocking(&op, 0, res), -EINVAL);
}

int main(void) {
    harness_start("test_chains");
    RUN(test_write_fsync_read_succeeds);
    RUN(test_sleep_then_write);
    RUN(test_failure_midway_cancels_the_rest);
    RUN(test_short_read_breaks_the_chain);
    RUN(test_invalid_request_submits_nothing);
    RUN(test_longest_chain);
    RUN(test_chain_arguments);
    return harness_finish();
}
