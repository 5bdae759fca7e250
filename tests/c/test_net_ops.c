/* The network calls from C, as a program would use them: a UDP
 * request/response made only of urb_socket, urb_bind, urb_sendto and
 * urb_recvfrom (and urb_sendmsg/urb_recvmsg for a reply with its sender's
 * address); a descriptor passed with SCM_RIGHTS through urb_sendmsg and
 * urb_recvmsg and read through; a TCP listener made with urb_socket,
 * urb_bind and urb_listen; the same requests prepared and submitted to an
 * async ring; and the system calls' errors. Every wait ends by itself (a
 * helper thread answers). */
#include "harness.h"
#include "fixtures.h"

#include <errno.h>
#include <pthread.h>
#include <sys/uio.h>

static struct sockaddr_in loopback(in_port_t port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = port,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return a;
}

/* A UDP socket bound to 127.0.0.1 on an ephemeral port, by the library. */
static int udp_bound(struct sockaddr_in *addr) {
    int fd = urb_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    *addr = loopback(0);
    CHECK_RES(urb_bind(fd, addr, sizeof *addr), 0);
    socklen_t len = sizeof *addr;
    CHECK(getsockname(fd, (struct sockaddr *)addr, &len) == 0);
    return fd;
}

struct server { int fd; int requests; };

/* Answers each request with its bytes reversed, to whoever sent it. */
static void *udp_server(void *arg) {
    struct server *s = arg;
    for (int i = 0; i < s->requests; i++) {
        char buf[512];
        struct sockaddr_in from;
        uint32_t from_len = sizeof from;
        int32_t n = urb_recvfrom(s->fd, buf, sizeof buf, 0, &from, &from_len);
        if (n < 0 || from_len != sizeof from) {
            fprintf(stderr, "server recvfrom: %s, len %u\n", urb_strerror(n), from_len);
            return NULL;
        }
        for (int a = 0, b = n - 1; a < b; a++, b--) {
            char t = buf[a];
            buf[a] = buf[b];
            buf[b] = t;
        }
        if (urb_sendto(s->fd, buf, (uint32_t)n, 0, &from, from_len) != n) fprintf(stderr, "server sendto\n");
    }
    return NULL;
}

static void test_udp_request_response(void) {
    struct sockaddr_in server_addr, client_addr;
    struct server s = {.fd = udp_bound(&server_addr), .requests = 20};
    int client = udp_bound(&client_addr);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, udp_server, &s) == 0);
    for (int i = 0; i < s.requests; i++) {
        char query[32], answer[64] = {0};
        int len = snprintf(query, sizeof query, "query %02d", i);
        CHECK_RES(urb_sendto(client, query, (uint32_t)len, 0, &server_addr, sizeof server_addr), len);
        struct sockaddr_in from;
        uint32_t from_len = sizeof from;
        CHECK_RES(urb_recvfrom(client, answer, sizeof answer, 0, &from, &from_len), len);
        CHECK(from_len == sizeof from && from.sin_port == server_addr.sin_port);
        char want[32];
        for (int k = 0; k < len; k++) want[k] = query[len - 1 - k];
        CHECK(memcmp(answer, want, (size_t)len) == 0);
    }
    pthread_join(t, NULL);

    /* recvmsg reports the sender's address, and MSG_TRUNC a datagram cut short. */
    CHECK_RES(urb_sendto(client, "0123456789", 10, 0, &server_addr, sizeof server_addr), 10);
    char small[4];
    struct sockaddr_in from;
    struct iovec iov = {small, sizeof small};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    CHECK_RES(urb_recvmsg(s.fd, &msg, 0), 4);
    CHECK(msg.msg_flags & MSG_TRUNC);
    CHECK(msg.msg_namelen == sizeof from && from.sin_port == client_addr.sin_port);
    CHECK(memcmp(small, "0123", 4) == 0);

    /* Nothing waiting: MSG_DONTWAIT is -EAGAIN at once. */
    CHECK_RES(urb_recvfrom(client, small, sizeof small, MSG_DONTWAIT, NULL, NULL), -EAGAIN);
    urb_close(client);
    urb_close(s.fd);
}

/* A pipe's read end crosses a socketpair with SCM_RIGHTS; the received
 * descriptor reads what is written into the pipe afterwards. */
static void pass_descriptor(int (*send_fn)(int, const struct msghdr *),
                            int (*recv_fn)(int, struct msghdr *, int)) {
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } out_control, in_control;
    memset(&out_control, 0, sizeof out_control);
    char byte = 'F';
    struct iovec iov = {&byte, 1};
    struct msghdr out = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = out_control.buf,
                         .msg_controllen = sizeof out_control.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&out);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    CHECK_RES(send_fn(sv[0], &out), 1);
    close(p[0]);

    char got_byte = 0;
    struct iovec in_iov = {&got_byte, 1};
    struct msghdr in = {.msg_iov = &in_iov, .msg_iovlen = 1, .msg_control = in_control.buf,
                        .msg_controllen = sizeof in_control.buf};
    CHECK_RES(recv_fn(sv[1], &in, MSG_CMSG_CLOEXEC), 1);
    CHECK(got_byte == 'F');
    CHECK(in.msg_controllen == CMSG_SPACE(sizeof(int)));
    CHECK((in.msg_flags & MSG_CTRUNC) == 0);
    struct cmsghdr *r = CMSG_FIRSTHDR(&in);
    CHECK(r != NULL && r->cmsg_level == SOL_SOCKET && r->cmsg_type == SCM_RIGHTS);
    int received = -1;
    if (r) memcpy(&received, CMSG_DATA(r), sizeof(int));
    CHECK(received >= 0);
    CHECK(fcntl(received, F_GETFD) & FD_CLOEXEC);
    CHECK(write(p[1], "through", 7) == 7);
    char buf[16] = {0};
    CHECK_RES(urb_read(received, buf, sizeof buf, URB_OFFSET_CURRENT), 7);
    CHECK(memcmp(buf, "through", 7) == 0);
    close(received);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

