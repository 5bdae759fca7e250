/* Non-blocking descriptors and "don't wait" flags on the blocking face,
 * where the engines could easily differ. Runtimes hand the library
 * O_NONBLOCK descriptors (Go's netpoller and GHC set it on every socket), so:
 *  - a blocking-face call on an O_NONBLOCK descriptor with nothing to do
 *    answers -EAGAIN at once, as the system call does (io_uring alone would
 *    poll the descriptor and wait); an async ring's request waits instead;
 *  - a request that asks not to wait (MSG_DONTWAIT, RWF_NOWAIT) gets -EAGAIN
 *    at once, with or without a timeout around it.
 * Every wait here ends by itself (a helper thread supplies the data). */
#include "harness.h"
#include "fixtures.h"

#include <errno.h>
#include <pthread.h>
#include <sys/uio.h>

struct later { int fd; int connect_to_port; };

/* After 20 ms: writes "late" to fd, or connects to the loopback port. */
static void *act_later(void *arg) {
    struct later *l = arg;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (l->connect_to_port) {
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = (in_port_t)l->connect_to_port,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(l->fd, (struct sockaddr *)&addr, sizeof addr) != 0) perror("connect later");
    } else if (write(l->fd, "late", 4) != 4) {
        perror("write later");
    }
    return NULL;
}

/* An O_NONBLOCK descriptor with nothing to do answers -EAGAIN at once, as
 * read(2)/recv(2)/accept4(2) do, through the untimed and the timed face
 * (io_uring alone would wait for readiness); a later arrival is then read. */
static void test_read_on_nonblocking_pipe_is_eagain(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    char buf[8] = {0};
    CHECK_RES(urb_read(p[0], buf, sizeof buf, URB_OFFSET_CURRENT), -EAGAIN);
    urb_op op;
    urb_prep_read(p[0], buf, sizeof buf, URB_OFFSET_CURRENT, &op);
    CHECK_RES(urb_submit_blocking_timeout(&op, 5ull * 1000 * 1000 * 1000), -EAGAIN);
    CHECK(write(p[1], "late", 4) == 4);
    CHECK_RES(urb_read(p[0], buf, sizeof buf, URB_OFFSET_CURRENT), 4);
    CHECK(memcmp(buf, "late", 4) == 0);
    close(p[0]);
    close(p[1]);
}

static void test_recv_on_nonblocking_socket_is_eagain(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
    char buf[8] = {0};
    CHECK_RES(urb_recv(sv[0], buf, sizeof buf, 0), -EAGAIN);
    urb_op op;
    urb_prep_recv(sv[0], buf, sizeof buf, 0, &op);
    CHECK_RES(urb_submit_blocking_timeout(&op, 5ull * 1000 * 1000 * 1000), -EAGAIN);
    CHECK(write(sv[1], "late", 4) == 4);
    CHECK_RES(urb_recv(sv[0], buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "late", 4) == 0);
    close(sv[0]);
    close(sv[1]);
}

static void test_accept_on_nonblocking_listener_is_eagain(void) {
    struct sockaddr_in addr;
    int lfd = fixture_listener(&addr);
    CHECK(fcntl(lfd, F_SETFL, O_NONBLOCK) == 0);
    CHECK_RES(urb_accept(lfd, NULL, NULL, SOCK_CLOEXEC), -EAGAIN);
    close(lfd);
}

/* A blocking descriptor still waits, until the data comes. */
static void test_recv_on_blocking_socket_waits(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    struct later l = {sv[1], 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, act_later, &l) == 0);
    char buf[8] = {0};
    CHECK_RES(urb_recv(sv[0], buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "late", 4) == 0);
    pthread_join(t, NULL);
    close(sv[0]);
    close(sv[1]);
}

static void test_accept_on_blocking_listener_waits(void) {
    struct sockaddr_in addr;
    int lfd = fixture_listener(&addr);
    struct later l = {-1, addr.sin_port};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, act_later, &l) == 0);
    int conn = urb_accept(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) printf("  accept: %d (%s)\n", conn, urb_strerror(conn));
    CHECK(conn >= 0);
    pthread_join(t, NULL);
    if (conn >= 0) close(conn);
    close(l.fd);
    close(lfd);
}

/* The caller said "don't wait": a timeout around the request must not turn
 * that into a wait. */
static void test_dont_wait_flags_are_kept_under_a_timeout(void) {
    int p[2], sv[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    char buf[8];
    urb_op op;
    const uint64_t limit = 200 * 1000 * 1000;

    urb_prep_recv(sv[0], buf, sizeof buf, MSG_DONTWAIT, &op);
    CHECK_RES(urb_submit_blocking(&op), -EAGAIN);
    CHECK_RES(urb_submit_blocking_timeout(&op, limit), -EAGAIN);

    urb_prep_read(p[0], buf, sizeof buf, URB_OFFSET_CURRENT, &op);
    op.op_flags = RWF_NOWAIT;
    CHECK_RES(urb_submit_blocking(&op), -EAGAIN);
    CHECK_RES(urb_submit_blocking_timeout(&op, limit), -EAGAIN);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    harness_start("test_nonblocking");
    RUN(test_read_on_nonblocking_pipe_is_eagain);
    RUN(test_recv_on_nonblocking_socket_is_eagain);
    RUN(test_accept_on_nonblocking_listener_is_eagain);
    RUN(test_recv_on_blocking_socket_waits);
    RUN(test_accept_on_blocking_listener_waits);
    RUN(test_dont_wait_flags_are_kept_under_a_timeout);
    return harness_finish();
}
