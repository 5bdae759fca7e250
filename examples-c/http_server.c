/* http_server: the prior work's benchmark server — accept, read the request,
 * send a fixed 200 reply, keep the connection alive when the client asks,
 * close otherwise — on uringbridge's async completion face:
 * multishot accept, then recv -> send -> (recv | close) per connection, all
 * through one ring, completions taken in batches with urb_ring_wait.
 *
 *   http_server [--port N] [--max-requests N]
 * Binds 127.0.0.1 only. Prints "listening on PORT" once ready. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uringbridge.h>

#include "loopback.h"

static const char REPLY[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
static const char REPLY_CLOSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, world!";
static const char REPLY_KEEP_ALIVE_10[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world!";

enum { BUF = 8192, MAX_CONNS = 65536 };
enum step { RECV = 1, SEND = 2, CLOSE = 3, ACCEPT = 4 };

struct conn {
    int fd;
    uint32_t len;
    bool keep_alive;
    bool http10;
    char buf[BUF];
};

static struct conn *conns[MAX_CONNS];
static urb_ring *ring;
static long served, max_requests = -1;

static uint64_t token(uint32_t slot, enum step s) { return (uint64_t)slot << 8 | s; }

static void submit(urb_op *op, uint64_t tok) {
    int32_t r = urb_ring_submit(ring, op, tok);
    if (r < 0) {
        fprintf(stderr, "http_server: submit: %s\n", urb_strerror(r));
        exit(1);
    }
}

static void start_recv(uint32_t slot) {
    struct conn *c = conns[slot];
    urb_op op;
    urb_prep_recv(c->fd, c->buf + c->len, BUF - c->len, 0, &op);
    submit(&op, token(slot, RECV));
}

static void start_close(uint32_t slot) {
    urb_op op;
    urb_prep_close(conns[slot]->fd, &op);
    submit(&op, token(slot, CLOSE));
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
    /* ab -k speaks HTTP/1.0 with keep-alive: answer in kind. */
    const char *reply = !c->keep_alive ? REPLY_CLOSE : c->http10 ? REPLY_KEEP_ALIVE_10 : REPLY;
    urb_op op;
    urb_prep_send(c->fd, reply, (uint32_t)strlen(reply), 0, &op);
    submit(&op, token(slot, SEND));
}

static uint32_t new_conn(int fd) {
    for (uint32_t slot = 1; slot < MAX_CONNS; slot++) {
        if (!conns[slot]) {
            conns[slot] = calloc(1, sizeof(struct conn));
            conns[slot]->fd = fd;
            return slot;
        }
    }
    return 0;
}

static void handle(urb_completion *c, int listen_fd) {
    uint32_t slot = (uint32_t)(c->token >> 8);
    switch ((enum step)(c->token & 0xff)) {
    case ACCEPT:
        if (c->res >= 0) {
            uint32_t s = new_conn(c->res);
            if (s) start_recv(s); else close(c->res);
        }
        if (!(c->flags & URB_CQE_F_MORE)) /* the kernel ended it: re-arm */
            urb_ring_accept_multishot(ring, listen_fd, SOCK_CLOEXEC, token(0, ACCEPT));
        break;
    case RECV: {
        struct conn *k = conns[slot];
        if (c->res <= 0) { start_close(slot); break; }
        k->len += (uint32_t)c->res;
        uint32_t head = request_length(k);
        if (head) on_request(slot, head);
        else if (k->len == BUF) start_close(slot); /* request too large */
        else start_recv(slot);
        break;
    }
    case SEND:
        served++;
        if (c->res < 0 || !conns[slot]->keep_alive) start_close(slot);
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
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-requests") && i + 1 < argc) max_requests = atol(argv[++i]);
        else if (!strcmp(argv[i], "--face") && i + 1 < argc && !strcmp(argv[i + 1], "ring")) i++;
        else { fprintf(stderr, "usage: http_server [--port N] [--face ring] [--max-requests N]\n"); return 2; }
    }
    signal(SIGPIPE, SIG_IGN);
    int bound_port;
    int lfd = listen_loopback(port, 4096, &bound_port);
    if (lfd < 0) return 1;
    int32_t r = urb_ring_new(NULL, &ring);
    if (r < 0) { fprintf(stderr, "http_server: ring: %s\n", urb_strerror(r)); return 1; }
    r = urb_ring_accept_multishot(ring, lfd, SOCK_CLOEXEC, token(0, ACCEPT));
    if (r < 0) { fprintf(stderr, "http_server: accept: %s\n", urb_strerror(r)); return 1; }
    printf("listening on %d (engine %s, completion face)\n", bound_port, urb_backend_name());
    fflush(stdout);
    urb_completion batch[256];
    while (max_requests < 0 || served < max_requests) {
        int n = urb_ring_wait(ring, batch, 256, 1, URB_WAIT_FOREVER);
        if (n < 0) { fprintf(stderr, "http_server: wait: %s\n", urb_strerror(n)); return 1; }
        for (int i = 0; i < n; i++) handle(&batch[i], lfd);
    }
    urb_stats st;
    urb_ring_stats(ring, &st);
    printf("served %ld requests; %llu submitted, %llu io_uring_enter calls\n", served,
           (unsigned long long)st.submitted, (unsigned long long)st.enters);
    urb_ring_free(ring);
    for (uint32_t s = 0; s < MAX_CONNS; s++) if (conns[s]) { close(conns[s]->fd); free(conns[s]); }
    close(lfd);
    return 0;
}
