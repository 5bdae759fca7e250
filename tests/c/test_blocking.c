/* Every operation of the blocking face, each test run twice: through the
 * convenience calls (urb_read, ...) and through urb_prep_* +
 * urb_submit_blocking. Then per-request timeouts, which only the second
 * face has. Run on both engines by `make test-c`. */
#include "harness.h"
#include "fixtures.h"

#include <errno.h>
#include <poll.h>
#include <sys/stat.h>

/* Which face the operation wrappers below go through. */
static enum { FACE_CALLS, FACE_OPS } face;

/* An op full of garbage: prep must set every field, reserved ones included. */
static urb_op garbage_op(void) {
    urb_op op;
    memset(&op, 0xA5, sizeof op);
    return op;
}

static int32_t submit_prepared(int32_t prep_res, const urb_op *op, uint8_t opcode) {
    CHECK_RES(prep_res, 0);
    CHECK(op->opcode == opcode);
    return urb_submit_blocking(op);
}

/* One wrapper per operation: the same arguments, either face. */
#define VIA_FACE(call, prep, opcode)                                          \
    urb_op op = garbage_op();                                                 \
    return face == FACE_CALLS ? (call) : submit_prepared((prep), &op, (opcode))

static int32_t do_nop(void) { VIA_FACE(urb_nop(), urb_prep_nop(&op), URB_OP_NOP); }
static int32_t do_read(int fd, void *buf, uint32_t len, uint64_t off) {
    VIA_FACE(urb_read(fd, buf, len, off), urb_prep_read(fd, buf, len, off, &op), URB_OP_READ);
}
static int32_t do_write(int fd, const void *buf, uint32_t len, uint64_t off) {
    VIA_FACE(urb_write(fd, buf, len, off), urb_prep_write(fd, buf, len, off, &op), URB_OP_WRITE);
}
static int32_t do_readv(int fd, const struct iovec *iov, uint32_t n, uint64_t off) {
    VIA_FACE(urb_readv(fd, iov, n, off), urb_prep_readv(fd, iov, n, off, &op), URB_OP_READV);
}
static int32_t do_writev(int fd, const struct iovec *iov, uint32_t n, uint64_t off) {
    VIA_FACE(urb_writev(fd, iov, n, off), urb_prep_writev(fd, iov, n, off, &op), URB_OP_WRITEV);
}
static int32_t do_fsync(int fd, uint32_t flags) {
    VIA_FACE(urb_fsync(fd, flags), urb_prep_fsync(fd, flags, &op), URB_OP_FSYNC);
}
static int32_t do_openat(int dirfd, const char *path, int flags, uint32_t mode) {
    VIA_FACE(urb_openat(dirfd, path, flags, mode), urb_prep_openat(dirfd, path, flags, mode, &op),
             URB_OP_OPENAT);
}
static int32_t do_close(int fd) { VIA_FACE(urb_close(fd), urb_prep_close(fd, &op), URB_OP_CLOSE); }
static int32_t do_statx(int dirfd, const char *path, int flags, uint32_t mask, struct statx *out) {
    VIA_FACE(urb_statx(dirfd, path, flags, mask, out),
             urb_prep_statx(dirfd, path, flags, mask, out, &op), URB_OP_STATX);
}
static int32_t do_recv(int fd, void *buf, uint32_t len, int flags) {
    VIA_FACE(urb_recv(fd, buf, len, flags), urb_prep_recv(fd, buf, len, flags, &op), URB_OP_RECV);
}
static int32_t do_send(int fd, const void *buf, uint32_t len, int flags) {
    VIA_FACE(urb_send(fd, buf, len, flags), urb_prep_send(fd, buf, len, flags, &op), URB_OP_SEND);
}
static int32_t do_accept(int fd, void *addr, uint32_t *addrlen, int flags) {
    VIA_FACE(urb_accept(fd, addr, addrlen, flags), urb_prep_accept(fd, addr, addrlen, flags, &op),
             URB_OP_ACCEPT);
}
static int32_t do_connect(int fd, const void *addr, uint32_t len) {
    VIA_FACE(urb_connect(fd, addr, len), urb_prep_connect(fd, addr, len, &op), URB_OP_CONNECT);
}
static int32_t do_shutdown(int fd, int how) {
    VIA_FACE(urb_shutdown(fd, how), urb_prep_shutdown(fd, how, &op), URB_OP_SHUTDOWN);
}
static int32_t do_poll(int fd, uint32_t events) {
    VIA_FACE(urb_poll(fd, events), urb_prep_poll(fd, events, &op), URB_OP_POLL);
}
static int32_t do_sleep(uint64_t ns) { VIA_FACE(urb_sleep_ns(ns), urb_prep_timeout(ns, &op), URB_OP_TIMEOUT); }

