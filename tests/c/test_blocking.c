/* The blocking face from C: layout, every operation, chains, timeouts, raw
 * SQEs and bad input. Run on both engines by `make test-c`. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(urb_op) == 64, "urb_op is 64 bytes");
_Static_assert(offsetof(urb_op, opcode) == 0, "opcode");
_Static_assert(offsetof(urb_op, flags) == 1, "flags");
_Static_assert(offsetof(urb_op, reserved0) == 2, "reserved0");
_Static_assert(offsetof(urb_op, fd) == 4, "fd");
_Static_assert(offsetof(urb_op, offset) == 8, "offset");
_Static_assert(offsetof(urb_op, buf) == 16, "buf");
_Static_assert(offsetof(urb_op, len) == 24, "len");
_Static_assert(offsetof(urb_op, op_flags) == 28, "op_flags");
_Static_assert(offsetof(urb_op, buf2) == 32, "buf2");
_Static_assert(offsetof(urb_op, mode) == 40, "mode");
_Static_assert(offsetof(urb_op, reserved1) == 44, "reserved1");
_Static_assert(offsetof(urb_op, reserved2) == 48, "reserved2");
_Static_assert(sizeof(urb_completion) == 16, "urb_completion is 16 bytes");

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_files(void) {
    char path[] = "/tmp/urb-c-test-XXXXXX";
    int tmp = mkstemp(path);
    CHECK(tmp >= 0);
    close(tmp);
    int fd = urb_openat(AT_FDCWD, path, O_RDWR | O_TRUNC, 0);
    CHECK(fd >= 0);
    CHECK_RES(urb_write(fd, "0123456789", 10, 0), 10);
    CHECK_RES(urb_fsync(fd, 0), 0);
    CHECK_RES(urb_fsync(fd, URB_FSYNC_DATASYNC), 0);
    char buf[16] = {0};
    CHECK_RES(urb_read(fd, buf, 4, 6), 4);
    CHECK(memcmp(buf, "6789", 4) == 0);
    lseek(fd, 2, SEEK_SET);
    CHECK_RES(urb_read(fd, buf, 3, URB_OFFSET_CURRENT), 3);
    CHECK_RES(urb_read(fd, buf, 3, URB_OFFSET_CURRENT), 3);
    CHECK(memcmp(buf, "567", 3) == 0);
    struct iovec iov[2] = {{buf, 2}, {buf + 8, 3}};
    CHECK_RES(urb_readv(fd, iov, 2, 0), 5);
    CHECK(memcmp(buf, "01", 2) == 0 && memcmp(buf + 8, "234", 3) == 0);
    struct iovec wiov[1] = {{(void *)"XY", 2}};
    CHECK_RES(urb_writev(fd, wiov, 1, 10), 2);
    struct statx st;
    CHECK_RES(urb_statx(AT_FDCWD, path, 0, STATX_SIZE, &st), 0);
    CHECK(st.stx_size == 12);
    CHECK_RES(urb_close(fd), 0);
    CHECK_RES(urb_close(fd), -EBADF);
    CHECK_RES(urb_openat(AT_FDCWD, "/nonexistent/file", O_RDONLY, 0), -ENOENT);
    unlink(path);
}

static void test_sockets(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    char buf[16];
    CHECK_RES(urb_send(sv[0], "ping", 4, 0), 4);
    CHECK_RES(urb_recv(sv[1], buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_RES(urb_shutdown(sv[0], SHUT_WR), 0);
    CHECK_RES(urb_recv(sv[1], buf, sizeof buf, 0), 0);
    close(sv[0]);
    CHECK_RES(urb_send(sv[1], "x", 1, 0), -EPIPE);
    close(sv[1]);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    CHECK(bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(lfd, 16) == 0);
    getsockname(lfd, (struct sockaddr *)&addr, &len);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_RES(urb_connect(client, &addr, sizeof addr), 0); /* the backlog accepts it */
    struct sockaddr_in peer;
    uint32_t plen = sizeof peer;
    int conn = urb_accept(lfd, &peer, &plen, SOCK_CLOEXEC);
    CHECK(conn >= 0);
    CHECK(plen == sizeof peer && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK_RES(urb_send(client, "hello", 5, 0), 5);
    CHECK_RES(urb_recv(conn, buf, sizeof buf, 0), 5);
    close(client);
    close(conn);
    close(lfd);
}

static void test_poll_sleep_timeouts(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    urb_op op;
    char buf[8];
    double t0 = now_ms();
    CHECK_RES(urb_sleep_ns(20 * 1000 * 1000), 0);
    CHECK(now_ms() - t0 >= 19.9);
    urb_prep_read(p[0], buf, sizeof buf, 0, &op);
    t0 = now_ms();
    CHECK_RES(urb_submit_blocking_timeout(&op, 30 * 1000 * 1000), -ETIME);
    CHECK(now_ms() - t0 >= 29.9);
    urb_prep_poll(p[0], POLLIN, &op);
    CHECK_RES(urb_submit_blocking_timeout(&op, 5 * 1000 * 1000), -ETIME);
    CHECK(write(p[1], "abc", 3) == 3);
    CHECK(urb_poll(p[0], POLLIN) & POLLIN);
    urb_prep_read(p[0], buf, sizeof buf, 0, &op);
    CHECK_RES(urb_submit_blocking_timeout(&op, 5000000000ull), 3);
    close(p[0]);
    close(p[1]);
}