static int send_blocking(int fd, const struct msghdr *m) { return urb_sendmsg(fd, m, 0); }
static int recv_blocking(int fd, struct msghdr *m, int flags) { return urb_recvmsg(fd, m, flags); }

static struct urb_ring *ring;

static int32_t on_ring(const urb_op *op) {
    static uint64_t token;
    token++;
    int32_t rc = urb_ring_submit(ring, op, token);
    if (rc < 0) return rc;
    urb_completion c;
    CHECK(urb_ring_wait(ring, &c, 1, 1, 10ull * 1000 * 1000 * 1000) == 1);
    CHECK(c.token == token);
    return c.res;
}

static int send_ring(int fd, const struct msghdr *m) {
    urb_op op;
    urb_prep_sendmsg(fd, m, 0, &op);
    return on_ring(&op);
}

static int recv_ring(int fd, struct msghdr *m, int flags) {
    urb_op op;
    urb_prep_recvmsg(fd, m, flags, &op);
    return on_ring(&op);
}

static void test_scm_rights_blocking(void) { pass_descriptor(send_blocking, recv_blocking); }
static void test_scm_rights_async_ring(void) { pass_descriptor(send_ring, recv_ring); }

/* A TCP listener made by the library accepts a connection, and a datagram
 * socket cannot listen (listen(2)'s -EOPNOTSUPP). */
static void test_socket_bind_listen(void) {
    int fd = urb_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    struct sockaddr_in addr = loopback(0);
    CHECK_RES(urb_bind(fd, &addr, sizeof addr), 0);
    CHECK_RES(urb_bind(fd, &addr, sizeof addr), -EINVAL); /* bound already */
    CHECK_RES(urb_listen(fd, 8), 0);
    socklen_t len = sizeof addr;
    CHECK(getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(connect(c, (struct sockaddr *)&addr, sizeof addr) == 0);
    int a = urb_accept(fd, NULL, NULL, SOCK_CLOEXEC);
    CHECK(a >= 0);
    CHECK_RES(urb_accept(fd, NULL, NULL, SOCK_CLOEXEC), -EAGAIN); /* O_NONBLOCK, backlog empty */
    int taken = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK_RES(urb_bind(taken, &addr, sizeof addr), -EADDRINUSE);
    int u = urb_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK_RES(urb_listen(u, 8), -EOPNOTSUPP);
    CHECK_RES(urb_socket(12345, SOCK_STREAM, 0), -EAFNOSUPPORT);
    CHECK_RES(urb_bind(u, NULL, sizeof addr), -EFAULT);
    CHECK_RES(urb_listen(-1, 8), -EBADF);

    /* The same three as prepared requests on the async ring. */
    urb_op op;
    urb_prep_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, &op);
    int r = on_ring(&op);
    CHECK(r >= 0);
    struct sockaddr_in any = loopback(0);
    urb_prep_bind(r, &any, sizeof any, &op);
    CHECK_RES(on_ring(&op), 0);
    urb_prep_listen(r, 4, &op);
    CHECK_RES(on_ring(&op), 0);
    int accepting = 0;
    len = sizeof accepting;
    CHECK(getsockopt(r, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting == 1);
    for (int i = 0, fds[] = {fd, c, a, taken, u, r}; i < 6; i++) close(fds[i]);
}

/* Errors the system calls give, before anything moves. */
static void test_message_errors(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK_RES(urb_sendmsg(sv[0], NULL, 0), -EFAULT);
    CHECK_RES(urb_recvmsg(sv[0], NULL, 0), -EFAULT);
    static struct iovec many[1025];
    struct msghdr m = {.msg_iov = many, .msg_iovlen = 1025};
    CHECK_RES(urb_sendmsg(sv[0], &m, 0), -EMSGSIZE);
    m.msg_iovlen = 1;
    CHECK_RES(urb_sendmsg(sv[0], &m, MSG_CMSG_CLOEXEC), -EINVAL); /* not a sendmsg flag */
    CHECK_RES(urb_recvmsg(sv[0], &m, MSG_DONTWAIT), -EAGAIN);
    char x = 'x';
    CHECK_RES(urb_recvfrom(sv[0], &x, 1, 0, &x, NULL), -EFAULT); /* address without its length */
    close(sv[1]);
    CHECK_RES(urb_sendto(sv[0], &x, 1, 0, NULL, 0), -EPIPE); /* and no SIGPIPE */
    close(sv[0]);
}

int main(void) {
    harness_start("test_net_ops");
    CHECK_RES(urb_ring_new(NULL, &ring), 0);
    RUN(test_udp_request_response);
    RUN(test_scm_rights_blocking);
    RUN(test_scm_rights_async_ring);
    RUN(test_socket_bind_listen);
    RUN(test_message_errors);
    urb_ring_free(ring);
    return harness_finish();
}