static void test_nop(void) {
    for (int i = 0; i < 100; i++) CHECK_RES(do_nop(), 0);
}

static void test_read_write_at_offsets(void) {
    char path[32], buf[64];
    int fd = fixture_file(path, "", 0);
    CHECK_RES(do_write(fd, "0123456789", 10, 0), 10);
    CHECK_RES(do_write(fd, "ab", 2, 20), 2); /* leaves a hole of zeros at 10..19 */
    CHECK_RES(do_read(fd, buf, 4, 6), 4);
    CHECK(memcmp(buf, "6789", 4) == 0);
    memset(buf, 'x', sizeof buf);
    CHECK_RES(do_read(fd, buf, sizeof buf, 0), 22);
    CHECK(memcmp(buf, "0123456789\0\0\0\0\0\0\0\0\0\0ab", 22) == 0);
    CHECK_RES(do_read(fd, buf, sizeof buf, 100), 0); /* past the end */
    CHECK_RES(do_read(fd, buf, 0, 0), 0);
    CHECK(pread(fd, buf, 2, 20) == 2 && memcmp(buf, "ab", 2) == 0);
    CHECK(lseek(fd, 0, SEEK_CUR) == 0); /* explicit offsets leave the position alone */
    close(fd);
    unlink(path);
}

static void test_current_position(void) {
    char path[32], buf[16] = {0};
    int fd = fixture_file(path, "0123456789", 10);
    CHECK(lseek(fd, 2, SEEK_SET) == 2);
    CHECK_RES(do_read(fd, buf, 3, URB_OFFSET_CURRENT), 3);
    CHECK(memcmp(buf, "234", 3) == 0);
    CHECK_RES(do_read(fd, buf, 3, URB_OFFSET_CURRENT), 3);
    CHECK(memcmp(buf, "567", 3) == 0);
    CHECK(lseek(fd, 0, SEEK_CUR) == 8);
    CHECK_RES(do_write(fd, "XYZ", 3, URB_OFFSET_CURRENT), 3);
    CHECK(lseek(fd, 0, SEEK_CUR) == 11);
    CHECK_RES(do_read(fd, buf, sizeof buf, URB_OFFSET_CURRENT), 0); /* at the end now */
    CHECK(pread(fd, buf, 11, 0) == 11 && memcmp(buf, "01234567XYZ", 11) == 0);
    close(fd);
    unlink(path);
}

static void test_readv_writev(void) {
    char path[32];
    int fd = fixture_file(path, "....", 4);
    struct iovec out[3] = {{(void *)"head-", 5}, {(void *)"body-", 5}, {(void *)"tail", 4}};
    CHECK_RES(do_writev(fd, out, 3, 4), 14);
    char whole[32] = {0};
    CHECK(pread(fd, whole, sizeof whole, 0) == 18 && memcmp(whole, "....head-body-tail", 18) == 0);

    char a[6] = {0}, b[10] = {0};
    struct iovec in[2] = {{a, 5}, {b, 9}};
    CHECK_RES(do_readv(fd, in, 2, 4), 14);
    CHECK(strcmp(a, "head-") == 0 && strcmp(b, "body-tail") == 0);

    CHECK(lseek(fd, 9, SEEK_SET) == 9);
    memset(a, 0, sizeof a);
    struct iovec one[1] = {{a, 5}};
    CHECK_RES(do_readv(fd, one, 1, URB_OFFSET_CURRENT), 5);
    CHECK(strcmp(a, "body-") == 0 && lseek(fd, 0, SEEK_CUR) == 14);
    CHECK_RES(do_writev(fd, out, 0, 0), 0);
    close(fd);
    unlink(path);
}