static void test_chains(void) {
    char path[] = "/tmp/urb-c-chain-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    char back[8] = {0};
    urb_op ops[4];
    int32_t res[4];
    urb_prep_write(fd, "chained!", 8, 0, &ops[0]);
    urb_prep_fsync(fd, 0, &ops[1]);
    urb_prep_timeout(1000000, &ops[2]);
    urb_prep_read(fd, back, 8, 0, &ops[3]);
    CHECK_RES(urb_submit_chain_blocking(ops, 4, res), 0);
    CHECK(res[0] == 8 && res[1] == 0 && res[2] == 0 && res[3] == 8);
    CHECK(memcmp(back, "chained!", 8) == 0);

    urb_prep_nop(&ops[0]);
    urb_prep_read(60000, back, 8, 0, &ops[1]); /* a descriptor nobody has */
    urb_prep_nop(&ops[2]);
    CHECK_RES(urb_submit_chain_blocking(ops, 3, res), -EBADF);
    CHECK(res[0] == 0 && res[1] == -EBADF && res[2] == -ECANCELED);

    urb_prep_read(fd, back, 8, 4, &ops[0]); /* only 4 bytes left: short */
    urb_prep_nop(&ops[1]);
    CHECK_RES(urb_submit_chain_blocking(ops, 2, res), -ECANCELED);
    CHECK(res[0] == 4 && res[1] == -ECANCELED);

    CHECK_RES(urb_submit_chain_blocking(NULL, 1, res), -EINVAL);
    CHECK_RES(urb_submit_chain_blocking(ops, 0, res), -EINVAL);
    close(fd);
}

struct read_args { int fd; char *buf; };

static int32_t fill_read(void *ctx, struct io_uring_sqe *sqe) {
    struct read_args *a = ctx;
    sqe->opcode = IORING_OP_READ;
    sqe->fd = a->fd;
    sqe->addr = (uint64_t)(uintptr_t)a->buf;
    sqe->len = 4;
    return 0;
}

static int32_t refuse(void *ctx, struct io_uring_sqe *sqe) {
    (void)ctx;
    (void)sqe;
    return -EPERM;
}

static void test_raw_sqe(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "rawsqe", 6) == 6);
    char buf[8] = {0};
    struct read_args a = {p[0], buf};
    CHECK_RES(urb_submit_blocking_sqe(fill_read, &a), 4);
    CHECK(memcmp(buf, "raws", 4) == 0);
    CHECK_RES(urb_submit_blocking_sqe(refuse, NULL), -EPERM);
    CHECK_RES(urb_submit_blocking_sqe(NULL, NULL), -EINVAL);
    close(p[0]);
    close(p[1]);
}

static void test_info_and_bad_input(void) {
    CHECK_RES(urb_nop(), 0);
    CHECK(strcmp(urb_strerror(0), "success") == 0);
    CHECK(strcmp(urb_strerror(-EINVAL), "Invalid argument") == 0);
    CHECK(strcmp(urb_strerror(-1000000), "unknown error") == 0);
    CHECK(strlen(urb_version()) > 0);
    for (int code = 0; code < URB_OP_COUNT; code++) CHECK(urb_op_supported((uint8_t)code));
    CHECK(!urb_op_supported(URB_OP_COUNT));
    CHECK(!urb_op_supported(255));
    char buf[4];
    CHECK_RES(urb_submit_blocking(NULL), -EINVAL);
    CHECK_RES(urb_submit_blocking_timeout(NULL, 1), -EINVAL);
    CHECK_RES(urb_read(-1, buf, 4, 0), -EINVAL);
    CHECK_RES(urb_read(0, NULL, 4, 0), -EINVAL);
    CHECK_RES(urb_read(0, buf, 0x80000000u, 0), -EINVAL);
    CHECK_RES(urb_prep_nop(NULL), -EINVAL);
    urb_op op;
    urb_prep_nop(&op);
    op.opcode = URB_OP_COUNT;
    CHECK_RES(urb_submit_blocking(&op), -EINVAL);
    urb_prep_nop(&op);
    op.reserved2[0] = 1;
    CHECK_RES(urb_submit_blocking(&op), -EINVAL);
}

int main(void) {
    harness_start("test_blocking");
    test_files();
    test_sockets();
    test_poll_sleep_timeouts();
    test_chains();
    test_raw_sqe();
    test_info_and_bad_input();
    return harness_finish();
}
