/* echo_server: echoes every byte back, on an async ring with multishot
 * accept and multishot receive into provided buffers. A received buffer is
 * sent straight back and released when the send completes: no copies. The
 * ring is URB_RING_SINGLE_THREAD (one thread runs the loop).
 *
 *   echo_server [--port N] [--max-conns N]
 * Binds 127.0.0.1 only; prints "listening on PORT"; with --max-conns it exits
 * once that many connections have come and gone. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uringbridge.h>

#include "loopback.h"

enum step { ACCEPT = 1, RECV = 2, SEND = 3, CLOSE = 4 };
enum { BUFFERS = 1024, BUF_SIZE = 4096 };

static urb_ring *ring;
static long closed, max_conns = -1;

/* token: fd << 32 | buffer id << 8 | step */
static uint64_t token(int fd, uint32_t bid, enum step s) { return (uint64_t)(uint32_t)fd << 32 | bid << 8 | s; }

static void check(int32_t r, const char *what) {
    if (r < 0) {
        fprintf(stderr, "echo_server: %s: %s\n", what, urb_strerror(r));
        exit(1);
    }
}

static void close_conn(int fd) {
    urb_op op;
    urb_prep_close(fd, &op);
    check(urb_ring_submit(ring, &op, token(fd, 0, CLOSE)), "close");
}

static void handle(const urb_completion *c, int lfd) {
    int fd = (int)(c->token >> 32);
    uint32_t bid = (uint32_t)(c->token >> 8) & 0xffffff;
    switch ((enum step)(c->token & 0xff)) {
    case ACCEPT:
        if (c->res >= 0) check(urb_ring_recv_multishot(ring, c->res, 0, token(c->res, 0, RECV)), "recv");
        if (!(c->flags & URB_CQE_F_MORE)) check(urb_ring_accept_multishot(ring, lfd, SOCK_CLOEXEC, token(lfd, 0, ACCEPT)), "accept");
        break;
    case RECV:
        if (c->res > 0) {
            uint32_t b = c->flags >> URB_CQE_BUFFER_SHIFT;
            void *data;
            check(urb_ring_buffer(ring, b, &data), "buffer");
            urb_op op;
            urb_prep_send(fd, data, (uint32_t)c->res, MSG_WAITALL, &op);
            check(urb_ring_submit(ring, &op, token(fd, b, SEND)), "send");
        } else if (c->res == -ENOBUFS) {
            /* Every buffer is lent out: receive again once sends return some. */
            check(urb_ring_recv_multishot(ring, fd, 0, token(fd, 0, RECV)), "recv");
            break;
        }
        if (!(c->flags & URB_CQE_F_MORE) && c->res <= 0) close_conn(fd);
        else if (!(c->flags & URB_CQE_F_MORE)) check(urb_ring_recv_multishot(ring, fd, 0, token(fd, 0, RECV)), "recv");
        break;
    case SEND:
        check(urb_ring_buffer_release(ring, bid), "release");
        break;
    case CLOSE:
        closed++;
        break;
    }
}

int main(int argc, char **argv) {
    int port = 7007;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-conns") && i + 1 < argc) max_conns = atol(argv[++i]);
        else { fprintf(stderr, "usage: echo_server [--port N] [--max-conns N]\n"); return 2; }
    }
    signal(SIGPIPE, SIG_IGN);
    int bound_port;
    int lfd = listen_loopback(port, 1024, &bound_port);
    if (lfd < 0) return 1;
    /* One thread runs the loop: it submits and waits in the kernel itself. */
    urb_ring_config cfg = {.flags = URB_RING_SINGLE_THREAD, .buf_count = BUFFERS, .buf_size = BUF_SIZE};
    check(urb_ring_new(&cfg, &ring), "ring");
    check(urb_ring_accept_multishot(ring, lfd, SOCK_CLOEXEC, token(lfd, 0, ACCEPT)), "accept");
    printf("listening on %d (engine %s)\n", bound_port, urb_engine_name());
    fflush(stdout);
    urb_completion batch[256];
    while (max_conns < 0 || closed < max_conns) {
        int n = urb_ring_wait(ring, batch, 256, 1, URB_WAIT_FOREVER);
        check(n, "wait");
        for (int i = 0; i < n; i++) handle(&batch[i], lfd);
    }
    urb_stats st;
    urb_ring_stats(ring, &st);
    printf("echo_server: %ld connections; %llu requests in %llu io_uring_enter calls\n", closed,
           (unsigned long long)st.submitted, (unsigned long long)st.enters);
    urb_ring_free(ring);
    close(lfd);
    return 0;
}