static void test_fsync(void) {
    char path[32];
    int fd = fixture_file(path, "durable", 7);
    CHECK_RES(do_fsync(fd, 0), 0);
    CHECK_RES(do_fsync(fd, URB_FSYNC_DATASYNC), 0);
    close(fd);
    CHECK_RES(do_fsync(fd, 0), -EBADF);
    unlink(path);
}

static void test_openat(void) {
    char dir[32], path[64], buf[8] = {0};
    fixture_dir(dir);
    snprintf(path, sizeof path, "%s/new", dir);
    mode_t old_mask = umask(022);
    int fd = do_openat(AT_FDCWD, path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
    umask(old_mask);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640 && S_ISREG(st.st_mode));
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC);
    CHECK(write(fd, "made", 4) == 4);
    close(fd);
    CHECK_RES(do_openat(AT_FDCWD, path, O_CREAT | O_EXCL | O_RDWR, 0640), -EEXIST);

    int dirfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    fd = do_openat(dirfd, "new", O_RDONLY | O_CLOEXEC, 0);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof buf) == 4 && memcmp(buf, "made", 4) == 0);
    close(fd);
    CHECK_RES(do_openat(dirfd, "missing", O_RDONLY, 0), -ENOENT);
    CHECK_RES(do_openat(AT_FDCWD, "/nonexistent/file", O_RDONLY, 0), -ENOENT);
    close(dirfd);
    unlink(path);
    rmdir(dir);
}

static void test_close(void) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_RES(do_close(fd), 0);
    CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
    CHECK_RES(do_close(fd), -EBADF);
}

static void test_statx(void) {
    char path[32], data[12345];
    memset(data, 's', sizeof data);
    int fd = fixture_file(path, data, sizeof data);
    struct statx st;
    memset(&st, 0, sizeof st);
    CHECK_RES(do_statx(AT_FDCWD, path, 0, STATX_SIZE, &st), 0);
    CHECK((st.stx_mask & STATX_SIZE) && st.stx_size == sizeof data);
    memset(&st, 0, sizeof st);
    CHECK_RES(do_statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st), 0);
    CHECK(st.stx_size == sizeof data && S_ISREG(st.stx_mode));
    CHECK_RES(do_statx(AT_FDCWD, "/nonexistent/file", 0, STATX_SIZE, &st), -ENOENT);
    close(fd);
    unlink(path);
}

