/* liburing_http_server: the raw-liburing anchor for uringbridge's HTTP
 * comparisons. The same program as examples-c/http_server.c (multishot
 * accept, then recv -> send -> (recv | close) per connection, the same
 * request parsing, the same three replies byte for byte), written straight
 * on one plain liburing ring, single-threaded: the loop submits what the
 * last batch of completions queued and waits for the next completion in
 * one io_uring_submit_and_wait call. No library thread, no hand-over.
 *
 *   liburing_http_server [--port N] [--max-requests N] [--defer-taskrun]
 * Binds 127.0.0.1 only; --port 0 (the default is 8080) picks a free port.
 * Prints "listening on PORT" once ready. --defer-taskrun sets the ring up
 * with SINGLE_ISSUER | DEFER_TASKRUN (the flags the library asks for); the
 * default is a ring with no setup flags. */
#include <liburing.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char REPLY[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
static const char REPLY_CLOSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, world!";
static const char REPLY_KEEP_ALIVE_10[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world!";

enum { BUF = 8192, MAX_CONNS = 65536, ENTRIES = 4096 };
enum step { RECV = 1, SEND = 2, CLOSE = 3, ACCEPT = 4 };

struct conn {
    int fd;
    uint32_t len;
    bool keep_alive;
    bool http10;
    char buf[BUF];
};

static struct conn *conns[MAX_CONNS];
static uint32_t next_free = 1;
static struct io_uring ring;
static long served, max_requests = -1;
static unsigned long long enters;
static int listen_fd;

static uint64_t token(uint32_t slot, enum step s) { return (uint64_t)slot << 8 | s; }

static void die(const char *what, int res) {
    fprintf(stderr, "liburing_http_server: %s: %s\n", what, strerror(res < 0 ? -res : res));
    exit(1);
}

/* An SQE, flushing the SQ to the kernel first when it is full. */
static struct io_uring_sqe *sqe_for(uint64_t tok) {
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(&ring))) {
        int r = io_uring_submit(&ring);
        enters++;
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) die("io_uring_submit", r);
    }
    io_uring_sqe_set_data64(sqe, tok);
    return sqe;
}

static void arm_accept(void) {
    io_uring_prep_multishot_accept(sqe_for(token(0, ACCEPT)), listen_fd, NULL, NULL, SOCK_CLOEXEC);
}

static void start_recv(uint32_t slot) {
    struct conn *c = conns[slot];
    io_uring_prep_recv(sqe_for(token(slot, RECV)), c->fd, c->buf + c->len, BUF - c->len, 0);
}

static void start_close(uint32_t slot) {
    io_uring_prep_close(sqe_for(token(slot, CLOSE)), conns[slot]->fd);
}

/* Returns the length of a complete request head in c->buf, or 0. */
static uint32_t request_length(struct conn *c) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return 0;
    uint32_t head = (uint32_t)(end - c->buf) + 4;
    c->http10 = memmem(c->buf, head, "HTTP/1.0", 8) != NULL;
    bool says_close = memmem(c->buf, head, "Connection: close", 17) || memmem(c->buf, head, "connection: close", 17);
    bool says_keep = memmem(c->buf, head, "Connection: Keep-Alive", 22) || memmem(c->buf, head, "Connection: keep-alive", 22);
    c->keep_alive = c->http10 ? says_keep : !says_close;
    return head;
}

static void on_request(uint32_t slot, uint32_t head) {
    struct conn *c = conns[slot];
    memmove(c->buf, c->buf + head, c->len - head);
    c->len -= head;
    const char *reply = !c->keep_alive ? REPLY_CLOSE : c->http10 ? REPLY_KEEP_ALIVE_10 : REPLY;
    io_uring_prep_send(sqe_for(token(slot, SEND)), c->fd, reply, strlen(reply), MSG_NOSIGNAL);
}

static uint32_t new_conn(int fd) {
    for (uint32_t n = 0; n < MAX_CONNS - 1; n++) {
        uint32_t slot = next_free;
        next_free = next_free + 1 == MAX_CONNS ? 1 : next_free + 1;
        if (!conns[slot]) {
            conns[slot] = calloc(1, sizeof(struct conn));
            if (!conns[slot]) return 0;
            conns[slot]->fd = fd;
            return slot;
        }
    }
    return 0;
}

static void handle(const struct io_uring_cqe *cqe) {
    uint64_t tok = io_uring_cqe_get_data64(cqe);
    uint32_t slot = (uint32_t)(tok >> 8);
    int res = cqe->res;
    switch ((enum step)(tok & 0xff)) {
    case ACCEPT:
        if (res >= 0) {
            uint32_t s = new_conn(res);
            if (s) start_recv(s); else close(res);
        }
        if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept(); /* the kernel ended it: re-arm */
        break;
    case RECV: {
        struct conn *k = conns[slot];
        if (res <= 0) { start_close(slot); break; }
        k->len += (uint32_t)res;
        uint32_t head = request_length(k);
        if (head) on_request(slot, head);
        else if (k->len == BUF) start_close(slot); /* request too large */
        else start_recv(slot);
        break;
    }
    case SEND:
        served++;
        if (res < 0 || !conns[slot]->keep_alive) start_close(slot);
        else {
            uint32_t head = request_length(conns[slot]);
            if (head) on_request(slot, head); /* pipelined */
            else start_recv(slot);
        }
        break;
    case CLOSE:
        free(conns[slot]);
        conns[slot] = NULL;
        break;
    }
}

int main(int argc, char **argv) {
    int port = 8080;
    unsigned setup_flags = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-requests") && i + 1 < argc) max_requests = atol(argv[++i]);
        else if (!strcmp(argv[i], "--defer-taskrun")) setup_flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
        else {
            fprintf(stderr, "usage: liburing_http_server [--port N] [--max-requests N] [--defer-taskrun]\n");
            return 2;
        }
    }
    if (port < 0 || port > 65535) {
        fprintf(stderr, "liburing_http_server: bad port %d\n", port);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) die("socket", errno);
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind", errno);
    if (listen(listen_fd, 4096) < 0) die("listen", errno);
    if (getsockname(listen_fd, (struct sockaddr *)&addr, &len) < 0) die("getsockname", errno);

    struct io_uring_params p = {.flags = setup_flags | IORING_SETUP_CQSIZE, .cq_entries = 4 * ENTRIES};
    int r = io_uring_queue_init_params(ENTRIES, &ring, &p);
    if (r < 0) die("io_uring_queue_init_params", r);
    arm_accept();
    printf("listening on %d (liburing%s)\n", ntohs(addr.sin_port), setup_flags ? ", defer-taskrun" : "");
    fflush(stdout);

    while (max_requests < 0 || served < max_requests) {
        r = io_uring_submit_and_wait(&ring, 1);
        enters++;
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) die("io_uring_submit_and_wait", r);
        unsigned head, seen = 0;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&ring, head, cqe) {
            handle(cqe);
            seen++;
        }
        io_uring_cq_advance(&ring, seen);
    }
    io_uring_submit(&ring); /* the last sends' closes */
    printf("served %ld requests; %llu io_uring_enter calls\n", served, enters);
    io_uring_queue_exit(&ring);
    close(listen_fd);
    return 0;
}