static void test_send_recv(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    char buf[16] = {0};
    CHECK_RES(do_send(sv[0], "ping", 4, 0), 4);
    CHECK_RES(do_recv(sv[1], buf, sizeof buf, MSG_PEEK), 4); /* peeking leaves it there */
    CHECK_RES(do_recv(sv[1], buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_RES(do_recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), -EAGAIN);
    CHECK_RES(do_send(sv[1], "pong", 4, 0), 4);
    CHECK_RES(do_recv(sv[0], buf, 2, 0), 2);
    CHECK_RES(do_recv(sv[0], buf + 2, 2, 0), 2);
    CHECK(memcmp(buf, "pong", 4) == 0);
    close(sv[0]);
    CHECK_RES(do_send(sv[1], "x", 1, 0), -EPIPE); /* and no SIGPIPE, or we would be dead */
    close(sv[1]);
}

static int tcp_socket(void) { return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }

static void test_accept_connect(void) {
    struct sockaddr_in addr;
    int lfd = fixture_listener(&addr);
    int client = tcp_socket();
    CHECK_RES(do_connect(client, &addr, sizeof addr), 0); /* the backlog takes it */
    struct sockaddr_in peer, local;
    uint32_t peer_len = sizeof peer;
    socklen_t local_len = sizeof local;
    memset(&peer, 0, sizeof peer);
    int conn = do_accept(lfd, &peer, &peer_len, SOCK_CLOEXEC);
    CHECK(conn >= 0);
    CHECK(getsockname(client, (struct sockaddr *)&local, &local_len) == 0);
    CHECK(peer_len == sizeof peer && peer.sin_family == AF_INET &&
          peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && peer.sin_port == local.sin_port);
    CHECK(fcntl(conn, F_GETFD) == FD_CLOEXEC);
    char buf[8] = {0};
    CHECK_RES(do_send(client, "hello", 5, 0), 5);
    CHECK_RES(do_recv(conn, buf, 5, MSG_WAITALL), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    close(conn);
    close(client);

    client = tcp_socket();
    CHECK_RES(do_connect(client, &addr, sizeof addr), 0);
    conn = do_accept(lfd, NULL, NULL, 0); /* no address wanted */
    CHECK(conn >= 0);
    CHECK(fcntl(conn, F_GETFD) == 0);
    close(conn);
    close(client);

    close(lfd); /* nobody listens on that port any more */
    client = tcp_socket();
    CHECK_RES(do_connect(client, &addr, sizeof addr), -ECONNREFUSED);
    close(client);
}

static void test_shutdown(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    char buf[8];
    CHECK_RES(do_shutdown(sv[0], SHUT_WR), 0);
    CHECK_RES(do_recv(sv[1], buf, sizeof buf, 0), 0); /* the peer sees the end */
    CHECK_RES(do_send(sv[1], "back", 4, 0), 4);      /* the other direction still works */
    CHECK_RES(do_recv(sv[0], buf, sizeof buf, 0), 4);
    close(sv[0]);
    close(sv[1]);
    char path[32];
    int fd = fixture_file(path, "", 0);
    CHECK_RES(do_shutdown(fd, SHUT_RDWR), -ENOTSOCK);
    close(fd);
    unlink(path);
}

static void test_poll(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    int32_t events = do_poll(p[0], POLLIN);
    CHECK(events > 0 && (events & POLLIN));
    events = do_poll(p[1], POLLOUT);
    CHECK(events > 0 && (events & POLLOUT) && !(events & POLLIN));
    close(p[1]);
    events = do_poll(p[0], POLLIN); /* the writer is gone: hang-up comes along */
    CHECK(events > 0 && (events & POLLHUP));
    close(p[0]);
}

static void test_sleep(void) {
    uint64_t t0 = fixture_now_ns();
    CHECK_RES(do_sleep(20 * 1000 * 1000), 0);
    CHECK(fixture_now_ns() - t0 >= 20 * 1000 * 1000);
    CHECK_RES(do_sleep(0), 0);
}

/* Timeouts only exist on the op face (urb_submit_blocking_timeout). */
static void test_timeout_fires_when_nothing_comes(void) {
    int p[2], sv[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    char buf[8] = {0};
    urb_op op;
    const uint64_t limit = 30 * 1000 * 1000;

    urb_prep_read(p[0], buf, sizeof buf, 0, &op);
    uint64_t t0 = fixture_now_ns();
    CHECK_RES(urb_submit_blocking_timeout(&op, limit), -ETIME);
    CHECK(fixture_now_ns() - t0 >= limit);

    urb_prep_recv(sv[0], buf, sizeof buf, 0, &op);
    t0 = fixture_now_ns();
    CHECK_RES(urb_submit_blocking_timeout(&op, limit), -ETIME);
    CHECK(fixture_now_ns() - t0 >= limit);

    urb_prep_poll(p[0], POLLIN, &op);
    CHECK_RES(urb_submit_blocking_timeout(&op, limit), -ETIME);

    /* The timed-out requests were cancelled, not left to eat later data. */
    CHECK(write(p[1], "late", 4) == 4);
    CHECK_RES(urb_read(p[0], buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "late", 4) == 0);
    CHECK(send(sv[1], "later", 5, 0) == 5);
    CHECK_RES(urb_recv(sv[0], buf, sizeof buf, 0), 5);
    CHECK(memcmp(buf, "later", 5) == 0);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

static void test_timeout_not_reached_when_data_is_there(void) {
    int p[2], sv[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    char buf[8] = {0};
    urb_op op;
    const uint64_t limit = 5ull * 1000 * 1000 * 1000;
    CHECK(write(p[1], "ready", 5) == 5);
    urb_prep_read(p[0], buf, sizeof buf, 0, &op);
    CHECK_RES(urb_submit_blocking_timeout(&op, limit), 5);
    CHECK(memcmp(buf, "ready", 5) == 0);
    CHECK(send(sv[1], "here", 4, 0) == 4);
    urb_prep_recv(sv[0], buf, sizeof buf, 0, &op);
    CHECK_RES(urb_submit_blocking_timeout(&op, limit), 4);
    CHECK(memcmp(buf, "here", 4) == 0);
    urb_prep_nop(&op);
    CHECK_RES(urb_submit_blocking_timeout(&op, limit), 0);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

#define RUN_ON_BOTH_FACES(test)                                               \
    do {                                                                      \
        face = FACE_CALLS;                                                    \
        harness_run(#test " [convenience call]", test);                       \
        face = FACE_OPS;                                                      \
        harness_run(#test " [urb_prep_* + urb_submit_blocking]", test);       \
    } while (0)

/* urb_submit_nowait: a ready request finishes on the spot, one that would
 * wait is not done at all (the runtime then hands it to an async ring). */
static void test_nowait(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    urb_op op;
    int32_t res = 12345;
    char buf[16] = {0};
    CHECK_RES(urb_prep_nop(&op), 0);
    CHECK_RES(urb_submit_nowait(&op, &res), 1);
    CHECK_RES(res, 0);

    CHECK_RES(urb_prep_recv(sv[1], buf, sizeof buf, 0, &op), 0);
    res = 12345;
    CHECK_RES(urb_submit_nowait(&op, &res), 0);
    CHECK_RES(res, 12345);
    CHECK_RES(urb_send(sv[0], "ping", 4, 0), 4);
    CHECK_RES(urb_submit_nowait(&op, &res), 1);
    CHECK_RES(res, 4);
    CHECK(memcmp(buf, "ping", 4) == 0);

    CHECK_RES(urb_prep_send(sv[1], "pong", 4, 0, &op), 0);
    CHECK_RES(urb_submit_nowait(&op, &res), 1);
    CHECK_RES(res, 4);
    CHECK_RES(urb_recv(sv[0], buf, sizeof buf, 0), 4);

    CHECK_RES(urb_prep_recv(sv[1], buf, sizeof buf, MSG_DONTWAIT, &op), 0);
    CHECK_RES(urb_submit_nowait(&op, &res), 1);
    CHECK_RES(res, -EAGAIN);
    CHECK_RES(urb_prep_read(sv[1], buf, sizeof buf, 0, &op), 0);
    CHECK_RES(urb_submit_nowait(&op, &res), 0); /* reads are never tried */

    CHECK_RES(urb_submit_nowait(NULL, &res), -EINVAL);
    CHECK_RES(urb_submit_nowait(&op, NULL), -EINVAL);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    harness_start("test_blocking");
    RUN_ON_BOTH_FACES(test_nop);
    RUN_ON_BOTH_FACES(test_read_write_at_offsets);
    RUN_ON_BOTH_FACES(test_current_position);
    RUN_ON_BOTH_FACES(test_readv_writev);
    RUN_ON_BOTH_FACES(test_fsync);
    RUN_ON_BOTH_FACES(test_openat);
    RUN_ON_BOTH_FACES(test_close);
    RUN_ON_BOTH_FACES(test_statx);
    RUN_ON_BOTH_FACES(test_send_recv);
    RUN_ON_BOTH_FACES(test_accept_connect);
    RUN_ON_BOTH_FACES(test_shutdown);
    RUN_ON_BOTH_FACES(test_poll);
    RUN_ON_BOTH_FACES(test_sleep);
    RUN(test_nowait);
    RUN(test_timeout_fires_when_nothing_comes);
    RUN(test_timeout_not_reached_when_data_is_there);
    return harness_finish();
}
